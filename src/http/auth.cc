#include "http/auth.h"

#include <algorithm>
#include <cctype>

#include "core/time_util.h"

namespace itslog {

namespace {

const ApiKey& OpenAccessKey() {
  static const ApiKey key = [] {
    ApiKey k;
    k.name = "anonymous";
    k.scopes = kScopeIngest | kScopeRead | kScopeAdmin | kScopeIncidents;
    k.all_apps = true;
    return k;
  }();
  return key;
}

// The presented key, or nullopt when none; a malformed Authorization is an error.
Result<std::string_view> PresentedKey(const Request& request) {
  if (!request.authorization.empty()) {
    std::string_view auth = request.authorization;
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), auth.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return Status(Code::kUnauthenticated, "missing_key",
                    "the Authorization header must be \"Bearer <key>\"", "Authorization");
    }
    auth.remove_prefix(kBearer.size());
    while (!auth.empty() && auth.front() == ' ') {
      auth.remove_prefix(1);
    }
    return auth;
  }
  return std::string_view(request.api_key);
}

}  // namespace

Result<const ApiKey*> Authenticate(const Request& request, const Config& config, const KeySet* made,
                                   int64_t now_micros) {
  Result<std::string_view> presented = PresentedKey(request);
  if (!presented.ok()) {
    return presented.status();
  }
  if (presented->empty()) {
    if (!config.auth_required) {
      return &OpenAccessKey();
    }
    return Status(Code::kUnauthenticated, "missing_key",
                  "send an API key as \"Authorization: Bearer <key>\" or \"X-API-Key: <key>\"");
  }
  Digest digest = Sha256Of(*presented);
  const ApiKey* found = nullptr;
  // Compare against every key, without stopping early, so timing reveals nothing.
  for (const ApiKey& key : config.keys) {
    if (ConstantTimeEqual(digest, key.sha256) && found == nullptr) {
      found = &key;
    }
  }
  if (found == nullptr && made != nullptr) {
    found = made->Find(digest);
  }
  if (found == nullptr) {
    return Status(Code::kUnauthenticated, "unknown_key", "the API key is not known");
  }
  if (found->expires_at_micros != 0 && now_micros >= found->expires_at_micros) {
    return Status(Code::kUnauthenticated, "expired_key",
                  "the API key " + Quote(found->name) + " expired at " +
                      FormatIso8601Micros(found->expires_at_micros));
  }
  return found;
}

Status RequireScope(const ApiKey& key, Scope scope) {
  if ((key.scopes & scope) != 0) {
    return Status::Ok();
  }
  const char* name = scope == kScopeIngest      ? "ingest"
                     : scope == kScopeRead      ? "read"
                     : scope == kScopeIncidents ? "incidents"
                                                : "admin";
  return Status(Code::kForbidden, "missing_scope",
                "key " + Quote(key.name) + " lacks the " + name + " scope");
}

Status RequireApp(const ApiKey& key, std::string_view app) {
  if (key.all_apps || std::find(key.apps.begin(), key.apps.end(), app) != key.apps.end()) {
    return Status::Ok();
  }
  return Status(Code::kForbidden, "app_not_allowed",
                "key " + Quote(key.name) + " may not touch app " + Quote(app), "app");
}

std::string DefaultAppFor(const ApiKey& key) {
  if (!key.all_apps && key.apps.size() == 1) {
    return key.apps[0];
  }
  return "default";
}

}  // namespace itslog
