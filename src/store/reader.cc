#include "store/reader.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "store/schema.h"
#include "store/sqlite_util.h"

namespace itslog {

namespace {

constexpr int64_t kMicrosPerHour = 3600 * kMicrosPerSecond;

// Resets a statement when the step loop using it is done, whatever the outcome.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit() { sqlite3_reset(stmt_); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

Result<Stmt> Prepare(sqlite3* db, std::string_view sql, const std::string& path) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db, "cannot read " + path);
  }
  return stmt;
}

std::string_view ColumnText(sqlite3_stmt* stmt, int i) {
  const unsigned char* p = sqlite3_column_text(stmt, i);
  return p == nullptr ? std::string_view()
                      : std::string_view(reinterpret_cast<const char*>(p),
                                         static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
}

// Fills v from a row of "SELECT seq, ts, event, type, value, is_unique".
void ReadRowColumns(sqlite3_stmt* stmt, RowView* v) {
  v->seq = sqlite3_column_int64(stmt, 0);
  v->ts = sqlite3_column_int64(stmt, 1);
  v->event_id = sqlite3_column_int64(stmt, 2);
  v->type = sqlite3_column_int(stmt, 3);
  if (sqlite3_column_type(stmt, 4) == SQLITE_NULL) {
    v->value.reset();
  } else {
    v->value = ColumnText(stmt, 4);
  }
  v->is_unique = sqlite3_column_int(stmt, 5) != 0;
}

constexpr const char* kRowColumns = "SELECT seq, ts, event, type, value, is_unique FROM log ";

}  // namespace

// EventTable --------------------------------------------------------------------------------

void EventTable::Clear() {
  names_.clear();
  dense_.clear();
  sparse_.clear();
  ids_.clear();
}

void EventTable::Add(int64_t id, std::string app, std::string name) {
  names_.push_back(EventName{std::move(app), std::move(name)});
  ids_.push_back(id);
  size_t index = names_.size() - 1;
  // Dense ids (the normal case) go in a vector; anything far out of line in a map.
  if (id >= 0 && id < static_cast<int64_t>(4 * names_.size() + 1024)) {
    if (dense_.size() <= static_cast<size_t>(id)) {
      dense_.resize(static_cast<size_t>(id) + 1, 0);
    }
    dense_[static_cast<size_t>(id)] = static_cast<uint32_t>(index + 1);
  } else {
    sparse_[id] = index;
  }
}

void EventFilter::Allow(int64_t id) {
  if (id < 0 || id > (int64_t{1} << 26)) {
    return;  // ids that large are not written by DayStore; nothing can match them
  }
  if (bits_.size() <= static_cast<size_t>(id)) {
    bits_.resize(static_cast<size_t>(id) + 1, 0);
  }
  if (!bits_[static_cast<size_t>(id)]) {
    bits_[static_cast<size_t>(id)] = 1;
    ++count_;
    last_ = id;
  }
}

Row CopyRow(const std::string& day, const RowView& v) {
  Row r;
  r.day = day;
  r.seq = v.seq;
  r.ts = v.ts;
  r.app = v.name->app;
  r.event = v.name->name;
  r.type = v.type;
  if (v.value) {
    r.value = std::string(*v.value);
  }
  r.is_unique = v.is_unique;
  return r;
}

// BucketAggregate ---------------------------------------------------------------------------

void BucketAggregate::Add(int type, int64_t int_value, double real_value) {
  ++count;
  if (type != 1 && type != 2) {
    return;
  }
  if (numeric == 0) {
    int_min = int_max = int_value;
    min = max = real_value;
  } else {
    min = std::min(min, real_value);
    max = std::max(max, real_value);
  }
  ++numeric;
  sum += real_value;
  if (type == 2) {
    all_integer = false;
    return;
  }
  int_min = std::min(int_min, int_value);
  int_max = std::max(int_max, int_value);
  if (__builtin_add_overflow(int_sum, int_value, &int_sum)) {
    int_overflow = true;
  }
}

