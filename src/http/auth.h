// Auth: finds the API key a request presents (Authorization: Bearer, or X-API-Key) among the
// configured SHA-256 hashes, in constant time, and checks scopes and apps.
#pragma once

#include <string_view>

#include "config/config.h"
#include "core/result.h"
#include "http/request.h"

namespace itslog {

// The key the request presents. With auth.required false and no key presented, a built-in
// key with every scope and app. Fails kUnauthenticated: "missing_key" (none presented, or a
// malformed Authorization header) or "unknown_key". The returned pointer lives in config.
Result<const ApiKey*> Authenticate(const Request& request, const Config& config);

// Fails kForbidden "missing_scope" when key lacks scope.
Status RequireScope(const ApiKey& key, Scope scope);
// Fails kForbidden "app_not_allowed" (field "app") when key may not touch app.
Status RequireApp(const ApiKey& key, std::string_view app);

// The app an event without "app" belongs to: the key's single app, else "default".
std::string DefaultAppFor(const ApiKey& key);

}  // namespace itslog
