#include "alerts/window_source.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace itslog {

namespace {

// Day files are mapped rather than read page by page: a refresh touches many pages.
constexpr int64_t kMmapBytes = int64_t{1} << 30;

// An INTEGER (1) or REAL (2) value as a double; nullopt for other types or unreadable text.
std::optional<double> NumberOf(int type, const std::optional<std::string_view>& value) {
  if ((type != 1 && type != 2) || !value) {
    return std::nullopt;
  }
  double d = 0;
  auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), d);
  if (ec != std::errc() || ptr != value->data() + value->size() || !std::isfinite(d)) {
    return std::nullopt;
  }
  return d;
}

void AddValue(WindowAggregate* a, double v) {
  a->min = a->numeric > 0 ? std::min(a->min, v) : v;
  a->max = a->numeric > 0 ? std::max(a->max, v) : v;
  a->sum += v;
  ++a->numeric;
}

}  // namespace

void EventSeries::Append(int64_t ts, std::optional<double> value) {
  if (ts_.size() % kBlock == 0) {
    blocks_.emplace_back();
  }
  ts_.push_back(ts);
  value_.push_back(value ? *value : std::numeric_limits<double>::quiet_NaN());
  WindowAggregate& b = blocks_.back();
  ++b.count;
  if (value) {
    AddValue(&b, *value);
  }
}

Status EventSeries::Refresh(DayReader* reader, int64_t event_id) {
  int64_t from_ts = ts_.empty() ? std::numeric_limits<int64_t>::min() : ts_.back();
  return reader->ScanEvent(event_id, last_seq_, from_ts, std::numeric_limits<int64_t>::max(),
                           std::numeric_limits<int64_t>::max(), [&](const RowView& row) {
                             Append(row.ts, NumberOf(row.type, row.value));
                             last_seq_ = row.seq;
                             return true;
                           });
}

WindowAggregate EventSeries::Aggregate(int64_t from_micros, int64_t to_micros) const {
  WindowAggregate out;
  size_t lo = std::lower_bound(ts_.begin(), ts_.end(), from_micros) - ts_.begin();
  size_t hi = std::lower_bound(ts_.begin(), ts_.end(), to_micros) - ts_.begin();
  size_t i = lo;
  while (i < hi) {
    if (i % kBlock == 0 && i + kBlock <= hi) {
      out.Merge(blocks_[i / kBlock]);
      i += kBlock;
      continue;
    }
    ++out.count;
    if (!std::isnan(value_[i])) {
      AddValue(&out, value_[i]);
    }
    ++i;
  }
  return out;
}

void DayFilesWindow::BeginPass(int64_t now_micros) {
  days_.clear();
  for (auto& [path, file] : open_) {
    file.fresh = false;
    file.series_fresh.clear();
  }
  // Keep only files a window (at most a day long) can still reach.
  std::string oldest = AddDays(zone_.DayOf(now_micros), -2);
  for (auto it = open_.begin(); it != open_.end();) {
    it = it->second.reader->day() < oldest ? open_.erase(it) : std::next(it);
  }
}

Result<DayFilesWindow::OpenFile*> DayFilesWindow::FileFor(const std::string& path) {
  auto it = open_.find(path);
  if (it == open_.end()) {
    Result<std::unique_ptr<DayReader>> opened = DayReader::Open(path, kMmapBytes);
    if (!opened.ok()) {
      return opened.status();
    }
    OpenFile file;
    file.reader = std::move(opened).value();
    file.fresh = true;
    it = open_.emplace(path, std::move(file)).first;
  }
  if (!it->second.fresh) {
    // Writers add event names as they go.
    if (Status s = it->second.reader->LoadEvents(); !s.ok()) {
      open_.erase(it);
      return s;
    }
    it->second.fresh = true;
  }
  return &it->second;
}

Result<WindowAggregate> DayFilesWindow::Aggregate(const std::string& app,
                                                  const std::optional<std::string>& event,
                                                  int64_t from_micros, int64_t to_micros,
                                                  bool with_values) {
  (void)with_values;  // the series hold values either way
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
    for (const HostFile& host_file : listed->second.files) {
      Result<OpenFile*> file = FileFor(host_file.path);
      if (!file.ok()) {
        if (file.status().code() == Code::kNotFound) {
          continue;  // removed since it was listed (pruned, shipped)
        }
        return file.status();
      }
      OpenFile& f = **file;
      const EventTable& events = f.reader->events();
      for (size_t i = 0; i < events.size(); ++i) {
        const EventName& name = events.name(i);
        if (name.app != app || (event && name.name != *event)) {
          continue;
        }
        int64_t id = events.id(i);
        EventSeries& series = f.series[id];
        if (!f.series_fresh[id]) {
          if (Status s = series.Refresh(f.reader.get(), id); !s.ok()) {
            f.series.erase(id);
            return s;
          }
          f.series_fresh[id] = true;
        }
        total.Merge(series.Aggregate(from_micros, to_micros));
      }
    }
    if (day >= last) {
      break;
    }
  }
  return total;
}

}  // namespace itslog
