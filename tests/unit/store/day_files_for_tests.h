// Helpers of the read-side tests: day files written by the real DayStore at times a FakeEnv
// chooses, and plain-SQLite edits of them (as an attacker with the sqlite3 tool would make).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <optional>
#include <string>
#include <vector>

#include "event/event.h"
#include "lib/fake_env.h"
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

}  // namespace testing_days
}  // namespace itslog