void BucketAggregate::Merge(const BucketAggregate& o) {
  if (o.numeric > 0) {
    if (numeric == 0) {
      int_min = o.int_min;
      int_max = o.int_max;
      min = o.min;
      max = o.max;
    } else {
      int_min = std::min(int_min, o.int_min);
      int_max = std::max(int_max, o.int_max);
      min = std::min(min, o.min);
      max = std::max(max, o.max);
    }
    if (__builtin_add_overflow(int_sum, o.int_sum, &int_sum)) {
      int_overflow = true;
    }
    int_overflow = int_overflow || o.int_overflow;
    all_integer = all_integer && o.all_integer;
    sum += o.sum;
    numeric += o.numeric;
  }
  count += o.count;
}

// DayReader ---------------------------------------------------------------------------------

bool IsDayName(std::string_view name) {
  return name.size() == 10 && ParseDay(name).has_value();
}

DayReader::~DayReader() {
  if (db_ != nullptr) {
    EndSnapshot();
    sqlite3_close_v2(db_);
  }
}

Result<std::unique_ptr<DayReader>> DayReader::Open(const std::string& path, int64_t mmap_bytes) {
  if (access(path.c_str(), F_OK) != 0) {
    return Status(Code::kNotFound, "not_found", "no day file " + path);
  }
  Result<SqliteDb> db = OpenSqlite(path, /*read_only=*/true);
  if (!db.ok()) {
    return db.status();
  }
  std::unique_ptr<DayReader> r(new DayReader());
  r->db_ = db->release();
  r->path_ = path;
  // A reader waits briefly rather than failing while a writer checkpoints or recovers the WAL.
  std::string pragmas = "PRAGMA busy_timeout=2000; PRAGMA query_only=1;";
  if (mmap_bytes > 0) {
    pragmas += " PRAGMA mmap_size=" + std::to_string(mmap_bytes) + ";";
  }
  if (Status s = ExecSql(r->db_, pragmas.c_str(), "cannot open " + path); !s.ok()) {
    return s;
  }
  Result<std::map<std::string, std::string>> meta = ReadMeta(r->db_);
  if (!meta.ok()) {
    if (meta.status().reason() == "corrupt_file" || meta.status().code() == Code::kInternal) {
      return CorruptError("not_itslog_file", path + " is not an its-log day file (no meta table)");
    }
    return meta.status();
  }
  r->meta_ = std::move(meta).value();
  auto get = [&](const char* k) {
    auto it = r->meta_.find(k);
    return it == r->meta_.end() ? std::string() : it->second;
  };
  if (get("format") != "itslog" || get("version") != "1") {
    return CorruptError("not_itslog_file",
                        path + " is not an its-log version 1 day file (meta format/version)");
  }
  r->day_ = get("day");
  if (Status s = r->LoadEvents(); !s.ok()) {
    return s;
  }
  return r;
}

Status DayReader::BeginSnapshot() {
  if (in_snapshot_) {
    return Status::Ok();
  }
  if (Status s = ExecSql(db_, "BEGIN", "cannot read " + path_); !s.ok()) {
    return s;
  }
  in_snapshot_ = true;
  return Status::Ok();
}

void DayReader::EndSnapshot() {
  if (in_snapshot_) {
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    in_snapshot_ = false;
  }
}

Status DayReader::LoadEvents() {
  Result<Stmt> stmt = Prepare(db_, "SELECT id, app, name FROM events ORDER BY id", path_);
  if (!stmt.ok()) {
    return stmt.status();
  }
  events_.Clear();
  sqlite3_stmt* s = stmt->get();
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    events_.Add(sqlite3_column_int64(s, 0), std::string(ColumnText(s, 1)),
                std::string(ColumnText(s, 2)));
  }
  if (rc != SQLITE_DONE) {
    return SqliteStatus(rc, db_, "cannot read the events of " + path_);
  }
  return Status::Ok();
}

Status DayReader::EnsureEvent(int64_t id, const EventName** out) {
  *out = events_.Find(id);
  if (*out != nullptr) {
    return Status::Ok();
  }
  // A name added after we read the table (outside a snapshot): read it again, once.
  if (Status s = LoadEvents(); !s.ok()) {
    return s;
  }
  *out = events_.Find(id);
  if (*out == nullptr) {
    return CorruptError("corrupt_file", path_ + ": a row names event id " + std::to_string(id) +
                                            ", which the events table does not hold");
  }
  return Status::Ok();
}

