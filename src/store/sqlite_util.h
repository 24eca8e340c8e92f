// Thin helpers over the SQLite C API for store/: owning handles, prepared statements, and the
// one place where SQLite's result codes become Status (codes and reasons of the contract).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace itslog {

struct SqliteDbDeleter {
  void operator()(sqlite3* db) const;  // sqlite3_close_v2
};
struct SqliteStmtDeleter {
  void operator()(sqlite3_stmt* stmt) const;  // sqlite3_finalize
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteDbDeleter>;
using Stmt = std::unique_ptr<sqlite3_stmt, SqliteStmtDeleter>;

// Maps a SQLite result code (primary or extended) to a Status; what names the failed step
// and the file, e.g. "cannot write /var/lib/itslog/2025-03-01-v1.itslog". db, if given,
// supplies SQLite's own message. Mapping:
//   SQLITE_FULL                                  -> kUnavailable "disk_full"
//   SQLITE_BUSY, SQLITE_LOCKED                   -> kUnavailable "lock_timeout"
//   SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_READONLY, SQLITE_PERM, SQLITE_NOMEM, SQLITE_NOLFS,
//   SQLITE_AUTH, SQLITE_PROTOCOL                 -> kUnavailable "storage_unavailable"
//   SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_SCHEMA, SQLITE_FORMAT -> kCorrupt "corrupt_file"
//   anything else (constraint, misuse, ...)      -> kInternal
// rc must not be SQLITE_OK, SQLITE_ROW or SQLITE_DONE.
Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

// Opens path. read_only: SQLITE_OPEN_READONLY; else read-write, creating the file if missing.
// Extended result codes are enabled. Fails as SqliteStatus (a missing or unopenable file:
// kUnavailable "storage_unavailable").
Result<SqliteDb> OpenSqlite(const std::string& path, bool read_only);

// Runs one or more statements that return no rows we need.
Status ExecSql(sqlite3* db, const char* sql, std::string_view what);

// Prepares one statement meant to be kept and reused (SQLITE_PREPARE_PERSISTENT).
Result<Stmt> PrepareSql(sqlite3* db, std::string_view sql, std::string_view what);

// Runs a single-valued query that returns at most one row with one TEXT column; nullopt when
// there is no row or the value is NULL.
Result<std::optional<std::string>> QueryText(sqlite3* db, const char* sql, std::string_view what);

// Puts the file in WAL mode (PRAGMA journal_mode=WAL) and checks that it is. Switching needs
// the file's exclusive lock, and SQLite answers SQLITE_BUSY at once, without its busy handler,
// when waiting could deadlock (several processes each holding the shared lock of their first
// read): the switch is then retried every 10 ms until busy_timeout_ms have passed. Fails
// kUnavailable "storage_unavailable" when SQLite keeps the file in another mode (a filesystem
// without shared memory or locks), else as SqliteStatus.
Status EnterWalMode(sqlite3* db, const std::string& path, int busy_timeout_ms);

// One statement run once: binds by position (1-based, in call order), steps, reads the
// columns of the current row. A failed prepare is kept: the binds then do nothing and every
// Step returns it. Fails as SqliteStatus: prepare_what names a failed prepare, step_what a
// failed step. Borrows db, which must outlive it; blocks on SQLite; one thread at a time.
class SqlQuery {
 public:
  SqlQuery(sqlite3* db, std::string_view sql, std::string_view prepare_what,
           std::string_view step_what);

  SqlQuery& Text(std::string_view v);
  SqlQuery& Int(int64_t v);
  SqlQuery& Real(double v);
  SqlQuery& Null();
  SqlQuery& OptText(const std::optional<std::string>& v) { return v ? Text(*v) : Null(); }
  SqlQuery& OptInt(const std::optional<int64_t>& v) { return v ? Int(*v) : Null(); }
  SqlQuery& OptReal(const std::optional<double>& v) { return v ? Real(*v) : Null(); }

  // True with a row to read, false when done.
  Result<bool> Step();
  // Steps once, for a statement whose rows (if any) are not needed.
  Status Run();
  // Runs, then how many rows the statement inserted, changed or deleted.
  Result<int64_t> RunChanges();
  // Steps to the end; each row becomes from(*this).
  template <typename F>
  Result<std::vector<std::invoke_result_t<F&, const SqlQuery&>>> All(F from);
  // Steps once: from(*this) of the first row, nullopt when there is none.
  template <typename F>
  Result<std::optional<std::invoke_result_t<F&, const SqlQuery&>>> One(F from);

  // The current row's columns, 0-based; a NULL reads as "" or 0 but for the Opt readers.
  std::string ColumnText(int col) const;
  int64_t ColumnInt(int col) const;
  double ColumnReal(int col) const;
  bool ColumnIsNull(int col) const;
  std::optional<std::string> ColumnOptText(int col) const;
  std::optional<int64_t> ColumnOptInt(int col) const;

 private:
  sqlite3* db_;
  Stmt stmt_;
  Status status_;  // a failed prepare
  std::string step_what_;
  int n_ = 0;  // binds so far
};

template <typename F>
Result<std::vector<std::invoke_result_t<F&, const SqlQuery&>>> SqlQuery::All(F from) {
  std::vector<std::invoke_result_t<F&, const SqlQuery&>> out;
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok()) {
      return row.status();
    }
    if (!*row) {
      return out;
    }
    out.push_back(from(*this));
  }
}

template <typename F>
Result<std::optional<std::invoke_result_t<F&, const SqlQuery&>>> SqlQuery::One(F from) {
  using Made = std::invoke_result_t<F&, const SqlQuery&>;
  Result<bool> row = Step();
  if (!row.ok()) {
    return row.status();
  }
  if (!*row) {
    return std::optional<Made>();
  }
  return std::optional<Made>(from(*this));
}

}  // namespace itslog
