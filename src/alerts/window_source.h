// WindowSource: what an alert rule's query sees of a time range. The one seam between the
// evaluator and the day files: today LocalDayFiles reads this host's own day files in
// data_dir (a window crossing midnight reads both days). With several hosts, a host's alerts
// service therefore sees only the events this host stored (docs/OPERATIONS.md, "Alerts").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "core/time_util.h"
#include "store/reader.h"
#include "store/window_aggregate.h"

namespace itslog {

class WindowSource {
 public:
  virtual ~WindowSource() = default;
  // The aggregate of app's events (event: one name; nullopt: every event of the app) with ts
  // in [from_micros, to_micros). with_values false: count only.
  virtual Result<WindowAggregate> Aggregate(const std::string& app,
                                            const std::optional<std::string>& event,
                                            int64_t from_micros, int64_t to_micros,
                                            bool with_values) = 0;
  // Called before each evaluation pass: a chance to drop cached state.
  virtual void BeginPass(int64_t now_micros) { (void)now_micros; }
};

// This host's day files, <data_dir>/YYYY-MM-DD-v1.itslog, read-only (never blocking writers).
// Keeps the readers of the days in use open between passes and re-reads their events tables
// once per pass; a missing day has no events.
class LocalDayFiles : public WindowSource {
 public:
  LocalDayFiles(std::string data_dir, TimeZone zone)
      : data_dir_(std::move(data_dir)), zone_(std::move(zone)) {}

  Result<WindowAggregate> Aggregate(const std::string& app, const std::optional<std::string>& event,
                                    int64_t from_micros, int64_t to_micros,
                                    bool with_values) override;
  void BeginPass(int64_t now_micros) override;

 private:
  // The reader of day, or nullptr when its file does not exist (yet).
  Result<DayReader*> ReaderFor(const std::string& day);

  std::string data_dir_;
  TimeZone zone_;
  std::map<std::string, std::unique_ptr<DayReader>> readers_;
  std::map<std::string, bool> fresh_;  // day -> events table re-read in this pass
};

}  // namespace itslog
