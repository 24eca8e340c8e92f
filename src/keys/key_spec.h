// KeySpec: what a key made over HTTP or by `itslog keys add` is to be (docs/API.md, "Keys"),
// read from a POST /v1/admin/keys body or from command-line values, every field checked.
// Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace itslog {

struct KeySpec {
  std::string name;
  uint32_t scopes = 0;  // bit set of Scope (config/config.h)
  bool all_apps = false;
  std::vector<std::string> apps;  // empty when all_apps
  int64_t rate_limit = 0;         // requests per second; 0: none
  int64_t expires_at_micros = 0;  // 0: never
};

// The largest rate_limit accepted, in requests per second.
constexpr int64_t kMaxRateLimit = 1000000;

// Each check fails kInvalid with the field named ("name", "scopes", "apps", "rate_limit",
// "expires_at") and a reason: "invalid_key_name", "invalid_scopes", "invalid_apps",
// "invalid_rate_limit", "invalid_expires_at".
// name: [A-Za-z0-9][A-Za-z0-9._-]{0,127}, as a config key's name.
Status CheckKeyName(std::string_view name);
// At least one known scope name (ingest, read, admin), none twice; returns the bit set.
Result<uint32_t> ScopesFromNames(const std::vector<std::string>& names);
// ["*"] alone, or one or more distinct app names ([A-Za-z0-9][A-Za-z0-9._-]{0,127}).
Status SetApps(const std::vector<std::string>& names, KeySpec* spec);
// 1..kMaxRateLimit.
Status CheckRateLimit(int64_t rate_limit);
// An ISO 8601 date-time (UTC, or with an offset) after now_micros; returns it in micros.
Result<int64_t> ExpiryFromText(std::string_view text, int64_t now_micros);

// The body of POST /v1/admin/keys: {"name","scopes":[...],"apps":[...],"rate_limit":N,
// "expires_at":"ISO 8601"}; name, scopes and apps required, rate_limit and expires_at optional
// (null: none). Fails kInvalid: "empty_body"/"invalid_json" (field "body") for a body that is
// not one JSON object, "missing_field" (the field) for a required member absent, "unknown_field"
// (the member) for any other member, and the checks above, each naming its field.
Result<KeySpec> ParseKeySpec(std::string_view body, int64_t now_micros);

// The names of a scope bit set, in the order of kScopeNames.
std::vector<std::string> ScopeNamesOf(uint32_t scopes);

}  // namespace itslog
