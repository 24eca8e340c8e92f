#include "store/seal.h"

#include <sqlite3.h>

#include <charconv>
#include <cstring>
#include <map>
#include <optional>

#include "core/crypto.h"
#include "core/json_writer.h"
#include "core/time_util.h"
#include "store/day_store.h"
#include "store/schema.h"
#include "store/sqlite_util.h"

namespace itslog {

namespace {

struct LogTail {
  int64_t count = 0;
  int64_t max_seq = 0;
};

Result<LogTail> ReadLogTail(sqlite3* db, const std::string& path) {
  sqlite3_stmt* raw = nullptr;
  int rc =
      sqlite3_prepare_v2(db, "SELECT count(*), coalesce(max(seq), 0) FROM log", -1, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db, "cannot count the rows of " + path);
  }
  rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) {
    return SqliteStatus(rc, db, "cannot count the rows of " + path);
  }
  return LogTail{sqlite3_column_int64(raw, 0), sqlite3_column_int64(raw, 1)};
}

Result<int64_t> ParseRows(const std::string& text, const std::string& path) {
  int64_t rows = -1;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), rows);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || rows < 0) {
    return CorruptError("corrupt_file", path + " has a bad meta.rows " + Quote(text));
  }
  return rows;
}

// The seal recorded in meta, checked against the log it describes. nullopt-like: a Status
// kNotFound "not_sealed" when meta has no sealed_at.
Result<SealInfo> SealFromMeta(sqlite3* db, const std::map<std::string, std::string>& meta,
                              const std::string& path, const std::string& day) {
  auto sealed_at = meta.find("sealed_at");
  if (sealed_at == meta.end()) {
    return Status(Code::kNotFound, "not_sealed", path + " is not sealed");
  }
  auto rows_it = meta.find("rows");
  auto hash_it = meta.find("final_hash");
  if (rows_it == meta.end() || hash_it == meta.end() || !DigestFromHex(hash_it->second)) {
    return CorruptError("corrupt_file",
                        path + " has meta.sealed_at but no valid meta.rows and meta.final_hash");
  }
  Result<int64_t> rows = ParseRows(rows_it->second, path);
  if (!rows.ok()) {
    return rows.status();
  }
  Result<LogTail> tail = ReadLogTail(db, path);
  if (!tail.ok()) {
    return tail.status();
  }
  if (tail->count != *rows || tail->max_seq != *rows) {
    return CorruptError("corrupt_file", path + " is sealed with " + std::to_string(*rows) +
                                            " rows but holds " + std::to_string(tail->count) +
                                            " (last seq " + std::to_string(tail->max_seq) + ")");
  }
  SealInfo info;
  info.day = day;
  info.rows = *rows;
  info.final_hash = hash_it->second;
  info.sealed_at = sealed_at->second;
  return info;
}

// Writes sealed_at, rows and final_hash in one write transaction (meta has no append-only
// triggers; log, events, uniques and idempotency do).
Result<SealInfo> WriteSeal(sqlite3* db, const std::string& path, const std::string& day, Env* env) {
  if (Status s = ExecSql(db, "BEGIN IMMEDIATE", "cannot seal " + path); !s.ok()) {
    return s;
  }
  Result<SealInfo> out = [&]() -> Result<SealInfo> {
    // Re-read meta inside the transaction: what we read before could be stale.
    Result<std::map<std::string, std::string>> meta = ReadMeta(db);
    if (!meta.ok()) {
      return meta.status();
    }
    if (meta->count("sealed_at") != 0) {
      return SealFromMeta(db, *meta, path, day);
    }
    Result<LogTail> tail = ReadLogTail(db, path);
    if (!tail.ok()) {
      return tail.status();
    }
    if (tail->count != tail->max_seq) {
      return CorruptError("corrupt_file", path + " has " + std::to_string(tail->count) +
                                              " rows but its last seq is " +
                                              std::to_string(tail->max_seq) +
                                              "; seq must run 1, 2, 3 ... without gaps");
    }
    Result<Digest> last = ChainEnd(db, *meta, path);
    if (!last.ok()) {
      return last.status();
    }
    SealInfo info;
    info.day = day;
    info.rows = tail->count;
    info.final_hash = HexEncode(*last);
    info.sealed_at = FormatIso8601Micros(env->NowMicros());
    info.newly_sealed = true;
    Result<Stmt> insert =
        PrepareSql(db, "INSERT INTO meta(key, value) VALUES(?1, ?2)", "cannot seal " + path);
    if (!insert.ok()) {
      return insert.status();
    }
    const std::pair<const char*, std::string> rows[] = {
        {"sealed_at", info.sealed_at},
        {"rows", std::to_string(info.rows)},
        {"final_hash", info.final_hash},
    };
    for (const auto& [key, value] : rows) {
      sqlite3_reset(insert->get());
      sqlite3_bind_text(insert->get(), 1, key, -1, SQLITE_STATIC);
      sqlite3_bind_text(insert->get(), 2, value.data(), static_cast<int>(value.size()),
                        SQLITE_STATIC);
      int rc = sqlite3_step(insert->get());
      if (rc != SQLITE_DONE) {
        return SqliteStatus(rc, db, "cannot seal " + path);
      }
    }
    return info;
  }();
  if (!out.ok()) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return out;
  }
  if (Status s = ExecSql(db, "COMMIT", "cannot seal " + path); !s.ok()) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  return out;
}

