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

// The day files files names, read-only (never blocking writers), through the (event, ts)
// index. Keeps readers of the files in use open between passes and re-reads their events
// tables once per pass. Not thread-safe; files must outlive it.
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
    bool fresh = false;  // events table re-read in this pass
  };
  // The reader of path, opened on first use and refreshed once per pass.
  Result<DayReader*> ReaderFor(const std::string& path);

  DayFileSource* files_;
  TimeZone zone_;
  std::map<std::string, OpenFile> open_;     // by path
  std::map<std::string, DayFileList> days_;  // the files of each day, named once per pass
};

}  // namespace itslog
