#include "control/control_db.h"

#include <sqlite3.h>

namespace itslog {
namespace {

Result<int> UserVersion(sqlite3* db, const std::string& path) {
  Result<std::optional<std::string>> v =
      QueryText(db, "SELECT CAST(user_version AS TEXT) FROM pragma_user_version",
                "cannot read the schema version of " + path);
  if (!v.ok()) {
    return v.status();
  }
  return v.value().has_value() ? std::stoi(*v.value()) : 0;
}

}  // namespace

std::string ControlDbPath(const std::string& data_dir) {
  return data_dir + "/control.sqlite";
}

Result<std::unique_ptr<ControlDb>> ControlDb::Open(const std::string& path, int busy_timeout_ms,
                                                   std::span<const ControlMigration> migrations) {
  Result<SqliteDb> opened = OpenSqlite(path, /*read_only=*/false);
  if (!opened.ok()) {
    return opened.status();
  }
  std::unique_ptr<ControlDb> control(new ControlDb(std::move(opened).value(), path));
  sqlite3* db = control->db();
  // busy_timeout first: journal_mode and the migrations wait for a process doing the same.
  std::string pragmas = "PRAGMA busy_timeout=" + std::to_string(busy_timeout_ms) +
                        "; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;";
  if (Status s = ExecSql(db, pragmas.c_str(), "cannot open " + path); !s.ok()) {
    return s;
  }
  if (Status s = EnterWalMode(db, path, busy_timeout_ms); !s.ok()) {
    return s;
  }
  if (Status s = control->Migrate(migrations); !s.ok()) {
    return s;
  }
  return control;
}

Status ControlDb::Migrate(std::span<const ControlMigration> migrations) {
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  Result<int> seen = UserVersion(db(), path_);
  if (!seen.ok()) {
    return seen.status();
  }
  if (seen.value() < newest) {
    // The version is read again inside the write transaction: another process may have
    // migrated the file between the read above and taking the lock.
    Status s = InTransaction([&]() -> Status {
      Result<int> version = UserVersion(db(), path_);
      if (!version.ok()) {
        return version.status();
      }
      if (version.value() >= newest) {
        return Status::Ok();  // done meanwhile by another process (or newer: checked below)
      }
      for (const ControlMigration& m : migrations) {
        if (m.version <= version.value()) {
          continue;
        }
        std::string what = "cannot apply schema step " + std::to_string(m.version) + " (" +
                           std::string(m.name) + ") to " + path_;
        if (Status step = ExecSql(db(), m.sql, what); !step.ok()) {
          return step;
        }
      }
      std::string set = "PRAGMA user_version=" + std::to_string(newest);
      return ExecSql(db(), set.c_str(), "cannot record the schema version of " + path_);
    });
    if (!s.ok()) {
      return s;
    }
  }
  Result<int> now = UserVersion(db(), path_);
  if (!now.ok()) {
    return now.status();
  }
  if (now.value() > newest) {
    return CorruptError("control_schema_too_new",
                        path_ + " has schema version " + std::to_string(now.value()) +
                            ", newer than this its-log knows (" + std::to_string(newest) +
                            "): upgrade its-log on this host");
  }
  schema_version_ = now.value();
  return Status::Ok();
}

Status ControlDb::InTransaction(const std::function<Status()>& fn) {
  if (Status s = ExecSql(db(), "BEGIN IMMEDIATE", "cannot write " + path_); !s.ok()) {
    return s;
  }
  Status s = fn();
  if (s.ok()) {
    s = ExecSql(db(), "COMMIT", "cannot write " + path_);
    if (s.ok()) {
      return s;
    }
  }
  // A failed COMMIT may leave the transaction open (SQLITE_BUSY): roll back either way.
  sqlite3_exec(db(), "ROLLBACK", nullptr, nullptr, nullptr);
  return s;
}

}  // namespace itslog
