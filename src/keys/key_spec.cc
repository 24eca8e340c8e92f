#include "keys/key_spec.h"

#include <iterator>
#include <set>

#include "config/config.h"
#include "core/time_util.h"
#include "event/event.h"
#include "event/json_value.h"

namespace itslog {

namespace {

// "ingest, read or admin": the known scopes, for messages.
std::string ScopeHelp() {
  std::string out;
  const size_t n = std::size(kScopeNames);
  for (size_t i = 0; i < n; ++i) {
    out += i == 0 ? "" : (i + 1 == n ? " or " : ", ");
    out += kScopeNames[i].name;
  }
  return out;
}

bool IsNameChar(char c, bool first) {
  bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '.' || c == '_' || c == '-'));
}

Status WrongKind(std::string_view field, std::string_view want, const JsonValue& got) {
  return InvalidError(
      "invalid_" + std::string(field == "name" ? "key_name" : field),
      std::string(field) + " must be " + std::string(want) + ", not " + std::string(got.KindName()),
      std::string(field));
}

// A JSON array of strings, or the field's error.
Result<std::vector<std::string>> StringArray(std::string_view field, const JsonValue& v) {
  if (v.kind != JsonValue::Kind::kArray) {
    return WrongKind(field, "an array of strings", v);
  }
  std::vector<std::string> out;
  for (const JsonValue& item : v.items) {
    if (item.kind != JsonValue::Kind::kString) {
      return WrongKind(field, "an array of strings", item);
    }
    out.push_back(item.string);
  }
  return out;
}

}  // namespace

Status CheckKeyName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 128;
  for (size_t i = 0; ok && i < name.size(); ++i) {
    ok = IsNameChar(name[i], i == 0);
  }
  if (!ok) {
    return InvalidError("invalid_key_name",
                        "name " + Quote(name) +
                            " is not a valid key name; use up to 128 letters, digits, '.', '_' "
                            "and '-', starting with a letter or digit",
                        "name");
  }
  return Status::Ok();
}

Result<uint32_t> ScopesFromNames(const std::vector<std::string>& names) {
  if (names.empty()) {
    return InvalidError("invalid_scopes", "scopes is empty; give at least one of " + ScopeHelp(),
                        "scopes");
  }
  uint32_t scopes = 0;
  for (const std::string& name : names) {
    uint32_t bit = 0;
    for (const ScopeName& s : kScopeNames) {
      if (name == s.name) {
        bit = s.scope;
      }
    }
    if (bit == 0) {
      return InvalidError("invalid_scopes",
                          "unknown scope " + Quote(name) + "; expected " + ScopeHelp(), "scopes");
    }
    if ((scopes & bit) != 0) {
      return InvalidError("invalid_scopes", "scope " + Quote(name) + " is listed twice", "scopes");
    }
    scopes |= bit;
  }
  return scopes;
}

Status SetApps(const std::vector<std::string>& names, KeySpec* spec) {
  if (names.empty()) {
    return InvalidError("invalid_apps", "apps is empty; give at least one app, or [\"*\"] for all",
                        "apps");
  }
  if (names.size() == 1 && names[0] == "*") {
    spec->all_apps = true;
    spec->apps.clear();
    return Status::Ok();
  }
  std::set<std::string_view> seen;
  for (const std::string& name : names) {
    if (name == "*") {
      return InvalidError("invalid_apps", "\"*\" (all apps) must be the only entry of apps",
                          "apps");
    }
    if (!ValidateAppName(name).ok()) {
      return InvalidError("invalid_apps",
                          Quote(name) +
                              " is not an app name; use up to 128 letters, digits, '.', '_' "
                              "and '-', starting with a letter or digit, or \"*\"",
                          "apps");
    }
    if (!seen.insert(name).second) {
      return InvalidError("invalid_apps", "app " + Quote(name) + " is listed twice", "apps");
    }
  }
  spec->all_apps = false;
  spec->apps = names;
  return Status::Ok();
}

Status CheckRateLimit(int64_t rate_limit) {
  if (rate_limit < 1 || rate_limit > kMaxRateLimit) {
    return InvalidError("invalid_rate_limit",
                        "rate_limit " + std::to_string(rate_limit) +
                            " is out of range; give requests per second from 1 to " +
                            std::to_string(kMaxRateLimit) + ", or null for none",
                        "rate_limit");
  }
  return Status::Ok();
}

