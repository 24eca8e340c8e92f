// Helpers of the read-side tests: day files written by the real DayStore at times a FakeEnv
// chooses, and plain-SQLite edits of them (as an attacker with the sqlite3 tool would make).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto.h"
#include "event/event.h"
#include "lib/fake_env.h"
#include "store/chain.h"
#include "store/day_store.h"

namespace itslog {
namespace testing_days {

inline Event Ev(std::string app, std::string name, ValueType type = ValueType::kText,
                std::optional<std::string> value = std::nullopt, bool unique = false) {
  Event e;
  e.app = std::move(app);
  e.name = std::move(name);
  e.type = type;
  e.value = std::move(value);
  e.is_unique = unique;
  return e;
}

// Appends events one request each through a DayStore on dir at env's clock.
inline void Append(FakeEnv* env, const std::string& dir, const std::vector<Event>& events) {
  StoreOptions o;
  o.data_dir = dir;
  o.host = "test";
  DayStore store(env, o);
  for (const Event& e : events) {
    auto r = store.Append(std::span<const Event>(&e, 1));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE((*r)[0].ok()) << (*r)[0].status().ToString();
  }
}

// Runs sql on the file with plain SQLite; fails the test on an error.
inline void Sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int open_rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (open_rc != SQLITE_OK) {
    sqlite3_close_v2(db);  // SQLite allocates the handle even when the open fails
  }
  ASSERT_EQ(open_rc, SQLITE_OK) << path;
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close_v2(db);
  ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << message;
}

// Runs sql with the file's append-only triggers out of the way, then puts them back exactly as
// they were, so that the schema still matches the format and only the rows tell the tale.
inline void Tamper(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK) << path;
  std::vector<std::pair<std::string, std::string>> triggers;  // name, sql
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'", -1,
                               &stmt, nullptr),
            SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    triggers.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                          reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
  }
  sqlite3_finalize(stmt);
  std::string all = "BEGIN;";
  for (const auto& t : triggers) {
    all += "DROP TRIGGER " + t.first + ";";
  }
  all += sql + ";";
  for (const auto& t : triggers) {
    all += t.second + ";";
  }
  all += "COMMIT;";
  char* error = nullptr;
  int rc = sqlite3_exec(db, all.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close_v2(db);
  ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << message;
}

// Recomputes every row's hash from meta.chain_seed, as someone who edited rows and knows the
// (public, unkeyed) chain would, so that the chain alone no longer shows the edit.
inline void Rechain(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK) << path;
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'chain_seed'", -1, &stmt, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  std::optional<Digest> seed =
      DigestFromHex(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  sqlite3_finalize(stmt);
  ASSERT_TRUE(seed.has_value());
  struct R {
    int64_t seq, ts;
    std::string app, event;
    int type;
    std::optional<std::string> value;
  };
  std::vector<R> rows;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT l.seq, l.ts, e.app, e.name, l.type, l.value FROM log l "
                               "JOIN events e ON e.id = l.event ORDER BY l.seq",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    R r{sqlite3_column_int64(stmt, 0),
        sqlite3_column_int64(stmt, 1),
        reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2)),
        reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)),
        sqlite3_column_int(stmt, 4),
        std::nullopt};
    if (sqlite3_column_type(stmt, 5) != SQLITE_NULL) {
      r.value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 5));
    }
    rows.push_back(std::move(r));
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  Sha256 hasher;
  Digest prev = *seed;
  std::string sql;
  for (const R& r : rows) {
    ChainRow c;
    c.seq = r.seq;
    c.ts = r.ts;
    c.app = r.app;
    c.event = r.event;
    c.type = r.type;
    if (r.value) {
      c.value = std::string_view(*r.value);
    }
    prev = ChainHash(&hasher, prev, c);
    sql += "UPDATE log SET hash = x'" + HexEncode(prev) + "' WHERE seq = " + std::to_string(r.seq) +
           ";";
  }
  Tamper(path, sql);
}

}  // namespace testing_days
}  // namespace itslog
