// libFuzzer target for the request body parser. The first byte picks the entry point (POST
// /v1/log as JSON, as NDJSON, or a PUT body) and max_batch; the rest is the body. Besides
// crashes and sanitizer reports, it checks the parser's promises: what it accepts passes the
// same rules again, every error is a contract reason, and our JSON check agrees with
// simdjson's DOM parser except on numbers beyond a double or a 64-bit integer.
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "event/event.h"
#include "event/event_parser.h"
#include "event/json_text.h"

namespace itslog {
namespace {

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "event_body_fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

void CheckError(const Status& s) {
  static const std::set<std::string> kReasons = {
      "invalid_json",       "empty_body",
      "empty_batch",        "missing_field",
      "unknown_field",      "invalid_app_name",
      "invalid_event_name", "invalid_type",
      "invalid_value",      "invalid_idempotency_key",
      "batch_too_large",
  };
  Require(!s.ok(), "an error item is not OK");
  Require(s.code() == Code::kInvalid || s.code() == Code::kTooLarge, "error code is 400 or 413");
  Require(kReasons.count(s.reason()) == 1, "reason is one of the contract's");
  Require(!s.message().empty() && s.message()[0] >= 'a' && s.message()[0] <= 'z',
          "message is lower-case and not empty");
  Require(s.message().size() < 1024, "message is short (values are quoted cut)");
}

void CheckEvent(const Event& e) {
  Require(ValidateAppName(e.app).ok(), "accepted app is valid");
  Require(ValidateEventName(e.name).ok(), "accepted event name is valid");
  Require(static_cast<int>(e.type) >= 1 && static_cast<int>(e.type) <= 7, "type in 1..7");
  if (e.value) {
    Require(ValidateValue(e.type, *e.value).ok(), "stored value passes its type's rule");
  }
  if (e.idempotency_key) {
    Require(ValidateIdempotencyKey(*e.idempotency_key).ok(), "accepted id is valid");
  }
}

void CheckJsonAgreesWithDom(std::string_view text) {
  Status ours = CheckJsonText(text);
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::error_code dom = parser.parse(padded).error();
  if (dom == simdjson::SUCCESS) {
    Require(ours.ok(), "text simdjson's DOM accepts is accepted");
  } else if (ours.ok()) {
    Require(dom == simdjson::NUMBER_ERROR,
            "text accepted against simdjson's DOM only for numbers out of its range");
  }
  if (ours.ok()) {
    std::string minified = MinifyJson(text);
    Require(CheckJsonText(minified).ok(), "minified JSON is still valid");
    Require(MinifyJson(minified) == minified, "minifying is idempotent");
  }
}

}  // namespace
}  // namespace itslog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace itslog;
  if (size == 0) {
    return 0;
  }
  const uint8_t selector = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  ParseOptions options;
  options.max_batch = 1 + (selector >> 2);  // 1..64: small enough to hit the limit
  options.default_app = "fuzz";
  switch (selector & 3) {
    case 0:
    case 1: {
      Result<ParsedBody> r = ParseLogBody(body, (selector & 3) == 1, options);
      if (!r.ok()) {
        CheckError(r.status());
        break;
      }
      Require(!r->items.empty(), "a parsed body has items");
      Require(r->is_batch || r->items.size() == 1, "a single object gives one item");
      Require(!r->is_batch || r->items.size() <= options.max_batch, "batch within max_batch");
      for (const Result<Event>& item : r->items) {
        if (item.ok()) {
          CheckEvent(item.value());
          Require(!item->is_unique, "POST /v1/log is never unique");
        } else {
          CheckError(item.status());
          Require(item.status().code() == Code::kInvalid, "an item error is a 400");
        }
      }
      break;
    }
    case 2:
    case 3: {
      const bool is_unique = (selector & 3) == 3;
      Result<Event> r = ParsePutBody(body, "fuzz-app", "fuzz:event", is_unique);
      if (r.ok()) {
        CheckEvent(r.value());
        Require(r->app == "fuzz-app" && r->name == "fuzz:event", "PUT names from the path");
        Require(r->is_unique == is_unique, "is_unique from the route");
      } else {
        CheckError(r.status());
      }
      break;
    }
  }
  CheckJsonAgreesWithDom(body);
  return 0;
}
