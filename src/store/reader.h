// Read-only access to day files (docs/DATA-FORMAT.md) for queries, tail and the tools: files
// are opened with SQLITE_OPEN_READONLY and never take the writers' lock, so a reader never
// blocks a writer (WAL). Relies on the format's guarantees: seq is dense, and ts never
// decreases along seq (which lets a time range be found by binary search on seq).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/crypto.h"
#include "core/env.h"
#include "core/result.h"
#include "core/time_util.h"
#include "store/day_store.h"  // DayFilePath: readers find files where DayStore puts them

struct sqlite3;

namespace itslog {

// An (app, event name) pair of a file's events table.
struct EventName {
  std::string app;
  std::string name;
};

// The events table of one file: id -> names. Ids are small and dense in files written by
// DayStore; other ids still work (through a map).
class EventTable {
 public:
  void Clear();
  void Add(int64_t id, std::string app, std::string name);
  // nullptr for an id the table does not hold.
  const EventName* Find(int64_t id) const {
    if (id >= 0 && static_cast<uint64_t>(id) < dense_.size()) {
      return dense_[static_cast<size_t>(id)] ? &names_[dense_[static_cast<size_t>(id)] - 1]
                                             : nullptr;
    }
    auto it = sparse_.find(id);
    return it == sparse_.end() ? nullptr : &names_[it->second];
  }
  // The i-th entry (0 <= i < size()), in the order read (ascending id).
  size_t size() const { return names_.size(); }
  int64_t id(size_t i) const { return ids_[i]; }
  const EventName& name(size_t i) const { return names_[i]; }

 private:
  std::vector<EventName> names_;
  std::vector<int64_t> ids_;
  std::vector<uint32_t> dense_;  // id -> 1 + index into names_, 0 for none
  std::unordered_map<int64_t, size_t> sparse_;
};

// Which event ids a query wants (by id, as a bitmap).
class EventFilter {
 public:
  void Allow(int64_t id);
  bool Allows(int64_t id) const {
    if (id >= 0 && static_cast<uint64_t>(id) < bits_.size()) {
      return bits_[static_cast<size_t>(id)] != 0;
    }
    return false;
  }
  bool empty() const { return count_ == 0; }
  size_t count() const { return count_; }
  int64_t single() const { return last_; }  // the id, when count() == 1

 private:
  std::vector<uint8_t> bits_;
  size_t count_ = 0;
  int64_t last_ = 0;
};

// One log row as read. The views point into the reader's buffers and stay valid only until the
// next row is read (or the callback returns).
struct RowView {
  int64_t seq = 0;
  int64_t ts = 0;
  int64_t event_id = 0;
  const EventName* name = nullptr;  // never null when handed to a callback
  int type = 0;
  std::optional<std::string_view> value;  // nullopt for SQL NULL
  bool is_unique = false;
};

// An owning copy of a row.
struct Row {
  std::string day;
  int64_t seq = 0;
  int64_t ts = 0;
  std::string app;
  std::string event;
  int type = 0;
  std::optional<std::string> value;
  bool is_unique = false;
};
Row CopyRow(const std::string& day, const RowView& v);

// Counts of one event in one bucket of one day; for INTEGER (1) and REAL (2) values also sum,
// min and max. Values that are not numbers are counted but not summed.
struct BucketAggregate {
  int64_t count = 0;
  int64_t numeric = 0;        // rows with an INTEGER or REAL value
  bool all_integer = true;    // every numeric row was INTEGER: int_* are exact
  bool int_overflow = false;  // int_sum overflowed: use sum
  int64_t int_sum = 0;
  int64_t int_min = 0;
  int64_t int_max = 0;
  double sum = 0;
  double min = 0;
  double max = 0;
  void Add(int type, int64_t int_value, double real_value);
  void Merge(const BucketAggregate& other);
};

// The hourly aggregates of one day file up to a seq: hour h is [day_start + h hours,
// day_start + (h+1) hours) (a day has 23 to 25 hours where the zone changes its offset).
struct DayAggregates {
  static constexpr int kMaxHours = 26;
  int64_t day_start = 0;  // microseconds since the epoch
  int64_t last_seq = 0;   // rows with seq <= last_seq are included
  // (event id, hour) -> aggregate, sorted by event id then hour.
  struct Cell {
    int64_t event_id = 0;
    int hour = 0;
    BucketAggregate agg;
  };
  std::vector<Cell> cells;
  size_t MemoryBytes() const { return sizeof(*this) + cells.capacity() * sizeof(Cell); }
};

// A unique event of a day (table uniques).
struct UniqueEntry {
  int64_t event_id = 0;
  int64_t seq = 0;
  int64_t ts = 0;  // of row seq (0 when the log has no such row)
};

class DayReader {
 public:
  // Opens path read-only and reads meta and the events table. mmap_bytes > 0 lets SQLite map
  // that much of the file (faster full scans; the mapping ends with the reader). Fails
  // kNotFound "not_found" when the file does not exist, kCorrupt "not_itslog_file" when it is
  // not an its-log v1 day file, else as SqliteStatus (store/sqlite_util.h).
  static Result<std::unique_ptr<DayReader>> Open(const std::string& path, int64_t mmap_bytes = 0);
  ~DayReader();
  DayReader(const DayReader&) = delete;
  DayReader& operator=(const DayReader&) = delete;

