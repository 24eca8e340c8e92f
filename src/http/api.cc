#include "http/api.h"

#include <cctype>
#include <string>

#include "core/json_writer.h"
#include "core/version.h"
#include "event/event_parser.h"
#include "http/auth.h"
#include "http/error_response.h"
#include "http/keys_api.h"
#include "http/router.h"

namespace itslog {

namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) {
      return false;
    }
  }
  return true;
}

bool IsNdjson(std::string_view content_type) {
  return StartsWithNoCase(content_type, "application/x-ndjson") ||
         StartsWithNoCase(content_type, "application/ndjson") ||
         StartsWithNoCase(content_type, "application/jsonl");
}

// The header's key checked as the contract's "id" would be, naming the header as the field.
Status CheckHeaderKey(const Request& request) {
  if (!request.has_idempotency_key) {
    return Status::Ok();
  }
  Status s = ValidateIdempotencyKey(request.idempotency_key);
  if (!s.ok()) {
    return Status(s.code(), s.reason(), s.message(), "Idempotency-Key");
  }
  return Status::Ok();
}

std::string OutcomeBody(const AppendOutcome& o, bool duplicate) {
  JsonWriter w;
  w.BeginObject();
  if (duplicate) {
    w.Key("duplicate").Bool(true);
  }
  w.Key("day").String(o.day).Key("seq").Int(o.seq).EndObject();
  return w.Take();
}

}  // namespace

Response Api::Handle(const Request& request) const {
  int64_t started = ctx_.env->MonotonicMicros();
  Route route = MatchRoute(request.method, request.path);
  Response response;
  try {
    response = Dispatch(route, request);
  } catch (const std::exception& e) {
    ctx_.log->Error(std::string("bug: unexpected exception handling ") + request.method + " " +
                    request.path + ": " + e.what());
    response = ErrorResponse(InternalError("internal error; the event was not stored"));
  } catch (...) {
    ctx_.log->Error("bug: unexpected exception handling " + request.method + " " + request.path);
    response = ErrorResponse(InternalError("internal error; the event was not stored"));
  }
  if (response.status >= 400) {
    ctx_.log->Write(response.status >= 500 ? LogLevel::kError : LogLevel::kInfo,
                    std::to_string(response.status) + " " + request.method + " " + request.path);
  }
  if (ctx_.metrics != nullptr) {
    bool ingest =
        route.id == RouteId::kLog || route.id == RouteId::kEvent || route.id == RouteId::kUnique;
    if (ingest && response.status >= 400) {
      // The whole request was refused (a batch's per-item refusals are counted by HandleLog).
      ctx_.metrics->RecordRejected(response.error_code);
    }
    ctx_.metrics->RecordRequest(route.id, response.status, ctx_.env->MonotonicMicros() - started);
  }
  return response;
}

Response Api::Dispatch(const Route& route, const Request& request) const {
  switch (route.id) {
    case RouteId::kNotFound:
      return ErrorResponse(
          Status(Code::kNotFound, "not_found",
                 "no such endpoint: " + Quote(request.path) + "; see docs/API.md for the routes"));
    case RouteId::kMethodNotAllowed:
      return MethodNotAllowedResponse(request, route.allow);
    case RouteId::kHealthz:
      return HandleHealth();
    default:
      break;
  }
  if (request.body_too_large) {
    return ErrorResponse(Status(Code::kTooLarge, "body_too_large",
                                "the request body exceeds limits.max_body_bytes (" +
                                    std::to_string(ctx_.config->limits.max_body_bytes) +
                                    " bytes); send smaller batches",
                                "body"));
  }
  // Held to the end of the request: the key found may live in it.
  std::shared_ptr<const KeySet> made = ctx_.keys != nullptr ? ctx_.keys->Current() : nullptr;
  Result<const ApiKey*> key =
      Authenticate(request, *ctx_.config, made.get(), ctx_.env->NowMicros());
  if (!key.ok()) {
    return ErrorResponse(key.status());
  }
  if (!(*key)->id.empty()) {
    // Before anything is stored: past the limit the request does nothing.
    if (RateDecision d = ctx_.keys->Admit(**key); !d.allowed) {
      Response r = ErrorResponse(
          Status(Code::kRateLimited, "rate_limited",
                 "key " + Quote((*key)->name) + " is past its rate limit of " +
                     std::to_string((*key)->rate_limit) + " requests per second; retry later"));
      for (auto& [name, value] : r.headers) {
        if (name == "Retry-After") {
          value = std::to_string(d.retry_after_seconds);
        }
      }
      return r;
    }
    ctx_.keys->NoteUsed(*made, **key);
  }
  switch (route.id) {
    case RouteId::kLog:
    case RouteId::kEvent:
    case RouteId::kUnique: {
      if (Status s = RequireScope(**key, kScopeIngest); !s.ok()) {
        return ErrorResponse(s);
      }
      if (Status s = CheckHeaderKey(request); !s.ok()) {
        return ErrorResponse(s);
      }
      if (route.id == RouteId::kLog) {
        return HandleLog(request, **key);
      }
      return HandlePut(request, **key, route.app, route.event, route.id == RouteId::kUnique);
    }
    case RouteId::kEvents:
    case RouteId::kEventBySeq:
    case RouteId::kCounts:
    case RouteId::kUniques:
    case RouteId::kOverview:
    case RouteId::kTail:
      return read_->Handle(route, request, **key);
    case RouteId::kMetrics: {
      Response r = read_->Handle(route, request, **key);
      if (r.status == 200) {
        r.body += alerts_->MetricsText();
      }
      return r;
    }
    case RouteId::kAlerting:
      return alerts_->Handle(request, **key);
    case RouteId::kAdminKeys:
    case RouteId::kAdminKey:
      return HandleKeysRoute(route, request, **key, ctx_.keys, ctx_.env);
    default:
      return ErrorResponse(Status(Code::kNotFound, "not_found", "no such endpoint"));
  }
}

