#include "http/keys_api.h"

#include "core/json_writer.h"
#include "core/time_util.h"
#include "http/auth.h"
#include "http/error_response.h"

namespace itslog {

namespace {

void WriteKeyMembers(JsonWriter* w, const KeyListing& l) {
  w->Key("id").String(l.key.id);
  w->Key("name").String(l.key.name);
  w->Key("scopes").BeginArray();
  for (const std::string& s : ScopeNamesOf(l.key.scopes)) {
    w->String(s);
  }
  w->EndArray();
  w->Key("apps").BeginArray();
  if (l.key.all_apps) {
    w->String("*");
  }
  for (const std::string& a : l.key.apps) {
    w->String(a);
  }
  w->EndArray();
  auto time_or_null = [&](const char* name, int64_t micros) {
    w->Key(name);
    if (micros == 0) {
      w->Null();
    } else {
      w->String(FormatIso8601Micros(micros));
    }
  };
  w->Key("rate_limit");
  if (l.key.rate_limit > 0) {
    w->Int(l.key.rate_limit);
  } else {
    w->Null();
  }
  time_or_null("expires_at", l.key.expires_at_micros);
  time_or_null("created_at", l.created_at_micros);
  time_or_null("last_used_at", l.last_used_at_micros);
  w->Key("source").String(l.from_config ? "config" : "api");
}

Response NoStoreJsonResponse(int status, std::string body) {
  Response r = JsonResponse(status, std::move(body));
  // A made key is in this body: no cache may keep it.
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

std::string KeyListingJson(const KeyListing& listing) {
  JsonWriter w;
  w.BeginObject();
  WriteKeyMembers(&w, listing);
  w.EndObject();
  return w.Take();
}

Response HandleKeysRoute(const Route& route, const Request& request, const ApiKey& key,
                         KeyRing* ring, Env* env) {
  if (Status s = RequireScope(key, kScopeAdmin); !s.ok()) {
    return ErrorResponse(s);
  }
  if (ring == nullptr) {
    return ErrorResponse(UnavailableError(
        "storage_unavailable", "keys cannot be managed here: this worker has no data_dir"));
  }
  if (route.id == RouteId::kAdminKey) {
    if (Status s = ring->Revoke(route.key_id); !s.ok()) {
      return ErrorResponse(s);
    }
    Response r;
    r.status = 204;
    r.content_type.clear();
    return r;
  }
  if (request.method == "POST") {
    Result<KeySpec> spec = ParseKeySpec(request.body, env->NowMicros());
    if (!spec.ok()) {
      return ErrorResponse(spec.status());
    }
    Result<MadeKey> made = ring->Create(*spec);
    if (!made.ok()) {
      return ErrorResponse(made.status());
    }
    JsonWriter w;
    w.BeginObject();
    WriteKeyMembers(&w, made->listing);
    w.Key("key").String(made->secret);
    w.EndObject();
    return NoStoreJsonResponse(201, w.Take());
  }
  Result<std::vector<KeyListing>> listed = ring->List();
  if (!listed.ok()) {
    return ErrorResponse(listed.status());
  }
  JsonWriter w;
  w.BeginObject().Key("keys").BeginArray();
  for (const KeyListing& l : *listed) {
    w.BeginObject();
    WriteKeyMembers(&w, l);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return NoStoreJsonResponse(200, w.Take());
}

}  // namespace itslog
