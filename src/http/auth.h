// Auth: finds the API key a request presents (Authorization: Bearer, or X-API-Key) among the
// configured SHA-256 hashes, in constant time, and checks scopes and apps.
#pragma once

#include <string_view>

#include "config/config.h"
#include "core/result.h"
#include "http/request.h"
#include "keys/key_set.h"

namespace itslog {

// The key the request presents, among config's keys and then made (the keys made over HTTP;
// nullptr: none). With auth.required false and no key presented, a built-in key with every
// scope and app. Fails kUnauthenticated: "missing_key" (none presented, or a malformed
// Authorization header), "unknown_key", or "expired_key" (a made key whose expires_at is at or
// before now_micros). The returned pointer lives in config or made.
Result<const ApiKey*> Authenticate(const Request& request, const Config& config,
                                   const KeySet* made = nullptr, int64_t now_micros = 0);

// Fails kForbidden "missing_scope" when key lacks scope.
Status RequireScope(const ApiKey& key, Scope scope);
// Fails kForbidden "app_not_allowed" (field "app") when key may not touch app.
Status RequireApp(const ApiKey& key, std::string_view app);

// The app an event without "app" belongs to: the key's single app, else "default".
std::string DefaultAppFor(const ApiKey& key);

}  // namespace itslog