  const std::string& path() const { return path_; }
  const std::string& day() const { return day_; }  // meta.day
  const std::map<std::string, std::string>& meta() const { return meta_; }
  const EventTable& events() const { return events_; }

  // Starts / ends a read transaction: every read in between sees one snapshot of the file.
  // Readers in WAL mode never block writers. Without one, each call is its own snapshot.
  Status BeginSnapshot();
  void EndSnapshot();

  // Re-reads the events table (writers add names as they go).
  Status LoadEvents();

  // The highest seq (0 for an empty log).
  Result<int64_t> LastSeq();
  // The ts of seq, or nullopt when there is no such row.
  Result<std::optional<int64_t>> TsOf(int64_t seq);
  // The stored hash of seq, or nullopt when there is no such row or its hash is not 32 bytes.
  Result<std::optional<Digest>> HashOf(int64_t seq);
  // The smallest seq whose ts >= ts_micros, or LastSeq() + 1 when there is none. A binary
  // search on seq: O(log rows) point reads.
  Result<int64_t> FirstSeqAtOrAfter(int64_t ts_micros);

  // Calls fn for each row with after < seq < before (before <= 0: no upper bound), in seq
  // order, whose event id filter allows (filter null: every row). Stops early, returning OK,
  // when fn returns false. A row naming an event id missing from the events table fails
  // kCorrupt "corrupt_file".
  Status ScanRows(int64_t after, int64_t before, const EventFilter* filter,
                  const std::function<bool(const RowView&)>& fn);
  // As ScanRows for one event id with ts in [ts_from, ts_to) and seq > after, through the
  // (event, ts) index: fast when the event is a small part of the file. Stops after limit rows.
  Status ScanEvent(int64_t event_id, int64_t after, int64_t ts_from, int64_t ts_to, int64_t limit,
                   const std::function<bool(const RowView&)>& fn);

  // One row, or nullopt.
  Result<std::optional<Row>> GetRow(int64_t seq);

  // Adds the rows with seq > out->last_seq to out (hourly buckets from out->day_start) and
  // advances out->last_seq. One pass over those rows inside SQLite.
  Status Aggregate(DayAggregates* out);

  // Every row of the uniques table (the unique events of this day) with its row's ts, by seq.
  Result<std::vector<UniqueEntry>> Uniques();

  // Counts per event id (all rows), through the (event, ts) index.
  Result<std::vector<std::pair<int64_t, int64_t>>> CountsByEvent();

  sqlite3* db() const { return db_; }  // for store/ modules

 private:
  DayReader() = default;
  Status EnsureEvent(int64_t id, const EventName** out);

  sqlite3* db_ = nullptr;
  std::string path_;
  std::string day_;
  std::map<std::string, std::string> meta_;
  EventTable events_;
  bool in_snapshot_ = false;
};

// True when name is "YYYY-MM-DD" of a real date.
bool IsDayName(std::string_view name);

// Follows the day files of a data_dir as `tail -f` does: the rows after a position, then on
// into the next day's file once the clock is past the day and the next file exists, without
// losing or repeating a row. Writers of day D stop for good once a writer has created the
// file of a later day (it reads D's last hash under D's lock), so D is read to its end when a
// later file exists, and only then left.
class DayFollower {
 public:
  // Starts after (day, seq): seq 0 is the start of day. env gives the clock.
  DayFollower(Env* env, std::string data_dir, TimeZone zone, std::string day, int64_t seq);
  ~DayFollower();

  // Calls fn with each row after the current position (at most max_rows), in order, moving to
  // later days when the current one is over. fn returns false to stop early (the position is
  // then after the last row fn accepted). Returns the number of rows handed to fn. Does not
  // block; call again later for more.
  Result<int64_t> Poll(int64_t max_rows,
                       const std::function<bool(const std::string& day, const RowView&)>& fn);

  const std::string& day() const { return day_; }
  int64_t seq() const { return seq_; }

 private:
  Status OpenCurrent();
  std::optional<std::string> NextExistingDay();

  Env* env_;
  std::string data_dir_;
  TimeZone zone_;
  std::string day_;
  int64_t seq_;
  std::unique_ptr<DayReader> reader_;
};

}  // namespace itslog
