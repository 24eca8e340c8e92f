#include "http/read_api.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <set>
#include <thread>
#include <vector>

#include "archive/archive_keys.h"
#include "archive/day_files.h"
#include "core/json_writer.h"
#include "dayset/day_set.h"
#include "http/auth.h"
#include "http/error_response.h"
#include "http/metrics.h"
#include "http/query_params.h"
#include "store/export.h"
#include "store/reader.h"

namespace itslog {

namespace {

constexpr int64_t kMicrosPerHour = 3600 * kMicrosPerSecond;
constexpr int64_t kTailBatch = 1000;  // rows read per look at the file
constexpr int64_t kKeepAliveMicros = 15 * kMicrosPerSecond;

Response NotFound(std::string message) {
  return ErrorResponse(Status(Code::kNotFound, "not_found", std::move(message)));
}

Status BadParam(std::string_view field, std::string message) {
  return InvalidError("invalid_parameter", std::move(message), std::string(field));
}

// Whether key may see app (as RequireApp, without building an error).
bool AppAllowed(const ApiKey& key, std::string_view app) {
  if (key.all_apps) {
    return true;
  }
  for (const std::string& a : key.apps) {
    if (a == app) {
      return true;
    }
  }
  return false;
}

// The filters every read route shares: the key's apps, and the app and event parameters.
struct NameFilter {
  const ApiKey* key = nullptr;
  std::optional<std::string> app;
  std::optional<std::string> event;
  bool Allows(const EventName& n) const {
    return (!app || n.app == *app) && (!event || n.name == *event) && AppAllowed(*key, n.app);
  }
};

// Reads and checks the app and event parameters; an app the key may not see is 403.
Status ReadNameFilter(const QueryParams& q, const ApiKey& key, NameFilter* f) {
  f->key = &key;
  f->app = q.Get("app");
  f->event = q.Get("event");
  if (f->app) {
    if (Status s = CheckAppParam("app", *f->app); !s.ok()) {
      return s;
    }
    if (Status s = RequireApp(key, *f->app); !s.ok()) {
      return s;
    }
  }
  if (f->event) {
    if (Status s = CheckEventParam("event", *f->event); !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

// A range of days [first, last] from the day / from / to parameters (counts, uniques).
Result<std::pair<std::string, std::string>> ReadDayRange(const QueryParams& q,
                                                         const std::string& today, bool allow_day) {
  std::optional<std::string> day = allow_day ? q.Get("day") : std::nullopt;
  std::optional<std::string> from = q.Get("from");
  std::optional<std::string> to = q.Get("to");
  if (day && (from || to)) {
    return BadParam("day", "give day, or from and to, not both");
  }
  if (day) {
    Result<std::string> d = ParseDayParam("day", *day);
    if (!d.ok()) {
      return d.status();
    }
    return std::make_pair(*d, *d);
  }
  std::string first = today, last = today;
  if (from) {
    Result<std::string> d = ParseDayParam("from", *from);
    if (!d.ok()) {
      return d.status();
    }
    first = *d;
    last = to ? last : (first > today ? first : today);
  }
  if (to) {
    Result<std::string> d = ParseDayParam("to", *to);
    if (!d.ok()) {
      return d.status();
    }
    last = *d;
    if (!from) {
      first = last;
    }
  }
  if (last < first) {
    return BadParam("to", "to (" + last + ") is before from (" + first + ")");
  }
  int64_t span = DaysFromCivil(*ParseDay(last)) - DaysFromCivil(*ParseDay(first)) + 1;
  if (span > ReadApi::kMaxDays) {
    return BadParam("from", "a query covers at most " + std::to_string(ReadApi::kMaxDays) +
                                " days; this one covers " + std::to_string(span));
  }
  return std::make_pair(first, last);
}

void WriteAggregate(JsonWriter* w, const BucketAggregate& a) {
  w->Key("count").Int(a.count);
  if (a.numeric == 0) {
    return;
  }
  w->Key("numeric").Int(a.numeric);
  if (a.all_integer && !a.int_overflow) {
    w->Key("sum").Int(a.int_sum).Key("min").Int(a.int_min).Key("max").Int(a.int_max);
  } else {
    w->Key("sum").Double(a.sum).Key("min").Double(a.min).Key("max").Double(a.max);
  }
}

// "hosts":[...]: the hosts whose files an answer covers, sorted.
void WriteHosts(JsonWriter* w, const std::set<std::string>& hosts) {
  w->Key("hosts").BeginArray();
  for (const std::string& h : hosts) {
    w->String(h);
  }
  w->EndArray();
}

void AppendHosts(std::string* out, const std::vector<std::string>& hosts) {
  out->append(",\"hosts\":[");
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (i > 0) {
      out->push_back(',');
    }
    AppendJsonString(out, hosts[i]);
  }
  out->push_back(']');
}

// One event of an answer, with the host whose file holds it.
void AppendHostRowJson(std::string* out, const HostRow& e, IsoTimeFormatter* time) {
  EventName name{e.row.app, e.row.event};
  RowView v;
  v.seq = e.row.seq;
  v.ts = e.row.ts;
  v.name = &name;
  v.type = e.row.type;
  if (e.row.value) {
    v.value = std::string_view(*e.row.value);
  }
  v.is_unique = e.row.is_unique;
  AppendEventJson(out, e.row.day, v, time, e.host);
}

// Logs a storage failure (ours to look at, with the file's path and SQLite's words) and
// answers without them: 503 with the reason when retrying may help, else 500 internal (a
// damaged or foreign day file is not the client's mistake, and its path is not theirs).
Response StorageError(Logger* log, const Status& s) {
  if (s.code() == Code::kUnavailable) {
    log->Warning("read API: " + s.ToString());
    return ErrorResponse(
        UnavailableError(s.reason(), "the day's files cannot be read just now; retry later"));
  }
  if (s.reason() == "archive_corrupt") {
    // A shipped file that fails its seal: its message names the object, never a local path.
    log->Error("read API: " + s.ToString());
    return ErrorResponse(s);
  }
  log->Error("read API: " + s.ToString());
  return ErrorResponse(
      InternalError("a day file could not be read; the server's log says which and why"));
}

template <typename R>
concept StreamingResponse = requires(R r, std::function<void(const ChunkWriter&)> f) {
  r.stream = f;
};

// Streams the tail when the adapter can send a body in pieces (Response::stream); otherwise
// answers as long polling: the body holds the first batch of events (or nothing once the time
// bound has passed), and the client reconnects with Last-Event-ID.
template <typename R>
void SetTailBody(R* response, const std::function<void(const ChunkWriter&, bool)>& run) {
  if constexpr (StreamingResponse<R>) {
    response->stream = [run](const ChunkWriter& write) { run(write, false); };
  } else {
    std::string* body = &response->body;
    run(
        [body](std::string_view chunk) {
          body->append(chunk);
          return true;
        },
        true);
  }
}

}  // namespace

struct ReadApi::TailSpec {
  NameFilter filter;
  std::string binding;
  std::string day;
  int64_t seq = 0;
};

ReadApi::ReadApi(ReadContext context) : ctx_(std::move(context)) {
  Result<TimeZone> zone = TimeZone::Load(ctx_.config->timezone);
  if (zone.ok()) {
    zone_ = *zone;
  }
  cursor_key_ = CursorKeyFor(*ctx_.config);
  host_ = ctx_.host.empty() ? HostIdOf(*ctx_.config) : ctx_.host;
  DayFileSource* source = ctx_.day_files;
  if (source == nullptr) {
    // This host's files and, with S3 configured, every host's shipped ones.
    Logger* log = ctx_.log;
    Result<std::unique_ptr<DayLocator>> locator = MakeDayLocator(
        ctx_.env, *ctx_.config,
        [log](std::string_view line) { log->Warning("archive: " + std::string(line)); });
    if (locator.ok()) {
      own_files_ = std::move(locator).value();
    } else {
      log->Error("read API: the archive cannot be used, only data_dir is read: " +
                 locator.status().ToString());
      own_files_ = std::make_unique<LocalDayFiles>(ctx_.config->data_dir, host_);
    }
    source = own_files_.get();
  }
  days_ = std::make_unique<DaySet>(source, zone_);
}

ReadApi::~ReadApi() = default;

Digest ReadApi::CursorKeyFor(const Config& config) {
  Sha256 h;
  h.Update(std::string_view("itslog cursor key v1"));
  h.Update(std::string_view("\0", 1));
  h.Update(config.data_dir);
  for (const ApiKey& k : config.keys) {
    h.Update(std::string_view("\0", 1));
    h.Update(k.sha256.data(), k.sha256.size());
  }
  return h.Finish();
}

std::string ReadApi::Today() const {
  return zone_.DayOf(ctx_.env->NowMicros());
}

void ReadApi::Sleep(int64_t micros) {
  if (ctx_.sleep) {
    ctx_.sleep(micros);
  } else {
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }
}

Response ReadApi::Handle(const Route& route, const Request& request, const ApiKey& key) {
  if (route.id == RouteId::kMetrics) {
    if (Status s = RequireScope(key, kScopeAdmin); !s.ok()) {
      return ErrorResponse(s);
    }
    return MetricsPage(request);
  }
  if (Status s = RequireScope(key, kScopeRead); !s.ok()) {
    return ErrorResponse(s);
  }
  switch (route.id) {
    case RouteId::kEvents:
      return Events(request, key);
    case RouteId::kEventBySeq:
      return EventBySeq(route, request, key);
    case RouteId::kCounts:
      return Counts(request, key);
    case RouteId::kUniques:
      return Uniques(request, key);
    case RouteId::kOverview:
      return Overview(request, key);
    case RouteId::kTail:
      return Tail(request, key);
    default:
      return NotFound("no such endpoint");
  }
}

// GET /v1/events -----------------------------------------------------------------------------

Response ReadApi::Events(const Request& request, const ApiKey& key) {
  Result<QueryParams> q =
      ParseQuery(request.query, {"app", "event", "day", "since", "until", "limit", "after"});
  if (!q.ok()) {
    return ErrorResponse(q.status());
  }
  NameFilter names;
  if (Status s = ReadNameFilter(*q, key, &names); !s.ok()) {
    return ErrorResponse(s);
  }
  std::optional<std::string> day = q->Get("day");
  std::optional<std::string> since_text = q->Get("since");
  std::optional<std::string> until_text = q->Get("until");
  if (day && (since_text || until_text)) {
    return ErrorResponse(BadParam("day", "give day, or since and until, not both"));
  }
  const std::string today = Today();
  int64_t since = 0, until = 0;
  if (day) {
    Result<std::string> d = ParseDayParam("day", *day);
    if (!d.ok()) {
      return ErrorResponse(d.status());
    }
    since = zone_.StartOfDay(*d);
    until = EndOfDay(zone_, *d);
  } else {
    if (since_text) {
      Result<int64_t> t = ParseTimeParam("since", *since_text, zone_);
      if (!t.ok()) {
        return ErrorResponse(t.status());
      }
      since = *t;
    }
    if (until_text) {
      Result<int64_t> t = ParseTimeParam("until", *until_text, zone_);
      if (!t.ok()) {
        return ErrorResponse(t.status());
      }
      until = *t;
    }
    if (!since_text) {
      since = zone_.StartOfDay(until_text ? zone_.DayOf(until - 1) : today);
    }
    if (!until_text) {
      // The end of today, or of since's day when since is in the future.
      std::string last = std::max(today, zone_.DayOf(since));
      until = EndOfDay(zone_, last);
    }
    if (until <= since) {
      return ErrorResponse(BadParam("until", "until must be later than since"));
    }
  }
  std::string first_day = zone_.DayOf(since);
  std::string last_day = zone_.DayOf(until - 1);
  int64_t span = DaysFromCivil(*ParseDay(last_day)) - DaysFromCivil(*ParseDay(first_day)) + 1;
  if (span > kMaxDays) {
    return ErrorResponse(BadParam(since_text ? "since" : "until",
                                  "a query covers at most " + std::to_string(kMaxDays) +
                                      " days; this one covers " + std::to_string(span)));
  }
  int64_t limit = kDefaultLimit;
  if (std::optional<std::string> l = q->Get("limit")) {
    Result<int64_t> n = ParseIntParam("limit", *l, 1, kMaxLimit);
    if (!n.ok()) {
      return ErrorResponse(n.status());
    }
    limit = *n;
  }
  // The cursor belongs to the query's filters, as the client gave them.
  std::string binding = "events";
  for (const char* p : {"app", "event", "day", "since", "until"}) {
    binding += '\0';
    binding += q->Get(p).value_or("");
  }
  EventQuery query;
  query.since = since;
  query.until = until;
  query.first_day = first_day;
  query.last_day = last_day;
  query.limit = limit;
  query.wanted = [&names](const EventName& n) { return names.Allows(n); };
  if (std::optional<std::string> a = q->Get("after")) {
    Result<Cursor> c = DecodeCursor(*a, cursor_key_, binding, "after");
    if (!c.ok()) {
      return ErrorResponse(c.status());
    }
    if (c->day < first_day || c->day > last_day) {
      return ErrorResponse(BadParam("after", "the cursor lies outside this query's days"));
    }
    EventPosition position{c->day, c->ts, c->host, c->seq};
    if (c->host.empty()) {
      // A cursor of one host's log (before answers merged hosts): that row of this host.
      Result<std::optional<HostRow>> row = days_->Event(c->day, "", c->seq);
      if (!row.ok()) {
        return StorageError(ctx_.log, row.status());
      }
      if (!row->has_value()) {
        return ErrorResponse(BadParam("after",
                                      "the cursor names an event this host no longer "
                                      "holds; start again without after"));
      }
      position.ts = (*row)->row.ts;
      position.host = (*row)->host;
    }
    query.after = position;
  }

  Result<EventPage> page = days_->Events(query);
  if (!page.ok()) {
    return StorageError(ctx_.log, page.status());
  }
  std::string body = "{\"events\":[";
  IsoTimeFormatter time;
  for (const HostRow& e : page->events) {
    if (&e != &page->events.front()) {
      body += ',';
    }
    AppendHostRowJson(&body, e, &time);
  }
  body += "],\"next\":";
  if (page->more) {
    const HostRow& last = page->events.back();
    AppendJsonString(&body, EncodeCursor(Cursor{last.row.day, last.row.seq, last.host, last.row.ts},
                                         cursor_key_, binding));
  } else {
    body += "null";
  }
  AppendHosts(&body, page->hosts);
  body += '}';
  return JsonResponse(200, std::move(body));
}

// GET /v1/events/<day>/<seq> -----------------------------------------------------------------

Response ReadApi::EventBySeq(const Route& route, const Request& request, const ApiKey& key) {
  Result<QueryParams> q = ParseQuery(request.query, {});
  if (!q.ok()) {
    return ErrorResponse(q.status());
  }
  Result<std::string> day = ParseDayParam("day", route.day);
  if (!day.ok()) {
    return ErrorResponse(day.status());
  }
  Result<int64_t> seq = ParseIntParam("seq", route.seq, 1, INT64_MAX);
  if (!seq.ok()) {
    return ErrorResponse(seq.status());
  }
  // kS3ObjectsHost: a closed day of storage: s3, its event objects imported as one file.
  if (!route.host.empty() && route.host != kS3ObjectsHost) {
    if (Status st = CheckHostParam("host", route.host); !st.ok()) {
      return ErrorResponse(st);
    }
  }
  std::string what = "no event " + *day + "/" + (route.host.empty() ? "" : route.host + "/") +
                     std::to_string(*seq);
  Result<std::optional<HostRow>> row = days_->Event(*day, route.host, *seq);
  if (!row.ok()) {
    return StorageError(ctx_.log, row.status());
  }
  // Another app's event is not found for this key: no telling what exists.
  if (!row->has_value() || !AppAllowed(key, (*row)->row.app)) {
    return NotFound(what);
  }
  std::string body;
  IsoTimeFormatter time;
  AppendHostRowJson(&body, **row, &time);
  return JsonResponse(200, std::move(body));
}

// GET /v1/counts ----------------------------------------------------------------------------

Response ReadApi::Counts(const Request& request, const ApiKey& key) {
  Result<QueryParams> q =
      ParseQuery(request.query, {"app", "event", "day", "from", "to", "interval"});
  if (!q.ok()) {
    return ErrorResponse(q.status());
  }
  NameFilter names;
  if (Status s = ReadNameFilter(*q, key, &names); !s.ok()) {
    return ErrorResponse(s);
  }
  Result<std::pair<std::string, std::string>> range = ReadDayRange(*q, Today(), true);
  if (!range.ok()) {
    return ErrorResponse(range.status());
  }
  std::string interval = q->Get("interval").value_or("day");
  if (interval != "hour" && interval != "day") {
    return ErrorResponse(
        BadParam("interval", "interval must be hour or day, not " + Quote(interval)));
  }
  const bool hourly = interval == "hour";
  JsonWriter w;
  w.BeginObject().Key("interval").String(interval);
  w.Key("from").String(range->first).Key("to").String(range->second);
  w.Key("counts").BeginArray();
  IsoTimeFormatter time;
  NamePredicate wanted = [&names](const EventName& n) { return names.Allows(n); };
  std::set<std::string> hosts;
  for (const std::string& d : DaysBetween(range->first, range->second, kMaxDays)) {
    Result<DayCounts> counts = days_->Counts(d, wanted, hourly);
    if (!counts.ok()) {
      return StorageError(ctx_.log, counts.status());
    }
    for (const std::string& h : counts->hosts) {
      hosts.insert(h);
    }
    for (const CountCell& c : counts->cells) {
      w.BeginObject().Key("day").String(d);
      if (hourly) {
        std::string bucket;
        time.Append(&bucket, counts->day_start + c.hour * kMicrosPerHour);
        w.Key("bucket").String(bucket);
      } else {
        w.Key("bucket").String(d);
      }
      w.Key("app").String(c.app).Key("event").String(c.event);
      WriteAggregate(&w, c.agg);
      w.EndObject();
    }
  }
  w.EndArray();
  WriteHosts(&w, hosts);
  w.EndObject();
  return JsonResponse(200, w.Take());
}

// GET /v1/uniques ---------------------------------------------------------------------------

Response ReadApi::Uniques(const Request& request, const ApiKey& key) {
  Result<QueryParams> q = ParseQuery(request.query, {"app", "from", "to"});
  if (!q.ok()) {
    return ErrorResponse(q.status());
  }
  NameFilter names;
  if (Status s = ReadNameFilter(*q, key, &names); !s.ok()) {
    return ErrorResponse(s);
  }
  Result<std::pair<std::string, std::string>> range = ReadDayRange(*q, Today(), false);
  if (!range.ok()) {
    return ErrorResponse(range.status());
  }
  JsonWriter w;
  w.BeginObject().Key("from").String(range->first).Key("to").String(range->second);
  w.Key("days").BeginArray();
  NamePredicate wanted = [&names](const EventName& n) { return names.Allows(n); };
  std::set<std::string> hosts;
  for (const std::string& d : DaysBetween(range->first, range->second, kMaxDays)) {
    // app -> event names, in the order they were first logged that day.
    std::map<std::string, std::vector<std::string>> apps;
    int64_t total = 0;
    Result<DayUniques> uniques = days_->Uniques(d, wanted);
    if (!uniques.ok()) {
      return StorageError(ctx_.log, uniques.status());
    }
    hosts.insert(uniques->hosts.begin(), uniques->hosts.end());
    for (const EventName& name : uniques->names) {
      apps[name.app].push_back(name.name);
      ++total;
    }
    w.BeginObject().Key("day").String(d).Key("count").Int(total);
    w.Key("apps").BeginArray();
    for (const auto& [app, events] : apps) {
      w.BeginObject().Key("app").String(app).Key("count").Int(static_cast<int64_t>(events.size()));
      w.Key("events").BeginArray();
      for (const std::string& e : events) {
        w.String(e);
      }
      w.EndArray().EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray();
  WriteHosts(&w, hosts);
  w.EndObject();
  return JsonResponse(200, w.Take());
}

// GET /v1/overview --------------------------------------------------------------------------

Response ReadApi::Overview(const Request& request, const ApiKey& key) {
  Result<QueryParams> q = ParseQuery(request.query, {"days"});
  if (!q.ok()) {
    return ErrorResponse(q.status());
  }
  int64_t days = 7;
  if (std::optional<std::string> d = q->Get("days")) {
    Result<int64_t> n = ParseIntParam("days", *d, 1, kMaxDays);
    if (!n.ok()) {
      return ErrorResponse(n.status());
    }
    days = *n;
  }
  NameFilter names;
  names.key = &key;
  NamePredicate wanted = [&names](const EventName& n) { return names.Allows(n); };
  std::set<std::string> hosts;
  const std::string today = Today();
  std::string first = AddDays(today, static_cast<int>(1 - days));
  std::map<std::string, int64_t> app_totals;
  std::map<std::pair<std::string, std::string>, int64_t> event_totals;
  JsonWriter w;
  w.BeginObject().Key("from").String(first).Key("to").String(today);
  w.Key("days").BeginArray();
  for (const std::string& d : DaysBetween(first, today, kMaxDays)) {
    std::map<std::string, int64_t> per_app;
    int64_t total = 0;
    Result<DayCounts> counts = days_->Counts(d, wanted, false);
    if (!counts.ok()) {
      return StorageError(ctx_.log, counts.status());
    }
    hosts.insert(counts->hosts.begin(), counts->hosts.end());
    for (const CountCell& c : counts->cells) {
      per_app[c.app] += c.agg.count;
      event_totals[{c.app, c.event}] += c.agg.count;
      total += c.agg.count;
    }
    w.BeginObject().Key("day").String(d).Key("total").Int(total);
    w.Key("apps").BeginArray();
    for (const auto& [app, n] : per_app) {
      w.BeginObject().Key("app").String(app).Key("count").Int(n).EndObject();
      app_totals[app] += n;
    }
    w.EndArray().EndObject();
  }
  w.EndArray();
  w.Key("apps").BeginArray();
  for (const auto& [app, n] : app_totals) {
    w.BeginObject().Key("app").String(app).Key("total").Int(n).EndObject();
  }
  w.EndArray();
  std::vector<std::pair<std::pair<std::string, std::string>, int64_t>> top(event_totals.begin(),
                                                                           event_totals.end());
  std::stable_sort(top.begin(), top.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (top.size() > static_cast<size_t>(kTopEvents)) {
    top.resize(kTopEvents);
  }
  w.Key("top_events").BeginArray();
  for (const auto& [name, n] : top) {
    w.BeginObject().Key("app").String(name.first).Key("event").String(name.second);
    w.Key("count").Int(n).EndObject();
  }
  w.EndArray();
  WriteHosts(&w, hosts);
  w.EndObject();
  return JsonResponse(200, w.Take());
}

// GET /v1/tail -------------------------------------------------------------------------------

Response ReadApi::Tail(const Request& request, const ApiKey& key) {
  Result<QueryParams> q = ParseQuery(request.query, {"app", "event"});
  if (!q.ok()) {
    return ErrorResponse(q.status());
  }
  auto spec = std::make_shared<TailSpec>();
  if (Status s = ReadNameFilter(*q, key, &spec->filter); !s.ok()) {
    return ErrorResponse(s);
  }
  spec->binding = "tail";
  spec->binding += '\0';
  spec->binding += q->Get("app").value_or("");
  spec->binding += '\0';
  spec->binding += q->Get("event").value_or("");
  if (!request.last_event_id.empty()) {
    Result<Cursor> c =
        DecodeCursor(request.last_event_id, cursor_key_, spec->binding, "Last-Event-ID");
    if (!c.ok()) {
      return ErrorResponse(c.status());
    }
    spec->day = c->day;
    spec->seq = c->seq;
  } else {
    // From now on: after the last row of today's file.
    spec->day = Today();
    Result<std::unique_ptr<DayReader>> r =
        DayReader::Open(DayFilePath(ctx_.config->data_dir, spec->day));
    if (r.ok()) {
      Result<int64_t> last = (*r)->LastSeq();
      if (!last.ok()) {
        return StorageError(ctx_.log, last.status());
      }
      spec->seq = *last;
    } else if (r.status().code() != Code::kNotFound) {
      return StorageError(ctx_.log, r.status());
    }
  }
  Response response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("X-Accel-Buffering", "no");  // nginx: pass events on at once
  if (request.method == "HEAD") {
    return response;
  }
  // The key outlives the request (it lives in the config); the spec is shared with the stream.
  SetTailBody(&response, [this, spec](const ChunkWriter& write, bool first_batch_only) {
    RunTail(*spec, write, first_batch_only);
  });
  return response;
}

void ReadApi::RunTail(const TailSpec& spec, const ChunkWriter& write, bool first_batch_only) {
  const int64_t start = ctx_.env->MonotonicMicros();
  const int64_t deadline =
      start + std::max<int64_t>(ctx_.config->tail_max_seconds, 1) * kMicrosPerSecond;
  DayFollower follower(ctx_.env, ctx_.config->data_dir, zone_, spec.day, spec.seq);
  IsoTimeFormatter time;
  std::string chunk = "retry: 1000\n\n";
  if (!write(chunk)) {
    return;
  }
  int64_t last_write = start;
  auto position_id = [&]() {
    return "id: " +
           EncodeCursor(Cursor{follower.day(), follower.seq()}, cursor_key_, spec.binding) + "\n\n";
  };
  for (;;) {
    chunk.clear();
    int64_t events = 0;
    Result<int64_t> got =
        follower.Poll(kTailBatch, [&](const std::string& day, const RowView& row) {
          if (!spec.filter.Allows(*row.name)) {
            return true;
          }
          chunk += "id: ";
          chunk += EncodeCursor(Cursor{day, row.seq}, cursor_key_, spec.binding);
          chunk += "\ndata: ";
          AppendEventJson(&chunk, day, row, &time, host_);
          chunk += "\n\n";
          ++events;
          return true;
        });
    if (!got.ok()) {
      ctx_.log->Warning("tail: " + got.status().ToString());
      chunk += ": the day file cannot be read now; reconnect later\n\n";
      write(chunk);
      return;
    }
    const int64_t now = ctx_.env->MonotonicMicros();
    if (events > 0) {
      // Where the follower stands now (past rows this key does not see), so that a
      // reconnect does not scan them again.
      chunk += position_id();
      if (!write(chunk)) {
        return;
      }
      last_write = now;
      if (first_batch_only) {
        return;
      }
    }
    if (now >= deadline) {
      write(position_id());
      return;
    }
    if (*got == kTailBatch) {
      continue;  // more rows are waiting
    }
    if (now - last_write >= kKeepAliveMicros && !first_batch_only) {
      if (!write(": keep-alive\n\n" + position_id())) {
        return;
      }
      last_write = now;
    }
    if (!write({})) {
      return;  // the worker is stopping: the client resumes elsewhere with Last-Event-ID
    }
    Sleep(std::min(ctx_.tail_poll_micros, deadline - now));
  }
}

// GET /metrics -------------------------------------------------------------------------------

Response ReadApi::MetricsPage(const Request& request) {
  Result<QueryParams> q = ParseQuery(request.query, {});
  if (!q.ok()) {
    return ErrorResponse(q.status());
  }
  MetricsGauges gauges;
  gauges.day = Today();
  std::string path = DayFilePath(ctx_.config->data_dir, gauges.day);
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    int64_t bytes = static_cast<int64_t>(st.st_size);
    if (stat((path + "-wal").c_str(), &st) == 0) {
      bytes += static_cast<int64_t>(st.st_size);
    }
    gauges.day_file_bytes = bytes;
  }
  gauges.free_bytes = ctx_.env->FreeBytes(ctx_.config->data_dir);
  Result<std::unique_ptr<Metrics>> metrics = Metrics::Open(ctx_.config->data_dir);
  if (!metrics.ok()) {
    return StorageError(ctx_.log, metrics.status());
  }
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = (*metrics)->RenderPrometheus(gauges);
  return r;
}

}  // namespace itslog