Result<int64_t> DayReader::LastSeq() {
  Result<Stmt> stmt = Prepare(db_, "SELECT max(seq) FROM log", path_);
  if (!stmt.ok()) {
    return stmt.status();
  }
  int rc = sqlite3_step(stmt->get());
  if (rc != SQLITE_ROW) {
    return SqliteStatus(rc, db_, "cannot read " + path_);
  }
  return sqlite3_column_int64(stmt->get(), 0);  // NULL (empty) reads as 0
}

Result<std::optional<int64_t>> DayReader::TsOf(int64_t seq) {
  Result<Stmt> stmt = Prepare(db_, "SELECT ts FROM log WHERE seq = ?1", path_);
  if (!stmt.ok()) {
    return stmt.status();
  }
  sqlite3_bind_int64(stmt->get(), 1, seq);
  int rc = sqlite3_step(stmt->get());
  if (rc == SQLITE_DONE) {
    return std::optional<int64_t>();
  }
  if (rc != SQLITE_ROW) {
    return SqliteStatus(rc, db_, "cannot read " + path_);
  }
  return std::optional<int64_t>(sqlite3_column_int64(stmt->get(), 0));
}

Result<std::optional<Digest>> DayReader::HashOf(int64_t seq) {
  Result<Stmt> stmt = Prepare(db_, "SELECT hash FROM log WHERE seq = ?1", path_);
  if (!stmt.ok()) {
    return stmt.status();
  }
  sqlite3_bind_int64(stmt->get(), 1, seq);
  int rc = sqlite3_step(stmt->get());
  if (rc == SQLITE_DONE) {
    return std::optional<Digest>();
  }
  if (rc != SQLITE_ROW) {
    return SqliteStatus(rc, db_, "cannot read " + path_);
  }
  const void* blob = sqlite3_column_blob(stmt->get(), 0);
  Digest d{};
  if (blob == nullptr || sqlite3_column_bytes(stmt->get(), 0) != static_cast<int>(d.size())) {
    return std::optional<Digest>();
  }
  std::memcpy(d.data(), blob, d.size());
  return std::optional<Digest>(d);
}

Result<int64_t> DayReader::FirstSeqAtOrAfter(int64_t ts_micros) {
  Result<int64_t> last = LastSeq();
  if (!last.ok()) {
    return last.status();
  }
  // The first row whose ts >= ts_micros: a row with seq = s exists for every 1 <= s <= last
  // in a well-formed file; "SELECT seq, ts ... WHERE seq >= ?" also copes with gaps.
  Result<Stmt> stmt =
      Prepare(db_, "SELECT seq, ts FROM log WHERE seq >= ?1 ORDER BY seq LIMIT 1", path_);
  if (!stmt.ok()) {
    return stmt.status();
  }
  sqlite3_stmt* s = stmt->get();
  int64_t lo = 1, hi = *last + 1;  // answer in [lo, hi]
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, mid);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
      hi = mid;
      continue;
    }
    if (rc != SQLITE_ROW) {
      return SqliteStatus(rc, db_, "cannot read " + path_);
    }
    int64_t seq = sqlite3_column_int64(s, 0);
    if (sqlite3_column_int64(s, 1) >= ts_micros) {
      hi = std::min(seq, mid);
    } else {
      lo = seq + 1;
    }
  }
  return lo;
}

Status DayReader::ScanRows(int64_t after, int64_t before, const EventFilter* filter,
                           const std::function<bool(const RowView&)>& fn) {
  std::string sql = std::string(kRowColumns) + "WHERE seq > ?1" +
                    (before > 0 ? " AND seq < ?2" : "") + " ORDER BY seq";
  Result<Stmt> stmt = Prepare(db_, sql, path_);
  if (!stmt.ok()) {
    return stmt.status();
  }
  sqlite3_stmt* s = stmt->get();
  sqlite3_bind_int64(s, 1, after);
  if (before > 0) {
    sqlite3_bind_int64(s, 2, before);
  }
  RowView v;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    int64_t event_id = sqlite3_column_int64(s, 2);
    if (filter != nullptr && !filter->Allows(event_id)) {
      continue;
    }
    ReadRowColumns(s, &v);
    if (Status st = EnsureEvent(event_id, &v.name); !st.ok()) {
      return st;
    }
    if (!fn(v)) {
      return Status::Ok();
    }
  }
  if (rc != SQLITE_DONE) {
    return SqliteStatus(rc, db_, "cannot read " + path_);
  }
  return Status::Ok();
}

