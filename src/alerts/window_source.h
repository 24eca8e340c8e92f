// WindowSource: what an alert rule's query sees of a time range. The one seam between the
// evaluator and the day files: DayFilesWindow reads the files a DayFileSource names for each
// day (dayset/day_files.h, one file per host), so the evaluator sees whatever that source
// knows. The alerts service gives it the read API's DayLocator (archive/day_files.h): today is
// this host's own file only (other hosts ship a day once it is over); a past day (a window
// across midnight) is every host's file that has been shipped (docs/OPERATIONS.md, "Alerts").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/time_util.h"
#include "dayset/day_files.h"
#include "store/reader.h"
#include "store/window_aggregate.h"

namespace itslog {

class WindowSource {
 public:
  virtual ~WindowSource() = default;
  // The aggregate of app's events (event: one name; nullopt: every event of the app) with ts
  // in [from_micros, to_micros), summed over every file of every day the range touches (a
  // window across midnight reads both days). with_values false: count only.
  virtual Result<WindowAggregate> Aggregate(const std::string& app,
                                            const std::optional<std::string>& event,
                                            int64_t from_micros, int64_t to_micros,
                                            bool with_values) = 0;
  // Called before each evaluation pass: a chance to drop cached state.
  virtual void BeginPass(int64_t now_micros) { (void)now_micros; }
};

// The rows of one event of one file, kept in memory in ts order (ts never decreases along
// seq) with per-block aggregates, so that any window is two binary searches, at most two
// partial blocks and the whole blocks between: a pass of many rules costs microseconds per
// rule, not a scan of the window. Grows by the rows added since it was last read.
class EventSeries {
 public:
  static constexpr size_t kBlock = 256;
  // Reads the rows of event_id after the last one read (all of them the first time).
  Status Refresh(DayReader* reader, int64_t event_id);
  WindowAggregate Aggregate(int64_t from_micros, int64_t to_micros) const;
  size_t size() const { return ts_.size(); }

 private:
  void Append(int64_t ts, std::optional<double> value);

  int64_t last_seq_ = 0;
  std::vector<int64_t> ts_;
  std::vector<double> value_;            // NaN for a row without an INTEGER or REAL value
  std::vector<WindowAggregate> blocks_;  // of rows [k * kBlock, (k + 1) * kBlock)
};

// The day files files names, read-only (never blocking writers). Keeps, between passes, the
// readers of the files in use and the series of the events rules asked about (memory: about
// 16 bytes per row of those events in the days windows reach); re-reads each file's events
// table and new rows once per pass. Not thread-safe; files must outlive it.
class DayFilesWindow : public WindowSource {
 public:
  DayFilesWindow(DayFileSource* files, TimeZone zone) : files_(files), zone_(std::move(zone)) {}

  Result<WindowAggregate> Aggregate(const std::string& app, const std::optional<std::string>& event,
                                    int64_t from_micros, int64_t to_micros,
                                    bool with_values) override;
  void BeginPass(int64_t now_micros) override;

 private:
  struct OpenFile {
    std::unique_ptr<DayReader> reader;
    bool fresh = false;                     // events table re-read in this pass
    std::map<int64_t, EventSeries> series;  // by event id
    std::map<int64_t, bool> series_fresh;   // new rows read in this pass
  };
  // The file at path, opened on first use and refreshed once per pass.
  Result<OpenFile*> FileFor(const std::string& path);

  DayFileSource* files_;
  TimeZone zone_;
  std::map<std::string, OpenFile> open_;     // by path
  std::map<std::string, DayFileList> days_;  // the files of each day, named once per pass
};

}  // namespace itslog
