#include "store/schema.h"

#include <sqlite3.h>

#include <cstring>

#include "store/sqlite_util.h"

namespace itslog {

// docs/DATA-FORMAT.md, "Schema". The tables are exactly the contract's. The one index serves
// readers that count or page one event over a time range (log(event, ts)); everything else a
// reader needs is the rowid (seq) or a UNIQUE constraint's own index.
const char* const kDaySchemaSql = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events(id INTEGER PRIMARY KEY, app TEXT NOT NULL, name TEXT NOT NULL,
                    UNIQUE(app, name));
CREATE TABLE log(seq INTEGER PRIMARY KEY,
                 ts INTEGER NOT NULL,
                 event INTEGER NOT NULL REFERENCES events(id),
                 type INTEGER NOT NULL CHECK(type BETWEEN 1 AND 7),
                 value TEXT,
                 is_unique INTEGER NOT NULL DEFAULT 0,
                 hash BLOB NOT NULL);
CREATE TABLE uniques(day TEXT NOT NULL, event INTEGER NOT NULL REFERENCES events(id),
                     seq INTEGER NOT NULL, UNIQUE(day, event));
CREATE TABLE idempotency(app TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,
                         UNIQUE(app, key));
CREATE INDEX log_event_ts ON log(event, ts);
CREATE VIEW entries(seq, time, app, event, value, type, is_unique) AS
  SELECT log.seq,
         strftime('%Y-%m-%dT%H:%M:%S', log.ts / 1000000, 'unixepoch') ||
           printf('.%06dZ', log.ts % 1000000),
         events.app, events.name, log.value, log.type, log.is_unique
  FROM log JOIN events ON events.id = log.event;
CREATE TRIGGER log_no_update BEFORE UPDATE ON log
  BEGIN SELECT RAISE(ABORT, 'its-log: log is append-only, rows cannot be updated'); END;
CREATE TRIGGER log_no_delete BEFORE DELETE ON log
  BEGIN SELECT RAISE(ABORT, 'its-log: log is append-only, rows cannot be deleted'); END;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'its-log: events is append-only, rows cannot be updated'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'its-log: events is append-only, rows cannot be deleted'); END;
CREATE TRIGGER uniques_no_update BEFORE UPDATE ON uniques
  BEGIN SELECT RAISE(ABORT, 'its-log: uniques is append-only, rows cannot be updated'); END;
CREATE TRIGGER uniques_no_delete BEFORE DELETE ON uniques
  BEGIN SELECT RAISE(ABORT, 'its-log: uniques is append-only, rows cannot be deleted'); END;
CREATE TRIGGER idempotency_no_update BEFORE UPDATE ON idempotency
  BEGIN SELECT RAISE(ABORT, 'its-log: idempotency is append-only, rows cannot be updated'); END;
CREATE TRIGGER idempotency_no_delete BEFORE DELETE ON idempotency
  BEGIN SELECT RAISE(ABORT, 'its-log: idempotency is append-only, rows cannot be deleted'); END;
)sql";

Status CreateDaySchema(sqlite3* db, const DayMeta& meta) {
  if (Status s = ExecSql(db, kDaySchemaSql, "cannot create the day file's schema"); !s.ok()) {
    return s;
  }
  Result<Stmt> insert = PrepareSql(db, "INSERT INTO meta(key, value) VALUES(?1, ?2)",
                                   "cannot write the day file's meta");
  if (!insert.ok()) {
    return insert.status();
  }
  const std::pair<const char*, std::string> rows[] = {
      {"format", "itslog"},
      {"version", "1"},
      {"day", meta.day},
      {"timezone", meta.timezone},
      {"chain_seed", HexEncode(meta.chain_seed)},
      {"host", meta.host},
  };
  sqlite3_stmt* stmt = insert->get();
  for (const auto& [key, value] : rows) {
    sqlite3_reset(stmt);
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
      return SqliteStatus(rc, db, "cannot write the day file's meta");
    }
  }
  return Status::Ok();
}

Result<bool> HasAnySchema(sqlite3* db) {
  Result<std::optional<std::string>> r =
      QueryText(db, "SELECT name FROM sqlite_master LIMIT 1", "cannot read the day file");
  if (!r.ok()) {
    return r.status();
  }
  return r->has_value();
}

Result<std::map<std::string, std::string>> ReadMeta(sqlite3* db) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(rc, db, "cannot read the day file's meta");
    if (s.code() == Code::kInternal) {  // "no such table": not one of our files
      return CorruptError("not_itslog_file", s.message());
    }
    return s;
  }
  std::map<std::string, std::string> meta;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    const unsigned char* k = sqlite3_column_text(raw, 0);
    const unsigned char* v = sqlite3_column_text(raw, 1);
    if (k != nullptr && v != nullptr) {
      meta[reinterpret_cast<const char*>(k)] = reinterpret_cast<const char*>(v);
    }
  }
  if (rc != SQLITE_DONE) {
    return SqliteStatus(rc, db, "cannot read the day file's meta");
  }
  return meta;
}

Result<Digest> CheckMeta(const std::map<std::string, std::string>& meta, const std::string& day,
                         const std::string& path) {
  auto get = [&](const char* key) {
    auto it = meta.find(key);
    return it == meta.end() ? std::string() : it->second;
  };
  if (get("format") != "itslog" || get("version") != "1") {
    return CorruptError("not_itslog_file",
                        path + " is not an its-log version 1 day file (meta format/version)");
  }
  if (get("day") != day) {
    return CorruptError("not_itslog_file",
                        path + " holds day " + Quote(get("day")) + ", not " + day);
  }
  std::optional<Digest> seed = DigestFromHex(get("chain_seed"));
  if (!seed) {
    return CorruptError("not_itslog_file", path + " has no valid meta.chain_seed");
  }
  return *seed;
}

Result<Digest> ChainEnd(sqlite3* db, const std::map<std::string, std::string>& meta,
                        const std::string& path) {
  sqlite3_stmt* raw = nullptr;
  int rc =
      sqlite3_prepare_v2(db, "SELECT hash FROM log ORDER BY seq DESC LIMIT 1", -1, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db, "cannot read the last hash of " + path);
  }
  rc = sqlite3_step(raw);
  if (rc == SQLITE_ROW) {
    Digest d;
    if (sqlite3_column_type(raw, 0) != SQLITE_BLOB ||
        sqlite3_column_bytes(raw, 0) != static_cast<int>(d.size())) {
      return CorruptError("corrupt_file", "the last row of " + path + " has no 32-byte hash");
    }
    std::memcpy(d.data(), sqlite3_column_blob(raw, 0), d.size());
    return d;
  }
  if (rc != SQLITE_DONE) {
    return SqliteStatus(rc, db, "cannot read the last hash of " + path);
  }
  auto it = meta.find("chain_seed");
  std::optional<Digest> seed = it == meta.end() ? std::nullopt : DigestFromHex(it->second);
  if (!seed) {
    return CorruptError("not_itslog_file", path + " has no valid meta.chain_seed");
  }
  return *seed;
}

Result<Digest> ReadLastHash(sqlite3* db, const std::string& path) {
  // One read transaction, so that the seed and the last row come from the same snapshot.
  if (Status s = ExecSql(db, "BEGIN", "cannot read " + path); !s.ok()) {
    return s;
  }
  Result<Digest> out = [&]() -> Result<Digest> {
    Result<std::map<std::string, std::string>> meta = ReadMeta(db);
    if (!meta.ok()) {
      return meta.status();
    }
    return ChainEnd(db, *meta, path);
  }();
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  return out;
}

}  // namespace itslog
