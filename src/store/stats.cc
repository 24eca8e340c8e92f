#include "store/stats.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "store/reader.h"

namespace itslog {

namespace {

int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

bool MoreRows(const EventCount& a, const EventCount& b) {
  if (a.count != b.count) {
    return a.count > b.count;
  }
  return a.app != b.app ? a.app < b.app : a.event < b.event;
}

}  // namespace

Result<DayStats> ReadDayStats(const std::string& path, int top_n) {
  Result<std::unique_ptr<DayReader>> opened = DayReader::Open(path);
  if (!opened.ok()) {
    return opened.status();
  }
  DayReader& r = **opened;
  DayStats out;
  out.day = r.day();
  auto tz = r.meta().find("timezone");
  out.timezone = tz == r.meta().end() ? "" : tz->second;
  out.sealed = r.meta().count("sealed_at") != 0;
  out.file_bytes = FileSize(path);
  out.wal_bytes = FileSize(path + "-wal");
  if (Status s = r.BeginSnapshot(); !s.ok()) {
    return s;
  }
  if (Status s = r.LoadEvents(); !s.ok()) {
    return s;
  }
  Result<std::vector<std::pair<int64_t, int64_t>>> counts = r.CountsByEvent();
  if (!counts.ok()) {
    return counts.status();
  }
  std::map<std::string, int64_t> apps;
  std::vector<EventCount> all;
  for (const auto& [id, n] : *counts) {
    const EventName* name = r.events().Find(id);
    EventCount c{name ? name->app : "?", name ? name->name : "event#" + std::to_string(id), n};
    out.rows += n;
    apps[c.app] += n;
    all.push_back(std::move(c));
  }
  out.events = static_cast<int64_t>(all.size());
  out.apps = static_cast<int64_t>(apps.size());
  for (const auto& [app, n] : apps) {
    out.per_app.push_back(EventCount{app, "", n});
  }
  std::sort(out.per_app.begin(), out.per_app.end(), MoreRows);
  std::sort(all.begin(), all.end(), MoreRows);
  if (static_cast<int>(all.size()) > top_n) {
    all.resize(static_cast<size_t>(top_n));
  }
  out.top = std::move(all);
  Result<int64_t> last = r.LastSeq();
  if (!last.ok()) {
    return last.status();
  }
  out.last_seq = *last;
  if (out.rows > 0) {
    Result<std::optional<int64_t>> first = r.TsOf(1);
    Result<std::optional<int64_t>> end = r.TsOf(*last);
    if (!first.ok() || !end.ok()) {
      return first.ok() ? end.status() : first.status();
    }
    out.first_ts = *first;
    out.last_ts = *end;
  }
  Result<std::vector<UniqueEntry>> uniques = r.Uniques();
  if (!uniques.ok()) {
    return uniques.status();
  }
  out.unique_events = static_cast<int64_t>(uniques->size());
  r.EndSnapshot();
  return out;
}

}  // namespace itslog