// Checkpoints the WAL into the main file and leaves WAL mode. Sets *still_wal when another
// connection keeps the file in WAL mode (the checkpoint has still emptied the WAL).
Status LeaveWal(sqlite3* db, const std::string& path, bool* still_wal) {
  *still_wal = false;
  Result<std::optional<std::string>> mode =
      QueryText(db, "PRAGMA journal_mode", "cannot read the journal mode of " + path);
  if (!mode.ok()) {
    return mode.status();
  }
  if (*mode != std::optional<std::string>("wal")) {
    return Status::Ok();
  }
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db, "cannot checkpoint " + path);
  }
  rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) {
    return SqliteStatus(rc, db, "cannot checkpoint " + path);
  }
  if (sqlite3_column_int(raw, 0) != 0) {
    return UnavailableError("lock_timeout", "cannot checkpoint " + path +
                                                ": readers kept the write-ahead log busy; "
                                                "try again");
  }
  stmt.reset();
  // Leaving WAL needs the only connection to the file; an idle worker may still hold one.
  // Don't wait for it: it lets go only when its next request comes.
  ExecSql(db, "PRAGMA busy_timeout=0", "").ok();
  rc = sqlite3_exec(db, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
    return SqliteStatus(rc, db, "cannot take " + path + " out of WAL mode");
  }
  mode = QueryText(db, "PRAGMA journal_mode", "cannot read the journal mode of " + path);
  if (!mode.ok()) {
    return mode.status();
  }
  *still_wal = *mode == std::optional<std::string>("wal");
  return Status::Ok();
}

}  // namespace

Result<SealInfo> SealDayLocked(const std::string& path, const std::string& day, Env* env,
                               int busy_timeout_ms) {
  if (!env->FileExists(path)) {
    return Status(Code::kNotFound, "not_found", "there is no day file " + path);
  }
  Result<SqliteDb> db = OpenSqlite(path, /*read_only=*/false);
  if (!db.ok()) {
    return db.status();
  }
  sqlite3* raw = db->get();
  std::string timeout = "PRAGMA busy_timeout=" + std::to_string(busy_timeout_ms);
  if (Status s = ExecSql(raw, timeout.c_str(), "cannot open " + path); !s.ok()) {
    return s;
  }
  Result<std::map<std::string, std::string>> meta = ReadMeta(raw);
  if (!meta.ok()) {
    return meta.status();
  }
  if (Result<Digest> seed = CheckMeta(*meta, day, path); !seed.ok()) {
    return seed.status();
  }
  Result<SealInfo> info = meta->count("sealed_at") != 0 ? SealFromMeta(raw, *meta, path, day)
                                                        : WriteSeal(raw, path, day, env);
  if (!info.ok()) {
    return info;
  }
  if (Status s = LeaveWal(raw, path, &info->still_wal); !s.ok()) {
    return s;
  }
  return info;
}

Result<SealInfo> SealDay(const std::string& data_dir, const std::string& day, Env* env,
                         int lock_timeout_ms) {
  std::string path = DayFilePath(data_dir, day);
  Result<FileLock> lock = env->LockExclusive(path + ".lock", lock_timeout_ms);
  if (!lock.ok()) {
    return lock.status();
  }
  return SealDayLocked(path, day, env, lock_timeout_ms);
}

Result<SealInfo> ReadSeal(const std::string& path, const std::string& day) {
  Result<SqliteDb> db = OpenSqlite(path, /*read_only=*/true);
  if (!db.ok()) {
    return db.status();
  }
  Result<std::map<std::string, std::string>> meta = ReadMeta(db->get());
  if (!meta.ok()) {
    return meta.status();
  }
  if (Result<Digest> seed = CheckMeta(*meta, day, path); !seed.ok()) {
    return seed.status();
  }
  return SealFromMeta(db->get(), *meta, path, day);
}

std::string SealJson(const SealInfo& seal, std::string_view host,
                     std::string_view file_sha256_hex) {
  JsonWriter w;
  w.BeginObject();
  w.Key("day").String(seal.day);
  if (!host.empty()) {
    w.Key("host").String(host);
  }
  w.Key("rows").Int(seal.rows);
  w.Key("final_hash").String(seal.final_hash);
  w.Key("file_sha256").String(file_sha256_hex);
  w.EndObject();
  return w.Take();
}

}  // namespace itslog