Result<int64_t> ExpiryFromText(std::string_view text, int64_t now_micros) {
  std::optional<int64_t> micros = ParseIso8601Micros(text);
  if (!micros) {
    return InvalidError("invalid_expires_at",
                        "expires_at " + Quote(text) +
                            " is not an ISO 8601 date-time; e.g. \"2030-01-31T00:00:00Z\"",
                        "expires_at");
  }
  if (*micros <= now_micros) {
    return InvalidError("invalid_expires_at",
                        "expires_at " + Quote(text) + " is not in the future (now is " +
                            FormatIso8601Micros(now_micros) + ")",
                        "expires_at");
  }
  return *micros;
}

Result<KeySpec> ParseKeySpec(std::string_view body, int64_t now_micros) {
  Result<JsonValue> doc = ParseJsonValue(body);
  if (!doc.ok()) {
    return doc.status();
  }
  if (doc->kind != JsonValue::Kind::kObject) {
    return InvalidError("invalid_json",
                        "the body must be a JSON object, not " + std::string(doc->KindName()) +
                            ": {\"name\",\"scopes\",\"apps\",\"rate_limit\",\"expires_at\"}",
                        "body");
  }
  for (const JsonMember& m : doc->members) {
    const std::string& member = m.key;
    if (member != "name" && member != "scopes" && member != "apps" && member != "rate_limit" &&
        member != "expires_at") {
      return InvalidError("unknown_field",
                          "unknown member " + Quote(member) +
                              "; accepted: name, scopes, apps, rate_limit, expires_at",
                          member.empty() ? "body" : member);  // an error always names a field
    }
  }
  KeySpec spec;
  for (std::string_view required : {"name", "scopes", "apps"}) {
    if (doc->Find(required) == nullptr) {
      return InvalidError("missing_field", std::string(required) + " is required",
                          std::string(required));
    }
  }
  const JsonValue& name = *doc->Find("name");
  if (name.kind != JsonValue::Kind::kString) {
    return WrongKind("name", "a string", name);
  }
  if (Status s = CheckKeyName(name.string); !s.ok()) {
    return s;
  }
  spec.name = name.string;
  Result<std::vector<std::string>> scopes = StringArray("scopes", *doc->Find("scopes"));
  if (!scopes.ok()) {
    return scopes.status();
  }
  Result<uint32_t> bits = ScopesFromNames(*scopes);
  if (!bits.ok()) {
    return bits.status();
  }
  spec.scopes = *bits;
  Result<std::vector<std::string>> apps = StringArray("apps", *doc->Find("apps"));
  if (!apps.ok()) {
    return apps.status();
  }
  if (Status s = SetApps(*apps, &spec); !s.ok()) {
    return s;
  }
  if (const JsonValue* rate = doc->Find("rate_limit");
      rate != nullptr && rate->kind != JsonValue::Kind::kNull) {
    if (rate->kind != JsonValue::Kind::kNumber || !rate->is_integer) {
      return InvalidError("invalid_rate_limit",
                          "rate_limit must be an integer (requests per second) or null, not " +
                              std::string(rate->kind == JsonValue::Kind::kNumber
                                              ? "a fraction or a number out of range"
                                              : rate->KindName()),
                          "rate_limit");
    }
    if (Status s = CheckRateLimit(rate->integer); !s.ok()) {
      return s;
    }
    spec.rate_limit = rate->integer;
  }
  if (const JsonValue* expires = doc->Find("expires_at");
      expires != nullptr && expires->kind != JsonValue::Kind::kNull) {
    if (expires->kind != JsonValue::Kind::kString) {
      return WrongKind("expires_at", "an ISO 8601 date-time string or null", *expires);
    }
    Result<int64_t> at = ExpiryFromText(expires->string, now_micros);
    if (!at.ok()) {
      return at.status();
    }
    spec.expires_at_micros = *at;
  }
  return spec;
}

std::vector<std::string> ScopeNamesOf(uint32_t scopes) {
  std::vector<std::string> out;
  for (const ScopeName& s : kScopeNames) {
    if ((scopes & s.scope) != 0) {
      out.push_back(s.name);
    }
  }
  return out;
}

}  // namespace itslog