Status DayReader::ScanEvent(int64_t event_id, int64_t after, int64_t ts_from, int64_t ts_to,
                            int64_t limit, const std::function<bool(const RowView&)>& fn) {
  // For one event, (ts, seq) order is seq order (ts never decreases along seq), and the index
  // (event, ts) holds seq as its last column: no sorting.
  Result<Stmt> stmt = Prepare(db_,
                              std::string(kRowColumns) +
                                  "INDEXED BY log_event_ts WHERE event = ?1 AND ts >= ?2 AND "
                                  "ts < ?3 AND seq > ?4 ORDER BY ts, seq LIMIT ?5",
                              path_);
  if (!stmt.ok()) {
    return stmt.status();
  }
  sqlite3_stmt* s = stmt->get();
  sqlite3_bind_int64(s, 1, event_id);
  sqlite3_bind_int64(s, 2, ts_from);
  sqlite3_bind_int64(s, 3, ts_to);
  sqlite3_bind_int64(s, 4, after);
  sqlite3_bind_int64(s, 5, limit);
  RowView v;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    ReadRowColumns(s, &v);
    if (Status st = EnsureEvent(v.event_id, &v.name); !st.ok()) {
      return st;
    }
    if (!fn(v)) {
      return Status::Ok();
    }
  }
  if (rc != SQLITE_DONE) {
    return SqliteStatus(rc, db_, "cannot read " + path_);
  }
  return Status::Ok();
}

Result<std::optional<Row>> DayReader::GetRow(int64_t seq) {
  Result<Stmt> stmt = Prepare(db_, std::string(kRowColumns) + "WHERE seq = ?1", path_);
  if (!stmt.ok()) {
    return stmt.status();
  }
  sqlite3_bind_int64(stmt->get(), 1, seq);
  int rc = sqlite3_step(stmt->get());
  if (rc == SQLITE_DONE) {
    return std::optional<Row>();
  }
  if (rc != SQLITE_ROW) {
    return SqliteStatus(rc, db_, "cannot read " + path_);
  }
  RowView v;
  ReadRowColumns(stmt->get(), &v);
  if (Status s = EnsureEvent(v.event_id, &v.name); !s.ok()) {
    return s;
  }
  return std::optional<Row>(CopyRow(day_, v));
}

namespace {

// The state of the aggregate function itslog_hourly(seq, event, ts, type, value) while it runs
// over a table scan: one dense array of hours per event id.
struct HourlyState {
  int64_t day_start = 0;
  int64_t max_seq = 0;
  std::vector<std::unique_ptr<BucketAggregate[]>> by_event;  // index: event id
  std::vector<DayAggregates::Cell> far_ids;                  // ids too large for the array
  bool failed = false;
};

constexpr int64_t kDenseEventIds = 1 << 20;

void HourlyStep(sqlite3_context* ctx, int, sqlite3_value** argv) noexcept {
  auto* st = static_cast<HourlyState*>(sqlite3_user_data(ctx));
  int64_t seq = sqlite3_value_int64(argv[0]);
  int64_t event = sqlite3_value_int64(argv[1]);
  int64_t ts = sqlite3_value_int64(argv[2]);
  int type = sqlite3_value_int(argv[3]);
  st->max_seq = std::max(st->max_seq, seq);
  // Rows outside the day (only in an edited file) go to its first or last hour; the
  // difference is taken unsigned, as any two int64 values may be far apart.
  int64_t hour = 0;
  if (ts > st->day_start) {
    uint64_t since_start = static_cast<uint64_t>(ts) - static_cast<uint64_t>(st->day_start);
    hour = static_cast<int64_t>(
        std::min<uint64_t>(since_start / kMicrosPerHour, DayAggregates::kMaxHours - 1));
  }
  int64_t iv = 0;
  double dv = 0;
  if (type == 1 || type == 2) {
    if (sqlite3_value_type(argv[4]) == SQLITE_NULL) {
      type = 0;  // a numeric type without a value: counted, not summed
    } else if (type == 1) {
      iv = sqlite3_value_int64(argv[4]);
      dv = static_cast<double>(iv);
    } else {
      dv = sqlite3_value_double(argv[4]);
      if (!std::isfinite(dv)) {
        type = 0;
      }
    }
  }
  if (event < 0 || event >= kDenseEventIds) {
    DayAggregates::Cell c;
    c.event_id = event;
    c.hour = static_cast<int>(hour);
    c.agg.Add(type, iv, dv);
    st->far_ids.push_back(c);
    return;
  }
  size_t e = static_cast<size_t>(event);
  if (st->by_event.size() <= e) {
    st->by_event.resize(e + 1);
  }
  if (!st->by_event[e]) {
    st->by_event[e].reset(new (std::nothrow) BucketAggregate[DayAggregates::kMaxHours]);
    if (!st->by_event[e]) {
      st->failed = true;
      return;
    }
  }
  st->by_event[e][hour].Add(type, iv, dv);
}

void HourlyFinal(sqlite3_context* ctx) noexcept {
  sqlite3_result_null(ctx);
}

}  // namespace

