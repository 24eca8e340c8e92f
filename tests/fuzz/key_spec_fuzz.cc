// libFuzzer target for the body of POST /v1/admin/keys (keys/key_spec.h). Besides crashes and
// sanitizer reports, it checks the parser's promises: every error is kInvalid with a reason
// and names a field ("body" when the JSON itself is unreadable); an accepted spec has a valid name,
// known scopes, apps that are "*" alone or valid distinct names, a rate limit in range and an
// expiry after now.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string_view>

#include "config/config.h"
#include "event/event.h"
#include "keys/key_spec.h"

namespace itslog {
namespace {

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "key_spec_fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

void Check(std::string_view body) {
  const int64_t now = 1740830400000000;  // 2025-03-01T12:00:00Z
  Result<KeySpec> spec = ParseKeySpec(body, now);
  if (!spec.ok()) {
    const Status& s = spec.status();
    Require(s.code() == Code::kInvalid, "errors are kInvalid");
    Require(!s.reason().empty(), "errors have a reason");
    Require(!s.field().empty(), "errors name their field (the body when it is unreadable)");
    return;
  }
  Require(CheckKeyName(spec->name).ok(), "the name is valid");
  uint32_t known = 0;
  for (const ScopeName& n : kScopeNames) {
    known |= n.scope;
  }
  Require(spec->scopes != 0 && (spec->scopes & ~known) == 0, "scopes are known and not none");
  Require(spec->all_apps == spec->apps.empty(), "apps are \"*\" or a list");
  std::set<std::string> seen;
  for (const std::string& app : spec->apps) {
    Require(ValidateAppName(app).ok(), "apps are valid names");
    Require(seen.insert(app).second, "apps are distinct");
  }
  Require(spec->rate_limit >= 0 && spec->rate_limit <= kMaxRateLimit, "rate limit in range");
  Require(spec->expires_at_micros == 0 || spec->expires_at_micros > now, "expiry in the future");
}

}  // namespace
}  // namespace itslog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  itslog::Check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
