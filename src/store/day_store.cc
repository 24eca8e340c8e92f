#include "store/day_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <unordered_map>

#include "core/crypto.h"
#include "core/host_id.h"
#include "store/chain.h"
#include "store/schema.h"
#include "store/sqlite_util.h"

namespace itslog {

std::string DayFileName(const std::string& day) {
  return day + "-v1.itslog";
}

std::string DayFilePath(const std::string& data_dir, const std::string& day) {
  std::string path = data_dir;
  if (!path.empty() && path.back() != '/') {
    path += '/';
  }
  return path + DayFileName(day);
}

namespace {

// How often the day may change between reading the clock and holding that day's lock before
// we give up (only a clock jumping back and forth could need more than two rounds).
constexpr int kMaxDayRetries = 100;
// Page cache of a writer connection, in KiB (see OpenDay).
constexpr int kWriterCacheKiB = 512;

// Resets a statement when the step using it is done, whatever the outcome.
class StepScope {
 public:
  explicit StepScope(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StepScope() { sqlite3_reset(stmt_); }
  StepScope(const StepScope&) = delete;
  StepScope& operator=(const StepScope&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

void BindText(sqlite3_stmt* stmt, int index, std::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

// The key of the event id cache: app and name joined by a NUL byte, which neither contains.
void MakeEventKey(std::string* out, std::string_view app, std::string_view name) {
  out->assign(app);
  out->push_back('\0');
  out->append(name);
}

// The latest day named by a "YYYY-MM-DD-v1.itslog" file in data_dir, "" if none (or the
// directory cannot be listed: the next step that needs it reports that).
std::string NewestDayFile(const std::string& data_dir) {
  static constexpr std::string_view kSuffix = "-v1.itslog";
  std::string newest;
  DIR* dir = opendir(data_dir.c_str());
  if (dir == nullptr) {
    return newest;
  }
  while (dirent* e = readdir(dir)) {
    std::string_view name = e->d_name;
    if (name.size() != 10 + kSuffix.size() || !name.ends_with(kSuffix)) {
      continue;
    }
    std::string day(name.substr(0, 10));
    if (day > newest && ParseDay(day)) {
      newest = std::move(day);
    }
  }
  closedir(dir);
  return newest;
}

Status SealedError(const std::string& day) {
  return UnavailableError("day_sealed", "the day " + day +
                                            " is sealed and takes no more events (is the "
                                            "server's clock right?)");
}

// One open day file: its connection, its prepared statements and its event ids.
struct Connection {
  SqliteDb db;  // declared first: destroyed after the statements
  std::string day;
  std::string path;
  std::string lock_path;
  Digest chain_seed{};
  Stmt begin, commit, rollback, savepoint, release, rollback_to;
  Stmt sealed, last_row;
  Stmt find_event, count_events, insert_event;
  Stmt insert_idempotency, find_idempotency, insert_unique, find_unique;
  Stmt insert_log;
  // (app, name) -> events.id, only for rows known to be committed.
  std::unordered_map<std::string, int64_t> event_ids;
  // When to sync and to checkpoint the log (OnWalCommit).
  std::string log_path;
  LogSyncer* syncer = nullptr;  // null: only the checkpoint syncs the log
  int log_sync_frames = 0;
  int checkpoint_frames = 0;
  int synced_up_to = 0;  // frames of the log the latest sync request covered
};

// SQLite calls this after every commit, with the size of the log in frames. It takes the
// place of SQLite's autocheckpoint (sqlite3_wal_hook replaces it) and does the same, and
// first asks for the log to be synced ahead of that checkpoint.
int OnWalCommit(void* ctx, sqlite3* db, const char* name, int frames) noexcept {
  auto* c = static_cast<Connection*>(ctx);
  if (frames < c->synced_up_to) {
    c->synced_up_to = 0;  // the log was started over
  }
  if (c->syncer != nullptr && frames - c->synced_up_to >= c->log_sync_frames) {
    c->synced_up_to = frames;
    c->syncer->Request(c->log_path);
  }
  if (frames >= c->checkpoint_frames) {
    // Holding the day's lock, so no one appends and the copy reaches the end of the log:
    // the next writer then starts the log over.
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

}  // namespace

struct DayStore::Impl {
  Env* env;
  StoreOptions options;
  Sha256 hasher;
  std::unique_ptr<Connection> conn;
  // The lock file of the day last written, kept open between commits.
  LockFile day_lock;
  std::string key_buf;
  // Event ids inserted or first seen in the open transaction; joined to conn->event_ids only
  // after the commit, so a rolled-back insert never leaves a stale id.
  std::unordered_map<std::string, int64_t> pending_ids;
  // Declared last, so destroyed first: no sync is running when conn closes (and removes the
  // log, if it is the file's last connection).
  std::unique_ptr<LogSyncer> syncer;

  Impl(Env* e, StoreOptions o) : env(e), options(std::move(o)) {
    if (options.sync_log_in_background) {
      syncer = std::make_unique<LogSyncer>(env);
    }
    if (options.host.empty()) {
      options.host = DefaultHostId();
    }
  }

  // The newest day with a file in data_dir, as last seen ("" before the first append): a
  // clock that steps back never takes a writer to an older day (LockToday).
  std::string newest_day;
  bool newest_day_scanned = false;
  // The file of the day after next_day_of, whose existence LockToday checks on every append.
  std::string next_day_of;
  std::string next_day_path;

  Result<FileLock> LockToday(int64_t* now, std::string* day);
  Result<Digest> PreviousDayHash(const std::string& day);
  Result<std::unique_ptr<Connection>> OpenDay(const std::string& day);
  Status PrepareStatements(Connection* c);
  Status EventId(const Event& event, int64_t* id, Status* item_error);
  Result<std::vector<Result<AppendOutcome>>> AppendInTransaction(std::span<const Event> events,
                                                                 int64_t now);
  Status Fail(Status s);
};

// docs/DATA-FORMAT.md, "Clock": the day a writer appends to is the later of the clock's day
// and the newest day file there is. It takes that day's lock, then re-reads the clock and
// looks for the next day's file under the lock:
// - the clock has passed midnight meanwhile: it tries the new day;
// - the next day's file exists: this day takes no more rows (its successor may have taken
//   its last hash as chain_seed already), so it moves on to the newest day;
// - else it appends here, with a timestamp no earlier than the day's start (a clock that
//   stepped back writes the newest day's latest time, AppendInTransaction).
// A writer creating day D+1 creates its file before it takes D's lock to read D's last hash
// (OpenDay, PreviousDayHash), so a writer of D either sees that file under D's lock or
// commits before the hash is read: the link chain_seed = previous day's last hash holds, with
// any number of processes and clocks that disagree.
Result<FileLock> DayStore::Impl::LockToday(int64_t* now, std::string* day) {
  if (!newest_day_scanned) {
    newest_day = NewestDayFile(options.data_dir);
    newest_day_scanned = true;
  }
  for (int i = 0; i < kMaxDayRetries; ++i) {
    std::string guess = std::max(options.zone.DayOf(env->NowMicros()), newest_day);
    std::string lock_path = conn != nullptr && conn->day == guess
                                ? conn->lock_path
                                : DayFilePath(options.data_dir, guess) + ".lock";
    Result<FileLock> lock =
        env->LockExclusiveKeepingOpen(&day_lock, lock_path, options.lock_timeout_ms);
    if (!lock.ok()) {
      return lock.status();
    }
    int64_t t = env->NowMicros();
    if (options.zone.DayOf(t) > guess) {
      continue;  // past midnight while waiting for the lock
    }
    if (next_day_of != guess) {
      next_day_of = guess;
      next_day_path = DayFilePath(options.data_dir, AddDays(guess, 1));
    }
    if (env->FileExists(next_day_path)) {
      newest_day = std::max(NewestDayFile(options.data_dir), AddDays(guess, 1));
      continue;  // releases this day's lock before taking a later day's
    }
    newest_day = guess;
    *now = std::max(t, options.zone.StartOfDay(guess));
    *day = std::move(guess);
    return lock;
  }
  return UnavailableError("storage_unavailable",
                          "the clock kept changing the calendar day while taking the lock");
}

// The chain seed of a new file for day: the last hash of the previous calendar day's file if
// it is here, else 32 zero bytes. Called with day's lock held; takes the previous day's lock
// (lock order: newer day first) so that no writer of that day is still appending.
Result<Digest> DayStore::Impl::PreviousDayHash(const std::string& day) {
  Digest zero{};
  std::string prev_path = DayFilePath(options.data_dir, AddDays(day, -1));
  if (!env->FileExists(prev_path)) {
    return zero;
  }
  Result<FileLock> lock = env->LockExclusive(prev_path + ".lock", options.lock_timeout_ms);
  if (!lock.ok()) {
    return lock.status();
  }
  Result<Digest> last = [&]() -> Result<Digest> {
    Result<SqliteDb> db = OpenSqlite(prev_path, /*read_only=*/true);
    if (!db.ok()) {
      return db.status();
    }
    Result<bool> has_schema = HasAnySchema(db->get());
    if (!has_schema.ok()) {
      return has_schema.status();
    }
    if (!*has_schema) {
      return zero;  // created but never initialised: it holds no chain to continue
    }
    return ReadLastHash(db->get(), prev_path);
  }();
  if (!last.ok() && last.status().code() == Code::kCorrupt) {
    // Refuse rather than silently start a new chain; the operator decides.
    return CorruptError(last.status().reason(), last.status().message() +
                                                    "; the new day's file takes its chain_seed "
                                                    "from it: repair it or move it aside");
  }
  return last;
}

Status DayStore::Impl::PrepareStatements(Connection* c) {
  sqlite3* db = c->db.get();
  const struct {
    Stmt* stmt;
    const char* sql;
  } statements[] = {
      {&c->begin, "BEGIN IMMEDIATE"},
      {&c->commit, "COMMIT"},
      {&c->rollback, "ROLLBACK"},
      {&c->savepoint, "SAVEPOINT item"},
      {&c->release, "RELEASE item"},
      {&c->rollback_to, "ROLLBACK TO item"},
      {&c->sealed, "SELECT value FROM meta WHERE key = 'sealed_at'"},
      {&c->last_row, "SELECT seq, ts, hash FROM log ORDER BY seq DESC LIMIT 1"},
      {&c->find_event, "SELECT id FROM events WHERE app = ?1 AND name = ?2"},
      {&c->count_events, "SELECT count(*) FROM events WHERE app = ?1"},
      {&c->insert_event, "INSERT INTO events(app, name) VALUES(?1, ?2)"},
      {&c->insert_idempotency,
       "INSERT OR IGNORE INTO idempotency(app, key, seq) VALUES(?1, ?2, ?3)"},
      {&c->find_idempotency, "SELECT seq FROM idempotency WHERE app = ?1 AND key = ?2"},
      {&c->insert_unique, "INSERT OR IGNORE INTO uniques(day, event, seq) VALUES(?1, ?2, ?3)"},
      {&c->find_unique, "SELECT seq FROM uniques WHERE day = ?1 AND event = ?2"},
      {&c->insert_log,
       "INSERT INTO log(seq, ts, event, type, value, is_unique, hash) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
  };
  for (const auto& s : statements) {
    Result<Stmt> stmt = PrepareSql(db, s.sql, "cannot prepare a statement on " + c->path);
    if (!stmt.ok()) {
      return stmt.status();
    }
    *s.stmt = std::move(stmt).value();
  }
  return Status::Ok();
}

// Opens day's file, creating it (schema, meta, chain seed in one transaction) if it has no
// schema yet. Called with day's lock held, so no other writer can be initialising it too.
Result<std::unique_ptr<Connection>> DayStore::Impl::OpenDay(const std::string& day) {
  auto c = std::make_unique<Connection>();
  c->day = day;
  c->path = DayFilePath(options.data_dir, day);
  c->lock_path = c->path + ".lock";
  Result<SqliteDb> db = OpenSqlite(c->path, /*read_only=*/false);
  if (!db.ok()) {
    return db.status();
  }
  c->db = std::move(db).value();
  sqlite3* raw = c->db.get();
  // busy_timeout comes first: the next pragmas read the schema, and while another process
  // closes its last connection to the file (checkpointing and removing the WAL under an
  // exclusive lock, outside our lock file) that read must wait, not fail. Otherwise it is
  // only a safety net: our writers wait on the lock file, not on SQLite.
  // A writer only appends and looks up a few index pages, so a small page cache serves it as
  // well as SQLite's default of 2 MiB and keeps every worker's memory flat as the day grows.
  std::string pragmas =
      "PRAGMA busy_timeout=" + std::to_string(options.lock_timeout_ms) +
      "; PRAGMA synchronous=" + std::string(options.durability_full ? "FULL" : "NORMAL") +
      "; PRAGMA cache_size=-" + std::to_string(kWriterCacheKiB) + ";";
  if (Status s = ExecSql(raw, pragmas.c_str(), "cannot open " + c->path); !s.ok()) {
    return s;
  }
  Result<bool> has_schema = HasAnySchema(raw);
  if (!has_schema.ok()) {
    return has_schema.status();
  }
  if (*has_schema) {
    // A sealed day has left WAL mode and its bytes are published (seal file_sha256): refuse
    // it before anything could write to it, the journal mode included.
    Result<std::map<std::string, std::string>> meta = ReadMeta(raw);
    if (!meta.ok()) {
      return meta.status();
    }
    if (meta->count("sealed_at") != 0) {
      return SealedError(day);
    }
  }
  if (Status s = EnterWalMode(raw, c->path, options.lock_timeout_ms); !s.ok()) {
    return s;
  }
  c->log_path = c->path + "-wal";
  c->syncer = syncer.get();
  c->log_sync_frames = std::max(1, options.log_sync_frames);
  c->checkpoint_frames = std::max(1, options.checkpoint_frames);
  sqlite3_wal_hook(raw, OnWalCommit, c.get());
  if (!*has_schema) {
    Result<Digest> seed = PreviousDayHash(day);
    if (!seed.ok()) {
      return seed.status();
    }
    DayMeta meta{day, options.zone.name(), *seed, options.host};
    if (Status s = ExecSql(raw, "BEGIN IMMEDIATE", "cannot create " + c->path); !s.ok()) {
      return s;
    }
    Status s = CreateDaySchema(raw, meta);
    if (s.ok()) {
      s = ExecSql(raw, "COMMIT", "cannot create " + c->path);
    }
    if (!s.ok()) {
      sqlite3_exec(raw, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
  }
  Result<std::map<std::string, std::string>> meta = ReadMeta(raw);
  if (!meta.ok()) {
    return meta.status();
  }
  Result<Digest> seed = CheckMeta(*meta, day, c->path);
  if (!seed.ok()) {
    return seed.status();
  }
  c->chain_seed = *seed;
  if (Status s = PrepareStatements(c.get()); !s.ok()) {
    return s;
  }
  return c;
}

// Rolls the open transaction back and forgets the connection (the next call reopens the
// file, which also recovers from a file that was moved or replaced).
Status DayStore::Impl::Fail(Status s) {
  if (conn != nullptr) {
    if (!sqlite3_get_autocommit(conn->db.get())) {
      StepScope scope(conn->rollback.get());
      sqlite3_step(conn->rollback.get());
    }
    conn.reset();
  }
  pending_ids.clear();
  return s;
}

// Finds or creates the id of (app, name). A name new for the app in this file past the cap
// sets *item_error (the event alone fails); a storage failure is returned (the call fails).
Status DayStore::Impl::EventId(const Event& event, int64_t* id, Status* item_error) {
  MakeEventKey(&key_buf, event.app, event.name);
  if (auto it = conn->event_ids.find(key_buf); it != conn->event_ids.end()) {
    *id = it->second;
    return Status::Ok();
  }
  if (auto it = pending_ids.find(key_buf); it != pending_ids.end()) {
    *id = it->second;
    return Status::Ok();
  }
  sqlite3* db = conn->db.get();
  auto failed = [&](int rc) { return SqliteStatus(rc, db, "cannot write " + conn->path); };
  {
    sqlite3_stmt* find = conn->find_event.get();
    StepScope scope(find);
    BindText(find, 1, event.app);
    BindText(find, 2, event.name);
    int rc = sqlite3_step(find);
    if (rc == SQLITE_ROW) {
      *id = sqlite3_column_int64(find, 0);
      pending_ids.emplace(key_buf, *id);
      return Status::Ok();
    }
    if (rc != SQLITE_DONE) {
      return failed(rc);
    }
  }
  {
    sqlite3_stmt* count = conn->count_events.get();
    StepScope scope(count);
    BindText(count, 1, event.app);
    int rc = sqlite3_step(count);
    if (rc != SQLITE_ROW) {
      return failed(rc);
    }
    int64_t names = sqlite3_column_int64(count, 0);
    if (names >= options.max_event_names_per_app_per_day) {
      *item_error =
          Status(Code::kUnprocessable, "too_many_event_names",
                 "app " + Quote(event.app) + " already has " + std::to_string(names) +
                     " distinct event names today (the limit is " +
                     std::to_string(options.max_event_names_per_app_per_day) +
                     "), so the new name " + Quote(event.name) +
                     " was refused; event names should be a fixed set: put what varies (ids, "
                     "timestamps, user names) in the value, not in the name",
                 "event");
      return Status::Ok();
    }
  }
  sqlite3_stmt* insert = conn->insert_event.get();
  StepScope scope(insert);
  BindText(insert, 1, event.app);
  BindText(insert, 2, event.name);
  int rc = sqlite3_step(insert);
  if (rc != SQLITE_DONE) {
    return failed(rc);
  }
  *id = sqlite3_last_insert_rowid(db);
  pending_ids.emplace(key_buf, *id);
  return Status::Ok();
}

Result<std::vector<Result<AppendOutcome>>> DayStore::Impl::AppendInTransaction(
    std::span<const Event> events, int64_t now) {
  sqlite3* db = conn->db.get();
  pending_ids.clear();
  auto failed = [&](int rc) { return Fail(SqliteStatus(rc, db, "cannot write " + conn->path)); };
  // Steps a statement that returns no row.
  auto exec = [&](Stmt& stmt) {
    StepScope scope(stmt.get());
    return sqlite3_step(stmt.get());
  };
  // Steps a single-integer query: *out is set if there was a row.
  auto query_int = [&](sqlite3_stmt* stmt, std::optional<int64_t>* out) {
    StepScope scope(stmt);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      *out = sqlite3_column_int64(stmt, 0);
      return SQLITE_DONE;
    }
    return rc;
  };

  if (int rc = exec(conn->begin); rc != SQLITE_DONE) {
    return failed(rc);
  }
  // Fail() closes the connection and with it every statement, so each block below leaves its
  // StepScope (which resets the statement) before failing.
  int sealed_rc = SQLITE_DONE;
  {
    StepScope scope(conn->sealed.get());
    sealed_rc = sqlite3_step(conn->sealed.get());
  }
  if (sealed_rc == SQLITE_ROW) {
    return Fail(SealedError(conn->day));
  }
  if (sealed_rc != SQLITE_DONE) {
    return failed(sealed_rc);
  }
  // The last row, read inside the write transaction: other processes append too.
  int64_t seq = 0;
  int64_t last_ts = INT64_MIN;
  Digest prev = conn->chain_seed;
  int last_rc = SQLITE_DONE;
  bool last_hash_ok = true;
  {
    sqlite3_stmt* last = conn->last_row.get();
    StepScope scope(last);
    last_rc = sqlite3_step(last);
    if (last_rc == SQLITE_ROW) {
      seq = sqlite3_column_int64(last, 0);
      last_ts = sqlite3_column_int64(last, 1);
      last_hash_ok = sqlite3_column_type(last, 2) == SQLITE_BLOB &&
                     sqlite3_column_bytes(last, 2) == static_cast<int>(prev.size());
      if (last_hash_ok) {
        std::memcpy(prev.data(), sqlite3_column_blob(last, 2), prev.size());
      }
    }
  }
  if (last_rc != SQLITE_ROW && last_rc != SQLITE_DONE) {
    return failed(last_rc);
  }
  if (!last_hash_ok) {
    return Fail(CorruptError("corrupt_file", "the last row of " + conn->path +
                                                 " has no 32-byte hash; the file was edited"));
  }
  // ts never decreases along seq, even if the wall clock steps back.
  const int64_t ts = std::max(now, last_ts);

  std::vector<Result<AppendOutcome>> outcomes;
  outcomes.reserve(events.size());
  for (const Event& event : events) {
    const int type = static_cast<int>(event.type);
    if (type < 1 || type > 7) {
      outcomes.push_back(
          InvalidError("invalid_type",
                       "type must be an integer from 1 to 7, not " + std::to_string(type), "type"));
      continue;
    }
    int64_t event_id = 0;
    Status item_error;
    if (Status s = EventId(event, &event_id, &item_error); !s.ok()) {
      return Fail(s);
    }
    if (!item_error.ok()) {
      outcomes.push_back(std::move(item_error));
      continue;
    }
    const int64_t next = seq + 1;
    // With both a key and uniqueness, the first may be inserted and the second turn out a
    // duplicate; a unique event may turn out claimed by another host: a savepoint takes the
    // inserts back (the triggers forbid DELETE).
    const bool both =
        event.is_unique && (event.idempotency_key.has_value() || options.unique_claim);
    if (both) {
      if (int rc = exec(conn->savepoint); rc != SQLITE_DONE) {
        return failed(rc);
      }
    }
    std::optional<int64_t> duplicate_of;
    bool replayed = false;
    if (event.idempotency_key) {
      sqlite3_stmt* insert = conn->insert_idempotency.get();
      BindText(insert, 1, event.app);
      BindText(insert, 2, *event.idempotency_key);
      sqlite3_bind_int64(insert, 3, next);
      if (int rc = exec(conn->insert_idempotency); rc != SQLITE_DONE) {
        return failed(rc);
      }
      if (sqlite3_changes(db) == 0) {
        sqlite3_stmt* find = conn->find_idempotency.get();
        BindText(find, 1, event.app);
        BindText(find, 2, *event.idempotency_key);
        if (int rc = query_int(find, &duplicate_of); rc != SQLITE_DONE || !duplicate_of) {
          return Fail(rc != SQLITE_DONE ? SqliteStatus(rc, db, "cannot read " + conn->path)
                                        : InternalError("idempotency row vanished"));
        }
        replayed = true;
      }
    }
    if (!duplicate_of && event.is_unique) {
      sqlite3_stmt* insert = conn->insert_unique.get();
      BindText(insert, 1, conn->day);
      sqlite3_bind_int64(insert, 2, event_id);
      sqlite3_bind_int64(insert, 3, next);
      if (int rc = exec(conn->insert_unique); rc != SQLITE_DONE) {
        return failed(rc);
      }
      if (sqlite3_changes(db) == 0) {
        sqlite3_stmt* find = conn->find_unique.get();
        BindText(find, 1, conn->day);
        sqlite3_bind_int64(find, 2, event_id);
        if (int rc = query_int(find, &duplicate_of); rc != SQLITE_DONE || !duplicate_of) {
          return Fail(rc != SQLITE_DONE ? SqliteStatus(rc, db, "cannot read " + conn->path)
                                        : InternalError("uniques row vanished"));
        }
      }
    }
    // docs/OPERATIONS.md, "Running several hosts": the bucket's claim decides whether a
    // unique event new to this file is stored.
    UniqueClaim claim = UniqueClaim::kOurs;
    if (!duplicate_of && event.is_unique && options.unique_claim) {
      claim = options.unique_claim(conn->day, event);
    }
    if (both) {
      if (duplicate_of || claim != UniqueClaim::kOurs) {
        if (int rc = exec(conn->rollback_to); rc != SQLITE_DONE) {
          return failed(rc);
        }
      }
      if (int rc = exec(conn->release); rc != SQLITE_DONE) {
        return failed(rc);
      }
    }
    if (duplicate_of) {
      outcomes.push_back(AppendOutcome{*duplicate_of, true, conn->day, replayed});
      continue;
    }
    if (claim != UniqueClaim::kOurs) {
      AppendOutcome o{0, claim != UniqueClaim::kUnknown, conn->day,
                      claim == UniqueClaim::kOthersReplay};
      o.unclaimed = claim == UniqueClaim::kUnknown;
      outcomes.push_back(std::move(o));
      continue;
    }
    ChainRow row;
    row.seq = next;
    row.ts = ts;
    row.app = event.app;
    row.event = event.name;
    row.type = type;
    if (event.value) {
      row.value = std::string_view(*event.value);
    }
    Digest hash = ChainHash(&hasher, prev, row);
    sqlite3_stmt* insert = conn->insert_log.get();
    sqlite3_bind_int64(insert, 1, next);
    sqlite3_bind_int64(insert, 2, ts);
    sqlite3_bind_int64(insert, 3, event_id);
    sqlite3_bind_int(insert, 4, type);
    if (event.value) {
      BindText(insert, 5, *event.value);
    } else {
      sqlite3_bind_null(insert, 5);
    }
    sqlite3_bind_int(insert, 6, event.is_unique ? 1 : 0);
    sqlite3_bind_blob(insert, 7, hash.data(), static_cast<int>(hash.size()), SQLITE_STATIC);
    if (int rc = exec(conn->insert_log); rc != SQLITE_DONE) {
      return failed(rc);
    }
    seq = next;
    prev = hash;
    outcomes.push_back(AppendOutcome{next, false, conn->day});
  }
  if (int rc = exec(conn->commit); rc != SQLITE_DONE) {
    return failed(rc);
  }
  for (auto& [key, id] : pending_ids) {
    conn->event_ids.emplace(key, id);
  }
  pending_ids.clear();
  return outcomes;
}

DayStore::DayStore(Env* env, StoreOptions options)
    : impl_(std::make_unique<Impl>(env, std::move(options))) {}

DayStore::~DayStore() = default;

Result<std::vector<Result<AppendOutcome>>> DayStore::Append(std::span<const Event> events) {
  if (events.empty()) {
    return std::vector<Result<AppendOutcome>>();
  }
  int64_t now = 0;
  std::string day;
  Result<FileLock> lock = impl_->LockToday(&now, &day);
  if (!lock.ok()) {
    return lock.status();
  }
  if (impl_->conn == nullptr || impl_->conn->day != day) {
    impl_->conn.reset();  // close the previous day's file first
    Result<std::unique_ptr<Connection>> conn = impl_->OpenDay(day);
    if (!conn.ok()) {
      return conn.status();
    }
    impl_->conn = std::move(conn).value();
  }
  return impl_->AppendInTransaction(events, now);
  // lock released here, after the commit
}

LogSyncer::Stats DayStore::log_sync_stats() {
  return impl_->syncer == nullptr ? LogSyncer::Stats() : impl_->syncer->stats();
}

void DayStore::WaitForLogSync() {
  if (impl_->syncer != nullptr) {
    impl_->syncer->WaitIdle();
  }
}

DayStore::Health DayStore::CheckHealth() {
  Health h;
  const StoreOptions& o = impl_->options;
  h.today_file = DayFileName(o.zone.DayOf(impl_->env->NowMicros()));
  h.free_bytes = impl_->env->FreeBytes(o.data_dir);
  std::string probe = o.data_dir + "/.itslog-health-" + std::to_string(getpid());
  int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    h.reason = "storage_unavailable";
    h.message = "cannot create a file in data_dir " + o.data_dir + ": " + std::strerror(errno);
    return h;
  }
  close(fd);
  unlink(probe.c_str());
  if (h.free_bytes && *h.free_bytes < kMinFreeBytes) {
    h.reason = "disk_full";
    h.message =
        "only " + std::to_string(*h.free_bytes) + " bytes are free in data_dir " + o.data_dir;
    return h;
  }
  h.writable = true;
  return h;
}

}  // namespace itslog