Status DayReader::Aggregate(DayAggregates* out) {
  HourlyState st;
  st.day_start = out->day_start;
  st.max_seq = out->last_seq;
  int rc = sqlite3_create_function(db_, "itslog_hourly", 5, SQLITE_UTF8 | SQLITE_DETERMINISTIC, &st,
                                   nullptr, HourlyStep, HourlyFinal);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db_, "cannot read " + path_);
  }
  // One pass inside SQLite: no row crosses into C++ but through the aggregate's step.
  Result<Stmt> stmt = Prepare(
      db_, "SELECT itslog_hourly(seq, event, ts, type, value) FROM log WHERE seq > ?1", path_);
  Status status;
  if (stmt.ok()) {
    sqlite3_bind_int64(stmt->get(), 1, out->last_seq);
    rc = sqlite3_step(stmt->get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      status = SqliteStatus(rc, db_, "cannot read " + path_);
    }
    stmt->reset();
  } else {
    status = stmt.status();
  }
  sqlite3_create_function(db_, "itslog_hourly", 5, SQLITE_UTF8, nullptr, nullptr, nullptr, nullptr);
  if (!status.ok()) {
    return status;
  }
  if (st.failed) {
    return InternalError("out of memory aggregating " + path_);
  }
  // Merge the new cells into out->cells (both sorted by event id, hour).
  std::vector<DayAggregates::Cell> fresh;
  for (size_t e = 0; e < st.by_event.size(); ++e) {
    if (!st.by_event[e]) {
      continue;
    }
    for (int h = 0; h < DayAggregates::kMaxHours; ++h) {
      if (st.by_event[e][h].count > 0) {
        fresh.push_back(DayAggregates::Cell{static_cast<int64_t>(e), h, st.by_event[e][h]});
      }
    }
  }
  fresh.insert(fresh.end(), st.far_ids.begin(), st.far_ids.end());
  auto less = [](const DayAggregates::Cell& a, const DayAggregates::Cell& b) {
    return a.event_id != b.event_id ? a.event_id < b.event_id : a.hour < b.hour;
  };
  std::sort(fresh.begin(), fresh.end(), less);
  std::vector<DayAggregates::Cell> merged;
  merged.reserve(out->cells.size() + fresh.size());
  size_t i = 0, j = 0;
  while (i < out->cells.size() || j < fresh.size()) {
    const DayAggregates::Cell* next;
    if (j >= fresh.size() || (i < out->cells.size() && less(out->cells[i], fresh[j]))) {
      next = &out->cells[i++];
    } else {
      next = &fresh[j++];
    }
    if (!merged.empty() && merged.back().event_id == next->event_id &&
        merged.back().hour == next->hour) {
      merged.back().agg.Merge(next->agg);
    } else {
      merged.push_back(*next);
    }
  }
  merged.shrink_to_fit();
  out->cells = std::move(merged);
  out->last_seq = st.max_seq;
  return Status::Ok();
}

Result<std::vector<UniqueEntry>> DayReader::Uniques() {
  Result<Stmt> stmt =
      Prepare(db_,
              "SELECT u.event, u.seq, coalesce(l.ts, 0) FROM uniques u LEFT JOIN log l "
              "ON l.seq = u.seq ORDER BY u.seq",
              path_);
  if (!stmt.ok()) {
    return stmt.status();
  }
  std::vector<UniqueEntry> out;
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    out.push_back(UniqueEntry{sqlite3_column_int64(stmt->get(), 0),
                              sqlite3_column_int64(stmt->get(), 1),
                              sqlite3_column_int64(stmt->get(), 2)});
  }
  if (rc != SQLITE_DONE) {
    return SqliteStatus(rc, db_, "cannot read " + path_);
  }
  return out;
}

