// Metrics: the counters behind GET /metrics, shared by every worker process of one data_dir.
// They live in a small file, <data_dir>/.itslog-metrics-v2, that each process maps and updates
// with atomic adds, so a scrape answered by any worker reports the sum over all of them (and
// over restarts: Prometheus counters only grow).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/shared_file.h"
#include "http/router.h"

namespace itslog {

// What the scrape adds that is not a counter.
struct MetricsGauges {
  std::string day;                        // today's day, for the label of day_file_bytes
  std::optional<int64_t> day_file_bytes;  // today's file plus its WAL; nullopt: no file yet
  std::optional<int64_t> free_bytes;      // free space where data_dir is
};

class Metrics {
 public:
  // The name of the shared file inside data_dir.
  static constexpr const char* kFileName = ".itslog-metrics-v2";

  // Maps <data_dir>/.itslog-metrics-v2, creating it (mode 0644) if needed. Fails kUnavailable
  // "storage_unavailable" when the file cannot be created or mapped, or has another layout.
  static Result<std::unique_ptr<Metrics>> Open(const std::string& data_dir);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One answered request: its route, HTTP status and how long it took (microseconds).
  // Lock-free; safe from any thread and process.
  void RecordRequest(RouteId route, int status, int64_t micros);
  // Ingest outcomes of one request: events accepted (stored now, or duplicates of what was
  // stored before, as the batch answer counts them) and, of those, duplicates.
  void RecordAccepted(int64_t accepted, int64_t duplicates);
  // n events refused for reason (the error code, e.g. "invalid_value"); unknown codes count
  // as "other".
  void RecordRejected(std::string_view reason, int64_t n = 1);
  // A successful ship of a day (seconds since the epoch, UTC).
  void RecordShip(int64_t unix_seconds);

  // The Prometheus text exposition (version 0.0.4) of every counter and the gauges.
  std::string RenderPrometheus(const MetricsGauges& gauges) const;

 private:
  struct Shared;
  explicit Metrics(SharedFile file) : file_(std::move(file)) {}
  Shared* shared() const { return static_cast<Shared*>(file_.data()); }
  SharedFile file_;
};

// The route's label in the metrics ("log", "events", ...).
std::string_view RouteLabel(RouteId route);

}  // namespace itslog
