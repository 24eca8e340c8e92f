#include "alerts/window_source.h"

namespace itslog {

void DayFilesWindow::BeginPass(int64_t now_micros) {
  days_.clear();
  for (auto& [path, file] : open_) {
    file.fresh = false;
  }
  // Keep readers only for files a window (at most a day long) can still reach.
  std::string oldest = AddDays(zone_.DayOf(now_micros), -2);
  for (auto it = open_.begin(); it != open_.end();) {
    it = it->second.reader->day() < oldest ? open_.erase(it) : std::next(it);
  }
}

Result<DayReader*> DayFilesWindow::ReaderFor(const std::string& path) {
  auto it = open_.find(path);
  if (it == open_.end()) {
    Result<std::unique_ptr<DayReader>> opened = DayReader::Open(path);
    if (!opened.ok()) {
      return opened.status();
    }
    it = open_.emplace(path, OpenFile{std::move(opened).value(), true}).first;
  }
  if (!it->second.fresh) {
    // Writers add event names as they go.
    if (Status s = it->second.reader->LoadEvents(); !s.ok()) {
      open_.erase(it);
      return s;
    }
    it->second.fresh = true;
  }
  return it->second.reader.get();
}

Result<WindowAggregate> DayFilesWindow::Aggregate(const std::string& app,
                                                  const std::optional<std::string>& event,
                                                  int64_t from_micros, int64_t to_micros,
                                                  bool with_values) {
  WindowAggregate total;
  if (to_micros <= from_micros) {
    return total;
  }
  std::string day = zone_.DayOf(from_micros);
  const std::string last = zone_.DayOf(to_micros - 1);
  for (;; day = AddDays(day, 1)) {
    auto listed = days_.find(day);
    if (listed == days_.end()) {
      Result<DayFileList> files = files_->Files(day);
      if (!files.ok()) {
        return files.status();
      }
      listed = days_.emplace(day, std::move(files).value()).first;
    }
    for (const HostFile& file : listed->second.files) {
      Result<DayReader*> reader = ReaderFor(file.path);
      if (!reader.ok()) {
        if (reader.status().code() == Code::kNotFound) {
          continue;  // removed since it was listed (pruned, shipped)
        }
        return reader.status();
      }
      const EventTable& events = (*reader)->events();
      for (size_t i = 0; i < events.size(); ++i) {
        const EventName& name = events.name(i);
        if (name.app != app || (event && name.name != *event)) {
          continue;
        }
        Result<WindowAggregate> part =
            AggregateEventWindow(*reader, events.id(i), from_micros, to_micros, with_values);
        if (!part.ok()) {
          return part.status();
        }
        total.Merge(*part);
      }
    }
    if (day >= last) {
      break;
    }
  }
  return total;
}

}  // namespace itslog
