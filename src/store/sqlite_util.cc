#include "store/sqlite_util.h"

#include <sqlite3.h>

#include <chrono>

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
  SqlQuery q(db, sql, what, what);
  Result<bool> row = q.Step();
  if (!row.ok()) {
    return row.status();
  }
  if (!*row || q.ColumnIsNull(0)) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(q.ColumnText(0));
}

SqlQuery::SqlQuery(sqlite3* db, std::string_view sql, std::string_view prepare_what,
                   std::string_view step_what)
    : db_(db), step_what_(step_what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) {
    status_ = SqliteStatus(rc, db, prepare_what);
  }
}

SqlQuery& SqlQuery::Text(std::string_view v) {
  if (status_.ok()) {
    sqlite3_bind_text(stmt_.get(), ++n_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  return *this;
}

SqlQuery& SqlQuery::Int(int64_t v) {
  if (status_.ok()) {
    sqlite3_bind_int64(stmt_.get(), ++n_, v);
  }
  return *this;
}

SqlQuery& SqlQuery::Real(double v) {
  if (status_.ok()) {
    sqlite3_bind_double(stmt_.get(), ++n_, v);
  }
  return *this;
}

SqlQuery& SqlQuery::Null() {
  if (status_.ok()) {
    sqlite3_bind_null(stmt_.get(), ++n_);
  }
  return *this;
}

Result<bool> SqlQuery::Step() {
  if (!status_.ok()) {
    return status_;
  }
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return SqliteStatus(rc, db_, step_what_);
}

Status SqlQuery::Run() {
  Result<bool> row = Step();
  return row.ok() ? Status::Ok() : row.status();
}

Result<int64_t> SqlQuery::RunChanges() {
  if (Status s = Run(); !s.ok()) {
    return s;
  }
  return static_cast<int64_t>(sqlite3_changes64(db_));
}

std::string SqlQuery::ColumnText(int col) const {
  const unsigned char* t = sqlite3_column_text(stmt_.get(), col);
  return t == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(t),
                                    static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), col)));
}

int64_t SqlQuery::ColumnInt(int col) const {
  return sqlite3_column_int64(stmt_.get(), col);
}

double SqlQuery::ColumnReal(int col) const {
  return sqlite3_column_double(stmt_.get(), col);
}

bool SqlQuery::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL;
}

std::optional<std::string> SqlQuery::ColumnOptText(int col) const {
  return ColumnIsNull(col) ? std::nullopt : std::optional<std::string>(ColumnText(col));
}

std::optional<int64_t> SqlQuery::ColumnOptInt(int col) const {
  return ColumnIsNull(col) ? std::nullopt : std::optional<int64_t>(ColumnInt(col));
}

Status EnterWalMode(sqlite3* db, const std::string& path, int busy_timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (;;) {
    Result<std::optional<std::string>> mode =
        QueryText(db, "PRAGMA journal_mode=WAL", "cannot open " + path);
    if (mode.ok()) {
      if (mode.value() == std::optional<std::string>("wal")) {
        return Status::Ok();
      }
      return UnavailableError("storage_unavailable",
                              "cannot put " + path +
                                  " in WAL mode (does the filesystem support shared memory "
                                  "and locks?)");
    }
    if (mode.status().reason() != "lock_timeout" || std::chrono::steady_clock::now() >= deadline) {
      return mode.status();
    }
    sqlite3_sleep(10);
  }
}

}  // namespace itslog
