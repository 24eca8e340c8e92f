#include "store/group_commit.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <set>
#include <thread>

#include "lib/fake_env.h"
#include "lib/temp_dir.h"

namespace itslog {
namespace {

Event Named(const std::string& name, const std::string& value) {
  Event e;
  e.app = "app";
  e.name = name;
  e.value = value;
  return e;
}

std::multiset<std::string> ValuesIn(const std::string& file) {
  std::multiset<std::string> out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT value FROM log ORDER BY seq", -1, &st, nullptr),
            SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    out.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

TEST(GroupCommitTest, ConcurrentThreadsEachGetTheirOwnOutcomes) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00Z");
  StoreOptions options;
  options.data_dir = dir.path();
  DayStore store(&env, options);
  GroupCommitter committer(&store);
  constexpr int kThreads = 8, kPerThread = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Two events per request, the second a unique one shared by every thread.
        std::vector<Event> events = {Named("e", std::to_string(t) + ":" + std::to_string(i)),
                                     Named("u", "unique")};
        events[1].is_unique = true;
        auto r = committer.Append(events);
        if (!r.ok() || r->size() != 2 || !(*r)[0].ok() || !(*r)[1].ok() || (*r)[0]->duplicate) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures.load(), 0);
  std::multiset<std::string> values = ValuesIn(dir.path() + "/2025-03-01-v1.itslog");
  EXPECT_EQ(values.size(), static_cast<size_t>(kThreads * kPerThread + 1));
  EXPECT_EQ(values.count("unique"), 1u);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_EQ(values.count(std::to_string(t) + ":" + std::to_string(i)), 1u);
    }
  }
}

// Groups of one event and health checks between them while callers keep arriving: no caller
// may be left waiting, served twice or lose its event.
TEST(GroupCommitTest, SmallGroupsAndHealthChecksLoseNoCaller) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00Z");
  StoreOptions options;
  options.data_dir = dir.path();
  DayStore store(&env, options);
  GroupCommitter committer(&store, /*max_group_events=*/1);
  constexpr int kThreads = 6, kPerThread = 150;
  std::atomic<int> failures{0};
  std::atomic<int> unhealthy{0};
  std::atomic<bool> writing{true};
  std::thread checker([&] {
    while (writing.load()) {
      if (!committer.CheckHealth().writable) {
        ++unhealthy;
      }
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::vector<Event> events = {Named("e", std::to_string(t) + ":" + std::to_string(i))};
        auto r = committer.Append(events);
        if (!r.ok() || r->size() != 1 || !(*r)[0].ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  writing = false;
  checker.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(unhealthy.load(), 0);
  std::multiset<std::string> values = ValuesIn(dir.path() + "/2025-03-01-v1.itslog");
  ASSERT_EQ(values.size(), static_cast<size_t>(kThreads * kPerThread));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_EQ(values.count(std::to_string(t) + ":" + std::to_string(i)), 1u);
    }
  }
}

TEST(GroupCommitTest, PerEventErrorsStayWithTheirRequest) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00Z");
  StoreOptions options;
  options.data_dir = dir.path();
  options.max_event_names_per_app_per_day = 1;
  DayStore store(&env, options);
  GroupCommitter committer(&store);
  std::vector<Event> first = {Named("a", "1")};
  ASSERT_TRUE(committer.Append(first).ok());
  std::vector<Event> second = {Named("a", "2"), Named("b", "3")};
  auto r = committer.Append(second);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)[0].ok());
  EXPECT_EQ((*r)[1].status().reason(), "too_many_event_names");
}

}  // namespace
}  // namespace itslog
