#include "alerts/window_source.h"

#include "store/day_store.h"

namespace itslog {

void LocalDayFiles::BeginPass(int64_t now_micros) {
  fresh_.clear();
  // Keep readers only for days a window (at most a day long) can still reach.
  std::string oldest = AddDays(zone_.DayOf(now_micros), -2);
  for (auto it = readers_.begin(); it != readers_.end();) {
    it = it->first < oldest ? readers_.erase(it) : std::next(it);
  }
}

Result<DayReader*> LocalDayFiles::ReaderFor(const std::string& day) {
  auto it = readers_.find(day);
  if (it == readers_.end()) {
    std::string path = DayFilePath(data_dir_, day);
    Result<std::unique_ptr<DayReader>> opened = DayReader::Open(path);
    if (!opened.ok()) {
      if (opened.status().code() == Code::kNotFound) {
        return static_cast<DayReader*>(nullptr);
      }
      return opened.status();
    }
    it = readers_.emplace(day, std::move(opened).value()).first;
    fresh_[day] = true;
  }
  if (!fresh_[day]) {
    // Writers add event names as they go.
    if (Status s = it->second->LoadEvents(); !s.ok()) {
      readers_.erase(it);
      return s;
    }
    fresh_[day] = true;
  }
  return it->second.get();
}

Result<WindowAggregate> LocalDayFiles::Aggregate(const std::string& app,
                                                 const std::optional<std::string>& event,
                                                 int64_t from_micros, int64_t to_micros,
                                                 bool with_values) {
  WindowAggregate total;
  if (to_micros <= from_micros) {
    return total;
  }
  // Every day the window touches: [from, to) crosses midnight at most a few times.
  std::string day = zone_.DayOf(from_micros);
  const std::string last = zone_.DayOf(to_micros - 1);
  for (;; day = AddDays(day, 1)) {
    Result<DayReader*> reader = ReaderFor(day);
    if (!reader.ok()) {
      return reader.status();
    }
    if (*reader != nullptr) {
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
