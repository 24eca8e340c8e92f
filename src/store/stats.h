// Stats: a summary of one day file for `itslog stats`: rows, apps, distinct events, the most
// frequent events, the first and last time, the file's size. Opens the file read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace itslog {

struct EventCount {
  std::string app;
  std::string event;
  int64_t count = 0;
};

struct DayStats {
  std::string day;
  std::string timezone;
  int64_t rows = 0;
  int64_t last_seq = 0;
  int64_t apps = 0;
  int64_t events = 0;  // distinct (app, event name) pairs
  int64_t unique_events = 0;
  std::vector<EventCount> per_app;  // app, total (event empty), most rows first
  std::vector<EventCount> top;      // most rows first, at most top_n
  std::optional<int64_t> first_ts;
  std::optional<int64_t> last_ts;
  int64_t file_bytes = 0;
  int64_t wal_bytes = 0;
  bool sealed = false;
};

// Fails as DayReader::Open.
Result<DayStats> ReadDayStats(const std::string& path, int top_n);

}  // namespace itslog
