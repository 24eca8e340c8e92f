// Thin helpers over the SQLite C API for store/: owning handles, prepared statements, and the
// one place where SQLite's result codes become Status (codes and reasons of the contract).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace itslog