Result<std::vector<std::pair<int64_t, int64_t>>> DayReader::CountsByEvent() {
  Result<Stmt> stmt = Prepare(db_, "SELECT event, count(*) FROM log GROUP BY event", path_);
  if (!stmt.ok()) {
    return stmt.status();
  }
  std::vector<std::pair<int64_t, int64_t>> out;
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    out.emplace_back(sqlite3_column_int64(stmt->get(), 0), sqlite3_column_int64(stmt->get(), 1));
  }
  if (rc != SQLITE_DONE) {
    return SqliteStatus(rc, db_, "cannot read " + path_);
  }
  return out;
}

// DayFollower -------------------------------------------------------------------------------

namespace {
constexpr int kMaxDaysAhead = 400;  // how far a follower looks for the next existing file
}

DayFollower::DayFollower(Env* env, std::string data_dir, TimeZone zone, std::string day,
                         int64_t seq)
    : env_(env),
      data_dir_(std::move(data_dir)),
      zone_(std::move(zone)),
      day_(std::move(day)),
      seq_(seq) {}

DayFollower::~DayFollower() = default;

Status DayFollower::OpenCurrent() {
  if (reader_ != nullptr) {
    return Status::Ok();
  }
  Result<std::unique_ptr<DayReader>> r = DayReader::Open(DayFilePath(data_dir_, day_));
  if (!r.ok()) {
    return r.status();
  }
  reader_ = std::move(r).value();
  return Status::Ok();
}

// The first day after day_ up to today whose file exists with its schema; nullopt if none.
std::optional<std::string> DayFollower::NextExistingDay() {
  std::string today = zone_.DayOf(env_->NowMicros());
  if (today <= day_) {
    return std::nullopt;
  }
  std::string d = day_;
  for (int i = 0; i < kMaxDaysAhead; ++i) {
    d = AddDays(d, 1);
    if (d > today) {
      return std::nullopt;
    }
    std::string path = DayFilePath(data_dir_, d);
    if (!env_->FileExists(path)) {
      continue;
    }
    // Created but not yet initialised (its writer holds the lock): not yet.
    if (DayReader::Open(path).ok()) {
      return d;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

Result<int64_t> DayFollower::Poll(
    int64_t max_rows, const std::function<bool(const std::string& day, const RowView&)>& fn) {
  int64_t delivered = 0;
  bool stopped = false;
  auto read_current = [&](int64_t limit) -> Status {
    if (Status s = OpenCurrent(); !s.ok()) {
      return s;
    }
    if (Status s = reader_->BeginSnapshot(); !s.ok()) {
      return s;
    }
    int64_t n = 0;
    Status s = reader_->ScanRows(seq_, 0, nullptr, [&](const RowView& v) {
      if (n >= limit) {
        return false;
      }
      if (!fn(day_, v)) {
        stopped = true;
        return false;
      }
      seq_ = v.seq;
      ++n;
      return true;
    });
    reader_->EndSnapshot();
    delivered += n;
    return s;
  };
  for (int hops = 0; hops < kMaxDaysAhead; ++hops) {
    // 1. What the current day holds now.
    Status s = read_current(max_rows - delivered);
    if (!s.ok() && s.code() != Code::kNotFound) {
      return s;
    }
    if (stopped || delivered >= max_rows) {
      return delivered;
    }
    // 2. Is the day over? Only once a later file exists can no writer still add to this one.
    std::optional<std::string> next = NextExistingDay();
    if (!next) {
      return delivered;
    }
    // 3. Read what was appended between step 1 and step 2, then move on.
    s = read_current(max_rows - delivered);
    if (!s.ok() && s.code() != Code::kNotFound) {
      return s;
    }
    if (stopped || delivered >= max_rows) {
      return delivered;
    }
    reader_.reset();
    day_ = *next;
    seq_ = 0;
  }
  return delivered;
}

}  // namespace itslog
