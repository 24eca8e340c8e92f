#include "dayset/day_set.h"

#include <algorithm>
#include <climits>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

namespace itslog {

namespace {

EventFilter FilterFor(const EventTable& events, const NamePredicate& wanted) {
  EventFilter out;
  for (size_t i = 0; i < events.size(); ++i) {
    if (!wanted || wanted(events.name(i))) {
      out.Allow(events.id(i));
    }
  }
  return out;
}

void AddHost(std::vector<std::string>* hosts, const std::string& host) {
  auto at = std::lower_bound(hosts->begin(), hosts->end(), host);
  if (at == hosts->end() || *at != host) {
    hosts->insert(at, host);
  }
}

bool RowBefore(const HostRow& a, const HostRow& b) {
  return std::tie(a.row.ts, a.host, a.row.seq) < std::tie(b.row.ts, b.host, b.row.seq);
}

// Where one file's rows start: after seq after_seq, at ts >= ts_from.
struct FileStart {
  int64_t after_seq = 0;
  int64_t ts_from = 0;
};

// The first rows of host's file of day after `start`, with ts < until, whose event filter
// allows: at most need of them, appended to out in seq order (which is (ts, seq) order).
Status ReadFileRows(DayReader* reader, const std::string& day, const std::string& host,
                    const EventFilter& filter, FileStart start, int64_t until, int64_t day_start,
                    int64_t day_end, int64_t need, std::vector<HostRow>* out) {
  int64_t taken = 0;
  auto take = [&](const RowView& row) {
    if (row.ts < start.ts_from || row.ts >= until) {
      return true;
    }
    out->push_back(HostRow{host, CopyRow(day, row)});
    return ++taken < need;
  };
  if (filter.count() == 1) {
    return reader->ScanEvent(filter.single(), start.after_seq, start.ts_from, until, need, take);
  }
  int64_t lo = start.after_seq, hi = 0;
  if (start.ts_from > day_start) {
    Result<int64_t> first = reader->FirstSeqAtOrAfter(start.ts_from);
    if (!first.ok()) {
      return first.status();
    }
    lo = std::max(lo, *first - 1);
  }
  if (until < day_end) {
    Result<int64_t> end = reader->FirstSeqAtOrAfter(until);
    if (!end.ok()) {
      return end.status();
    }
    hi = std::max<int64_t>(*end, 1);
  }
  if (hi != 0 && lo + 1 >= hi) {
    return Status::Ok();
  }
  return reader->ScanRows(lo, hi, &filter, take);
}

// Opens a file of a day for reading in one snapshot, with its events table. nullptr when the
// file has gone (a local file shipped and removed since it was listed).
Result<std::unique_ptr<DayReader>> OpenForRead(const std::string& path) {
  Result<std::unique_ptr<DayReader>> opened = DayReader::Open(path);
  if (!opened.ok()) {
    if (opened.status().code() == Code::kNotFound) {
      return std::unique_ptr<DayReader>();
    }
    return opened.status();
  }
  if (Status s = (*opened)->BeginSnapshot(); !s.ok()) {
    return s;
  }
  if (Status s = (*opened)->LoadEvents(); !s.ok()) {
    return s;
  }
  return opened;
}

// Calls fn with each file of list that is still there, open in one snapshot, and adds its host
// to hosts. Stops at the first failure.
Status ForEachFile(const DayFileList& list, std::vector<std::string>* hosts,
                   const std::function<Status(const HostFile&, DayReader*)>& fn) {
  for (const HostFile& f : list.files) {
    Result<std::unique_ptr<DayReader>> reader = OpenForRead(f.path);
    if (!reader.ok()) {
      return reader.status();
    }
    if (*reader == nullptr) {
      continue;
    }
    AddHost(hosts, f.host);
    if (Status s = fn(f, reader->get()); !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace

bool PositionBefore(const EventPosition& a, const EventPosition& b) {
  return std::tie(a.day, a.ts, a.host, a.seq) < std::tie(b.day, b.ts, b.host, b.seq);
}

int64_t EndOfDay(const TimeZone& zone, const std::string& day) {
  std::string next = AddDays(day, 1);
  return IsDayName(next) ? zone.StartOfDay(next) : zone.StartOfDay(day) + kMicrosPerDay;
}

std::vector<std::string> DaysBetween(const std::string& first, const std::string& last,
                                     int64_t max_days) {
  std::vector<std::string> out;
  std::optional<CivilDay> a = ParseDay(first);
  std::optional<CivilDay> b = ParseDay(last);
  if (!a || !b) {
    return out;
  }
  for (int64_t d = DaysFromCivil(*a);
       d <= DaysFromCivil(*b) && out.size() <= static_cast<size_t>(max_days); ++d) {
    out.push_back(FormatDay(CivilFromDays(d)));
  }
  return out;
}

Result<EventPage> DaySet::Events(const EventQuery& query) {
  EventPage page;
  const int64_t want = query.limit + 1;  // one more than a page: is there a next one?
  std::string from_day = query.first_day;
  if (query.after && query.after->day > from_day) {
    from_day = query.after->day;
  }
  std::vector<std::string> days = DaysBetween(
      from_day, query.last_day,
      DaysFromCivil(*ParseDay(query.last_day)) - DaysFromCivil(*ParseDay(from_day)) + 1);
  for (const std::string& d : days) {
    Result<DayFileList> list = source_->Files(d);
    if (!list.ok()) {
      return list.status();
    }
    const int64_t day_start = zone_.StartOfDay(d);
    const int64_t day_end = EndOfDay(zone_, d);
    const int64_t need = want - static_cast<int64_t>(page.events.size());
    std::vector<HostRow> rows;
    Status read = ForEachFile(*list, &page.hosts, [&](const HostFile& f, DayReader* reader) {
      EventFilter filter = FilterFor(reader->events(), query.wanted);
      if (filter.empty()) {
        return Status::Ok();
      }
      FileStart start{0, query.since};
      if (query.after && query.after->day == d) {
        const EventPosition& a = *query.after;
        int order = f.host.compare(a.host);
        if (order < 0) {
          if (a.ts == INT64_MAX) {
            return Status::Ok();  // (an edited file's) time cannot go further
          }
          start.ts_from = std::max(start.ts_from, a.ts + 1);  // this host's rows at a.ts came first
        } else if (order == 0) {
          start.after_seq = a.seq;
          start.ts_from = std::max(start.ts_from, a.ts);
        } else {
          start.ts_from = std::max(start.ts_from, a.ts);
        }
      }
      return ReadFileRows(reader, d, f.host, filter, start, query.until, day_start, day_end, need,
                          &rows);
    });
    if (!read.ok()) {
      return read;
    }
    std::sort(rows.begin(), rows.end(), RowBefore);
    if (static_cast<int64_t>(rows.size()) > need) {
      rows.resize(static_cast<size_t>(need));
    }
    for (HostRow& r : rows) {
      page.events.push_back(std::move(r));
    }
    if (static_cast<int64_t>(page.events.size()) == want) {
      page.events.pop_back();
      page.more = true;
      break;
    }
  }
  return page;
}

Result<std::optional<HostRow>> DaySet::Event(const std::string& day, const std::string& host,
                                             int64_t seq) {
  Result<DayFileList> list = source_->Files(day);
  if (!list.ok()) {
    return list.status();
  }
  for (const HostFile& f : list->files) {
    if (host.empty() ? !f.own_local : f.host != host) {
      continue;
    }
    Result<std::unique_ptr<DayReader>> opened = DayReader::Open(f.path);
    if (!opened.ok()) {
      if (opened.status().code() == Code::kNotFound) {
        break;
      }
      return opened.status();
    }
    Result<std::optional<Row>> row = (*opened)->GetRow(seq);
    if (!row.ok()) {
      return row.status();
    }
    if (!row->has_value()) {
      break;
    }
    return std::optional<HostRow>(HostRow{f.host, std::move(**row)});
  }
  return std::optional<HostRow>();
}

Result<DayCounts> DaySet::Counts(const std::string& day, const NamePredicate& wanted, bool hourly) {
  DayCounts out;
  out.day_start = zone_.StartOfDay(day);
  Result<DayFileList> list = source_->Files(day);
  if (!list.ok()) {
    return list.status();
  }
  // The names point into the cached aggregates, which held keeps alive.
  std::vector<std::shared_ptr<const CachedAggregates>> held;
  std::map<std::tuple<int, std::string_view, std::string_view>, BucketAggregate> merged;
  for (const HostFile& f : list->files) {
    Result<std::shared_ptr<const CachedAggregates>> cached =
        aggregates_.For(f.path, out.day_start, !f.own_local);
    if (!cached.ok()) {
      return cached.status();
    }
    if (*cached == nullptr) {
      continue;
    }
    AddHost(&out.hosts, f.host);
    held.push_back(*cached);
    const CachedAggregates& c = **cached;
    const EventName* last_name = nullptr;
    BucketAggregate* last_agg = nullptr;
    int last_hour = -1;
    for (const DayAggregates::Cell& cell : c.aggregates.cells) {
      const EventName* name = c.events.Find(cell.event_id);
      if (name == nullptr || (wanted && !wanted(*name))) {
        continue;
      }
      int hour = hourly ? cell.hour : 0;
      // Cells come by event id then hour: the same key follows itself often.
      if (name != last_name || hour != last_hour) {
        last_agg = &merged[{hour, name->app, name->name}];
        last_name = name;
        last_hour = hour;
      }
      last_agg->Merge(cell.agg);
    }
  }
  out.cells.reserve(merged.size());
  for (const auto& [key, agg] : merged) {
    out.cells.push_back(CountCell{std::get<0>(key), std::string(std::get<1>(key)),
                                  std::string(std::get<2>(key)), agg});
  }
  return out;
}

Result<DayUniques> DaySet::Uniques(const std::string& day, const NamePredicate& wanted) {
  DayUniques out;
  Result<DayFileList> list = source_->Files(day);
  if (!list.ok()) {
    return list.status();
  }
  struct Found {
    int64_t ts;
    std::string host;
    int64_t seq;
    EventName name;
  };
  std::vector<Found> found;
  Status read = ForEachFile(*list, &out.hosts, [&](const HostFile& f, DayReader* reader) {
    Result<std::vector<UniqueEntry>> uniques = reader->Uniques();
    if (!uniques.ok()) {
      return uniques.status();
    }
    for (const UniqueEntry& u : *uniques) {
      const EventName* name = reader->events().Find(u.event_id);
      if (name == nullptr || (wanted && !wanted(*name))) {
        continue;
      }
      found.push_back(Found{u.ts, f.host, u.seq, *name});
    }
    return Status::Ok();
  });
  if (!read.ok()) {
    return read;
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return std::tie(a.ts, a.host, a.seq) < std::tie(b.ts, b.host, b.seq);
  });
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (const Found& f : found) {
    if (seen.insert({f.name.app, f.name.name}).second) {
      out.names.push_back(f.name);
    }
  }
  return out;
}

}  // namespace itslog