Response Api::HandleLog(const Request& request, const ApiKey& key) const {
  ParseOptions options;
  options.max_batch = static_cast<size_t>(ctx_.config->limits.max_batch);
  options.default_app = DefaultAppFor(key);
  Result<ParsedBody> parsed = ParseLogBody(request.body, IsNdjson(request.content_type), options);
  if (!parsed.ok()) {
    return ErrorResponse(parsed.status());
  }
  std::vector<Result<Event>>& items = parsed->items;
  // Check each item's app against the key; collect what is to be stored, in order.
  std::vector<Event> events;
  std::vector<size_t> event_index;  // events[k] came from items[event_index[k]]
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].ok()) {
      continue;
    }
    Event& e = items[i].value();
    if (Status s = RequireApp(key, e.app); !s.ok()) {
      items[i] = s;
      continue;
    }
    if (!e.idempotency_key && request.has_idempotency_key) {
      // A batch retried under the same header: each item gets its own derived key.
      e.idempotency_key = parsed->is_batch ? request.idempotency_key + "#" + std::to_string(i)
                                           : request.idempotency_key;
    }
    events.push_back(std::move(e));
    event_index.push_back(i);
  }
  std::vector<Result<AppendOutcome>> outcomes;
  if (!events.empty()) {
    auto appended = ctx_.append(events);
    if (!appended.ok()) {
      return ErrorResponse(appended.status());
    }
    outcomes = std::move(appended).value();
  }
  if (!parsed->is_batch) {
    if (!items[0].ok()) {
      return ErrorResponse(items[0].status());
    }
    if (!outcomes[0].ok()) {
      return ErrorResponse(outcomes[0].status());
    }
    if (ctx_.metrics != nullptr) {
      ctx_.metrics->RecordAccepted(1, outcomes[0]->duplicate ? 1 : 0);
    }
    return NoContentResponse();
  }
  // Per-item results in item order: parse/auth errors, then store errors, by index.
  std::vector<Status> errors(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].ok()) {
      errors[i] = items[i].status();
    }
  }
  int64_t accepted = 0, duplicates = 0;
  for (size_t k = 0; k < outcomes.size(); ++k) {
    if (!outcomes[k].ok()) {
      errors[event_index[k]] = outcomes[k].status();
    } else {
      ++accepted;
      duplicates += outcomes[k]->duplicate ? 1 : 0;
    }
  }
  if (ctx_.metrics != nullptr) {
    ctx_.metrics->RecordAccepted(accepted, duplicates);
    for (const Status& e : errors) {
      if (!e.ok()) {
        ctx_.metrics->RecordRejected(e.reason());
      }
    }
  }
  std::string body = "{\"accepted\":" + std::to_string(accepted) + ",\"rejected\":" +
                     std::to_string(static_cast<int64_t>(items.size()) - accepted) +
                     ",\"duplicates\":" + std::to_string(duplicates) + ",\"errors\":[";
  bool first = true;
  for (size_t i = 0; i < errors.size(); ++i) {
    if (errors[i].ok()) {
      continue;
    }
    body += first ? "" : ",";
    first = false;
    body += "{\"index\":" + std::to_string(i) + ",\"error\":";
    AppendErrorObject(&body, errors[i]);
    body += '}';
  }
  body += "]}";
  return JsonResponse(200, std::move(body));
}

Response Api::HandlePut(const Request& request, const ApiKey& key, std::string_view app,
                        std::string_view event, bool is_unique) const {
  Result<Event> parsed = ParsePutBody(request.body, app, event, is_unique);
  if (!parsed.ok()) {
    return ErrorResponse(parsed.status());
  }
  if (Status s = RequireApp(key, parsed->app); !s.ok()) {
    return ErrorResponse(s);
  }
  if (!parsed->idempotency_key && request.has_idempotency_key) {
    parsed->idempotency_key = request.idempotency_key;
  }
  auto appended = ctx_.append(std::span<const Event>(&parsed.value(), 1));
  if (!appended.ok()) {
    return ErrorResponse(appended.status());
  }
  const Result<AppendOutcome>& outcome = appended.value()[0];
  if (!outcome.ok()) {
    return ErrorResponse(outcome.status());
  }
  if (ctx_.metrics != nullptr) {
    ctx_.metrics->RecordAccepted(1, outcome->duplicate ? 1 : 0);
  }
  if (!is_unique) {
    return NoContentResponse();
  }
  if (outcome->duplicate) {
    // A retry of the same Idempotency-Key answers as the first time did, marked duplicate.
    return JsonResponse(outcome->replayed ? 201 : 200, OutcomeBody(*outcome, true));
  }
  return JsonResponse(201, OutcomeBody(*outcome, false));
}

Response Api::HandleHealth() const {
  DayStore::Health h = ctx_.health();
  JsonWriter w;
  w.BeginObject();
  w.Key("status").String(h.writable ? "ok" : "unavailable");
  if (!h.writable) {
    w.Key("reason").String(h.reason);
  }
  w.Key("version").String(kVersion);
  w.Key("today_file").String(h.today_file);
  w.Key("free_bytes");
  if (h.free_bytes) {
    w.Int(*h.free_bytes);
  } else {
    w.Null();
  }
  w.EndObject();
  Response r = JsonResponse(h.writable ? 200 : 503, w.Take());
  if (!h.writable) {
    r.headers.emplace_back("Retry-After", "5");
  }
  return r;
}

}  // namespace itslog
