// DaySet: queries over a day, or a range of days, as the union of its hosts' files (DESIGN:
// "Several hosts and the archive"). Events come in (ts, host, seq) order with a position that
// stays valid across days and hosts; counts add up across hosts; a unique (app, event) counts
// once per day however many hosts stored it. Shared by the read API, the command line and the
// alerts; knows no HTTP. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time_util.h"
#include "dayset/aggregate_cache.h"
#include "dayset/day_files.h"
#include "store/reader.h"

namespace itslog {

// Which (app, event) names a query wants; empty: all of them.
using NamePredicate = std::function<bool(const EventName&)>;

// A place in the merged log: the event (day, ts, host, seq), or just after it. Ordered by
// (day, ts, host, seq): a day's files hold only that day's timestamps, so this is time order.
struct EventPosition {
  std::string day;
  int64_t ts = 0;
  std::string host;
  int64_t seq = 0;
  friend bool operator==(const EventPosition&, const EventPosition&) = default;
};
// True when a comes before b.
bool PositionBefore(const EventPosition& a, const EventPosition& b);

// An event and the host whose file holds it.
struct HostRow {
  std::string host;
  Row row;  // row.day is the day
};

struct EventQuery {
  int64_t since = 0;  // ts in [since, until)
  int64_t until = 0;
  std::string first_day;  // the days of [since, until), in the zone
  std::string last_day;
  NamePredicate wanted;
  std::optional<EventPosition> after;  // only events after this one
  int64_t limit = 100;
};

struct EventPage {
  std::vector<HostRow> events;     // at most limit, in order
  bool more = false;               // events follow the last one
  std::vector<std::string> hosts;  // the hosts of the files read, sorted
};

// One cell of a day's counts: the rows of (app, event) in an hour (or the whole day).
struct CountCell {
  int hour = 0;  // hours since the start of the day; 0 for a daily count
  std::string app;
  std::string event;
  BucketAggregate agg;
};

struct DayCounts {
  int64_t day_start = 0;           // microseconds since the epoch
  std::vector<CountCell> cells;    // sorted by hour, app, event; every host added up
  std::vector<std::string> hosts;  // the hosts whose files hold the day, sorted
};

struct DayUniques {
  // Each unique (app, event) of the day once, in the order it was first logged (ts, host, seq).
  std::vector<EventName> names;
  std::vector<std::string> hosts;  // sorted
};

class DaySet {
 public:
  // source must outlive the set. zone: the calendar of the days.
  DaySet(DayFileSource* source, TimeZone zone) : source_(source), zone_(std::move(zone)) {}

  // A page of events: those of [since, until) after query.after whose names wanted allows,
  // at most limit, in order. Fails as DayFileSource::Files and the files' reads.
  Result<EventPage> Events(const EventQuery& query);

  // The event seq of host's file of day (host empty: this host's own local file); nullopt when
  // there is none. Fails as Events.
  Result<std::optional<HostRow>> Event(const std::string& day, const std::string& host,
                                       int64_t seq);

  // The counts of day per (app, event) wanted, by hour when hourly, else for the whole day.
  Result<DayCounts> Counts(const std::string& day, const NamePredicate& wanted, bool hourly);

  // The unique events of day whose names wanted allows.
  Result<DayUniques> Uniques(const std::string& day, const NamePredicate& wanted);

  const TimeZone& zone() const { return zone_; }

 private:
  DayFileSource* source_;
  TimeZone zone_;
  AggregateCache aggregates_;
};

// When day ends in zone: the start of the next day (9999-12-31 has no next day to name: 24
// hours after its start).
int64_t EndOfDay(const TimeZone& zone, const std::string& day);

// The days first..last, at most max_days + 1 of them, counted as numbers so that the last day
// of year 9999 ends the walk like any other.
std::vector<std::string> DaysBetween(const std::string& first, const std::string& last,
                                     int64_t max_days);

}  // namespace itslog
