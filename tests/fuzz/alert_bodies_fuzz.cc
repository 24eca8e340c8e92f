// libFuzzer target for the alerting API's request bodies (alerts/alert_model.h): rules (new and
// over an existing rule), channels, incidents, their patches and comments. Besides crashes and
// sanitizer reports it checks the promises: a refusal is kInvalid with a snake_case reason and
// a field; an accepted rule has the documented ranges and formats back into a body that is
// accepted again; an accepted channel never shows its secret.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "alerts/alert_model.h"
#include "event/json_value.h"

namespace itslog {
namespace {

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "alert_bodies_fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

void CheckRefusal(const Status& s) {
  Require(s.code() == Code::kInvalid, "refusals are kInvalid");
  Require(!s.reason().empty() && !s.field().empty(), "refusals name a reason and a field");
  for (char c : s.reason()) {
    Require((c >= 'a' && c <= 'z') || c == '_', "reasons are snake_case");
  }
}

void CheckRule(const Result<AlertRule>& r) {
  if (!r.ok()) {
    CheckRefusal(r.status());
    return;
  }
  Require(r->window_seconds >= 1 && r->window_seconds <= kMaxWindowSeconds, "window range");
  Require(r->for_seconds >= 0 && r->for_seconds <= kMaxForSeconds, "for range");
  Require(std::isfinite(r->threshold), "finite threshold");
  Require(!r->app.empty() && !r->name.empty(), "app and name");
  Result<AlertRule> again = ParseRuleBody(RuleJson(*r), nullptr);
  Require(again.ok(), "a rule's JSON is accepted again");
  Require(again->app == r->app && again->event == r->event && again->name == r->name,
          "a rule survives its JSON");
}

}  // namespace
}  // namespace itslog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace itslog;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  CheckRule(ParseRuleBody(body, nullptr));
  AlertRule base;
  base.name = "n";
  base.app = "a";
  base.window_seconds = 60;
  CheckRule(ParseRuleBody(body, &base));
  Result<NotificationChannel> c = ParseChannelBody(body);
  if (c.ok()) {
    Result<JsonValue> shown = ParseJsonValue(ChannelJson(*c));
    Require(shown.ok(), "a channel's JSON is JSON");
    const JsonValue* config = shown->Find("config");
    Require(config != nullptr && config->Find("secret") == nullptr &&
                config->Find("routing_key") == nullptr,
            "secrets are not shown");
  } else {
    CheckRefusal(c.status());
  }
  if (Result<Incident> i = ParseIncidentBody(body); !i.ok()) {
    CheckRefusal(i.status());
  }
  if (Result<std::string> p = ParseIncidentPatch(body); !p.ok()) {
    CheckRefusal(p.status());
  } else {
    Require(*p == "acknowledged" || *p == "resolved", "patch status");
  }
  if (Result<std::string> m = ParseCommentBody(body); !m.ok()) {
    CheckRefusal(m.status());
  }
  return 0;
}
