// ControlDb: <data_dir>/control.sqlite, the state of its-log that is not events: keys made over
// HTTP, alert rules, channels, alert states, the delivery outbox, incidents and their timelines.
// One SQLite file in WAL mode with a versioned schema; its migrations run once each, also when
// several workers and the alerts service open the file at the same moment.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/sqlite_util.h"

struct sqlite3;

namespace itslog {

// One step of the schema's history. Versions are 1, 2, 3 ... without gaps; a step, once
// released, is never edited: a change is a new step.
struct ControlMigration {
  int version;
  std::string_view name;  // what the step adds, for logs: "keys", "alerts"
  const char* sql;        // one or more statements, run inside the step's transaction
};

// The schema's history, oldest first (control/migrations.cc).
std::span<const ControlMigration> ControlMigrations();

// <data_dir>/control.sqlite
std::string ControlDbPath(const std::string& data_dir);

class ControlDb {
 public:
  // Opens path (creating it and its WAL), then applies the migrations newer than the file's
  // PRAGMA user_version, each in a BEGIN IMMEDIATE transaction that re-reads the version
  // first, so that of several processes opening a new file at once exactly one runs each step.
  // Waits up to busy_timeout_ms for another writer (also for the switch of a new file to WAL,
  // which SQLite answers busy at once when several processes try it together). Fails kUnavailable
  // ("storage_unavailable", "lock_timeout", "disk_full"), kCorrupt "corrupt_file" for a file that
  // is not SQLite, and kCorrupt "control_schema_too_new" when the file was migrated by a newer
  // its-log than this one (its version is above every step known here). Blocks.
  static Result<std::unique_ptr<ControlDb>> Open(
      const std::string& path, int busy_timeout_ms = 5000,
      std::span<const ControlMigration> migrations = ControlMigrations());

  ControlDb(const ControlDb&) = delete;
  ControlDb& operator=(const ControlDb&) = delete;

  // The connection, for the tables' own modules (control/*.cc). Used by one thread at a time.
  sqlite3* db() const { return db_.get(); }
  const std::string& path() const { return path_; }
  // The schema version after Open: the newest migration's.
  int schema_version() const { return schema_version_; }

  // Runs fn between BEGIN IMMEDIATE and COMMIT; rolls back and returns fn's Status when it
  // fails, or the failure of BEGIN/COMMIT (kUnavailable "lock_timeout" when another writer
  // held the file longer than the busy timeout).
  Status InTransaction(const std::function<Status()>& fn);

 private:
  ControlDb(SqliteDb db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}
  Status Migrate(std::span<const ControlMigration> migrations);

  SqliteDb db_;
  std::string path_;
  int schema_version_ = 0;
};

}  // namespace itslog
