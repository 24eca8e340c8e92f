// KeysApi: POST, GET /v1/admin/keys and DELETE /v1/admin/keys/<id> (docs/API.md, "Keys"),
// over a KeyRing. The caller has authenticated the key; these check the admin scope.
#pragma once

#include "config/config.h"
#include "core/env.h"
#include "http/request.h"
#include "http/router.h"
#include "keys/key_ring.h"

namespace itslog {

// The JSON object of one key as the admin API shows it: id, name, scopes, apps, rate_limit,
// expires_at, created_at, last_used_at, source; never the key or its hash.
std::string KeyListingJson(const KeyListing& listing);

// Answers route kAdminKeys or kAdminKey for a request made with key; ring nullptr: keys cannot
// be made on this worker (503).
Response HandleKeysRoute(const Route& route, const Request& request, const ApiKey& key,
                         KeyRing* ring, Env* env);

}  // namespace itslog
