#include "http/metrics.h"

#include <atomic>
#include <cstdio>

namespace itslog {

namespace {

constexpr uint64_t kMagic = 0x69746c6f676d7432;  // "itlogmt2"

constexpr RouteId kRoutes[] = {
    RouteId::kNotFound,   RouteId::kMethodNotAllowed, RouteId::kLog,       RouteId::kEvent,
    RouteId::kUnique,     RouteId::kHealthz,          RouteId::kMetrics,   RouteId::kEvents,
    RouteId::kEventBySeq, RouteId::kCounts,           RouteId::kUniques,   RouteId::kOverview,
    RouteId::kTail,       RouteId::kAlerting,         RouteId::kAdminKeys, RouteId::kAdminKey,
};
constexpr size_t kRouteCount = sizeof(kRoutes) / sizeof(kRoutes[0]);
static_assert(kRouteCount == static_cast<size_t>(RouteId::kAdminKey) + 1, "every route has a slot");

constexpr int kStatuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503};
constexpr size_t kStatusCount = sizeof(kStatuses) / sizeof(kStatuses[0]);  // + 1: "other"

// Upper bounds of the latency buckets, in microseconds (and as Prometheus writes them).
constexpr int64_t kBucketMicros[] = {500,    1000,   2500,   5000,    10000,   25000,   50000,
                                     100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
constexpr const char* kBucketLabels[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                         "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                         "1",      "2.5",   "5",      "10"};
constexpr size_t kBucketCount = sizeof(kBucketMicros) / sizeof(kBucketMicros[0]);

// The error codes an event can be refused with (TEAM decisions, docs/API.md); + 1: "other".
constexpr std::string_view kReasons[] = {
    "invalid_json",
    "empty_body",
    "empty_batch",
    "missing_field",
    "unknown_field",
    "invalid_app_name",
    "invalid_event_name",
    "invalid_type",
    "invalid_value",
    "invalid_idempotency_key",
    "missing_key",
    "unknown_key",
    "expired_key",
    "missing_scope",
    "app_not_allowed",
    "rate_limited",
    "body_too_large",
    "batch_too_large",
    "too_many_event_names",
    "lock_timeout",
    "disk_full",
    "storage_unavailable",
    "day_sealed",
    "internal",
};
constexpr size_t kReasonCount = sizeof(kReasons) / sizeof(kReasons[0]);

size_t RouteIndex(RouteId r) {
  for (size_t i = 0; i < kRouteCount; ++i) {
    if (kRoutes[i] == r) {
      return i;
    }
  }
  return 0;
}

size_t StatusIndex(int status) {
  for (size_t i = 0; i < kStatusCount; ++i) {
    if (kStatuses[i] == status) {
      return i;
    }
  }
  return kStatusCount;
}

void Add(uint64_t* counter, uint64_t n) {
  std::atomic_ref<uint64_t>(*counter).fetch_add(n, std::memory_order_relaxed);
}

uint64_t Load(const uint64_t* counter) {
  return std::atomic_ref<uint64_t>(*const_cast<uint64_t*>(counter)).load(std::memory_order_relaxed);
}

}  // namespace

// The file's layout. Only ever extended together with the file name's version.
struct Metrics::Shared {
  uint64_t magic;
  uint64_t reserved;
  uint64_t requests[kRouteCount][kStatusCount + 1];
  uint64_t latency_buckets[kRouteCount][kBucketCount + 1];  // per bucket, not cumulative
  uint64_t latency_sum_micros[kRouteCount];
  uint64_t accepted;
  uint64_t duplicates;
  uint64_t rejected[kReasonCount + 1];
  uint64_t last_ship_seconds;
};

std::string_view RouteLabel(RouteId route) {
  switch (route) {
    case RouteId::kNotFound:
      return "not_found";
    case RouteId::kMethodNotAllowed:
      return "method_not_allowed";
    case RouteId::kLog:
      return "log";
    case RouteId::kEvent:
      return "event";
    case RouteId::kUnique:
      return "unique";
    case RouteId::kHealthz:
      return "healthz";
    case RouteId::kMetrics:
      return "metrics";
    case RouteId::kEvents:
      return "events";
    case RouteId::kEventBySeq:
      return "event_by_seq";
    case RouteId::kCounts:
      return "counts";
    case RouteId::kUniques:
      return "uniques";
    case RouteId::kOverview:
      return "overview";
    case RouteId::kTail:
      return "tail";
    case RouteId::kAlerting:
      return "alerting";
    case RouteId::kAdminKeys:
      return "admin_keys";
    case RouteId::kAdminKey:
      return "admin_key";
  }
  return "other";
}

Result<std::unique_ptr<Metrics>> Metrics::Open(const std::string& data_dir) {
  std::string path = data_dir;
  if (!path.empty() && path.back() != '/') {
    path += '/';
  }
  path += kFileName;
  Result<SharedFile> file = SharedFile::Open(path, sizeof(Shared), kMagic, 0644, "metrics file");
  if (!file.ok()) {
    return file.status();
  }
  return std::unique_ptr<Metrics>(new Metrics(std::move(file).value()));
}

void Metrics::RecordRequest(RouteId route, int status, int64_t micros) {
  size_t r = RouteIndex(route);
  Add(&shared()->requests[r][StatusIndex(status)], 1);
  size_t b = 0;
  while (b < kBucketCount && micros > kBucketMicros[b]) {
    ++b;
  }
  Add(&shared()->latency_buckets[r][b], 1);
  Add(&shared()->latency_sum_micros[r], static_cast<uint64_t>(micros < 0 ? 0 : micros));
}

void Metrics::RecordAccepted(int64_t accepted, int64_t duplicates) {
  if (accepted > 0) {
    Add(&shared()->accepted, static_cast<uint64_t>(accepted));
  }
  if (duplicates > 0) {
    Add(&shared()->duplicates, static_cast<uint64_t>(duplicates));
  }
}

void Metrics::RecordRejected(std::string_view reason, int64_t n) {
  if (n <= 0) {
    return;
  }
  size_t i = 0;
  while (i < kReasonCount && kReasons[i] != reason) {
    ++i;
  }
  Add(&shared()->rejected[i], static_cast<uint64_t>(n));
}

void Metrics::RecordShip(int64_t unix_seconds) {
  std::atomic_ref<uint64_t>(shared()->last_ship_seconds)
      .store(static_cast<uint64_t>(unix_seconds), std::memory_order_relaxed);
}

std::string Metrics::RenderPrometheus(const MetricsGauges& gauges) const {
  std::string out;
  auto line = [&](std::string_view name, std::string_view labels, uint64_t v) {
    out.append(name);
    if (!labels.empty()) {
      out.push_back('{');
      out.append(labels);
      out.push_back('}');
    }
    out.push_back(' ');
    out.append(std::to_string(v));
    out.push_back('\n');
  };
  auto head = [&](std::string_view name, std::string_view type, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  };
  head("itslog_events_accepted_total", "counter",
       "Events accepted by the ingest API: stored, or duplicates of events stored before.");
  line("itslog_events_accepted_total", "", Load(&shared()->accepted));
  head("itslog_events_duplicates_total", "counter",
       "Accepted events that were duplicates (idempotent retries, repeated unique events).");
  line("itslog_events_duplicates_total", "", Load(&shared()->duplicates));
  head("itslog_events_rejected_total", "counter", "Events refused, by error code.");
  for (size_t i = 0; i <= kReasonCount; ++i) {
    std::string reason = i < kReasonCount ? std::string(kReasons[i]) : "other";
    line("itslog_events_rejected_total", "reason=\"" + reason + "\"", Load(&shared()->rejected[i]));
  }
  head("itslog_http_requests_total", "counter", "Requests answered, by route and HTTP status.");
  for (size_t r = 0; r < kRouteCount; ++r) {
    for (size_t s = 0; s <= kStatusCount; ++s) {
      uint64_t v = Load(&shared()->requests[r][s]);
      if (v == 0) {
        continue;
      }
      std::string code = s < kStatusCount ? std::to_string(kStatuses[s]) : "other";
      line("itslog_http_requests_total",
           "route=\"" + std::string(RouteLabel(kRoutes[r])) + "\",code=\"" + code + "\"", v);
    }
  }
  head("itslog_http_request_duration_seconds", "histogram",
       "Time from a request's arrival at the worker to its answer, by route.");
  for (size_t r = 0; r < kRouteCount; ++r) {
    uint64_t per_bucket[kBucketCount + 1];
    uint64_t count = 0;
    for (size_t b = 0; b <= kBucketCount; ++b) {
      per_bucket[b] = Load(&shared()->latency_buckets[r][b]);
      count += per_bucket[b];
    }
    if (count == 0) {
      continue;
    }
    std::string route = "route=\"" + std::string(RouteLabel(kRoutes[r])) + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBucketCount; ++b) {
      cumulative += per_bucket[b];
      line("itslog_http_request_duration_seconds_bucket",
           route + ",le=\"" + kBucketLabels[b] + "\"", cumulative);
    }
    line("itslog_http_request_duration_seconds_bucket", route + ",le=\"+Inf\"", count);
    uint64_t sum_micros = Load(&shared()->latency_sum_micros[r]);
    char sum[64];
    std::snprintf(sum, sizeof(sum), "%.6f", static_cast<double>(sum_micros) / 1e6);
    out.append("itslog_http_request_duration_seconds_sum{").append(route).append("} ");
    out.append(sum).append("\n");
    line("itslog_http_request_duration_seconds_count", route, count);
  }
  if (gauges.day_file_bytes) {
    head("itslog_day_file_bytes", "gauge", "Size of today's day file with its WAL, in bytes.");
    line("itslog_day_file_bytes", "day=\"" + gauges.day + "\"",
         static_cast<uint64_t>(*gauges.day_file_bytes));
  }
  if (gauges.free_bytes) {
    head("itslog_data_dir_free_bytes", "gauge", "Free space on the disk holding data_dir.");
    line("itslog_data_dir_free_bytes", "", static_cast<uint64_t>(*gauges.free_bytes));
  }
  uint64_t shipped = Load(&shared()->last_ship_seconds);
  if (shipped != 0) {
    head("itslog_last_ship_timestamp_seconds", "gauge",
         "When itslog ship last finished with every closed day shipped (seconds since the epoch).");
    line("itslog_last_ship_timestamp_seconds", "", shipped);
  }
  return out;
}

}  // namespace itslog
