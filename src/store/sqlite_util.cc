#include "store/sqlite_util.h"

#include <sqlite3.h>

namespace itslog {

void SqliteDbDeleter::operator()(sqlite3* db) const {
  sqlite3_close_v2(db);
}

void SqliteStmtDeleter::operator()(sqlite3_stmt* stmt) const {
  sqlite3_finalize(stmt);
}

Status SqliteStatus(int rc, sqlite3* db, std::string_view what) {
  std::string message(what);
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message += ": ";
  message += detail != nullptr ? detail : "unknown SQLite error";
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return UnavailableError("disk_full", message + " (the disk holding data_dir is full)");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError("lock_timeout", message);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
    case SQLITE_NOLFS:
    case SQLITE_AUTH:
    case SQLITE_PROTOCOL:
      return UnavailableError("storage_unavailable", message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_SCHEMA:
    case SQLITE_FORMAT:
      return CorruptError("corrupt_file", message);
    default:
      return InternalError(message);
  }
}

Result<SqliteDb> OpenSqlite(const std::string& path, bool read_only) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX |
              (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(rc, raw, "cannot open " + path);
    if (s.code() == Code::kInternal) {
      return UnavailableError("storage_unavailable", s.message());
    }
    return s;
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Status ExecSql(sqlite3* db, const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db, what);
  }
  return Status::Ok();
}

Result<Stmt> PrepareSql(sqlite3* db, std::string_view sql, std::string_view what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db, what);
  }
  return stmt;
}

Result<std::optional<std::string>> QueryText(sqlite3* db, const char* sql, std::string_view what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db, what);
  }
  rc = sqlite3_step(raw);
  if (rc == SQLITE_DONE) {
    return std::optional<std::string>();
  }
  if (rc != SQLITE_ROW) {
    return SqliteStatus(rc, db, what);
  }
  const unsigned char* text = sqlite3_column_text(raw, 0);
  if (text == nullptr) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(
      std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(raw, 0)));
}

}  // namespace itslog
