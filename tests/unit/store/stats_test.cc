#include "store/stats.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <vector>

#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "store/reader.h"
#include "store/seal.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using std::chrono::minutes;
using testing_days::Append;
using testing_days::Ev;

// "app/event=count" for each entry, in order.
std::vector<std::string> Counts(const std::vector<EventCount>& v) {
  std::vector<std::string> out;
  for (const EventCount& c : v) {
    out.push_back(c.app + "/" + c.event + "=" + std::to_string(c.count));
  }
  return out;
}

int64_t SizeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

class StatsTest : public ::testing::Test {
 protected:
  StatsTest() : env_("2025-03-01T08:30:00.25Z") {}
  std::string Path() { return DayFilePath(dir_.path(), "2025-03-01"); }

  // shop: view x4, buy x2, login (unique) x1; blog: read x3, login (unique) x1, boot x2.
  void WriteKnownDay() {
    Append(&env_, dir_.path(),
           {Ev("shop", "view"), Ev("blog", "read"), Ev("shop", "buy", ValueType::kInteger, "2")});
    env_.Advance(minutes(90));
    Append(&env_, dir_.path(),
           {Ev("shop", "view"), Ev("shop", "login", ValueType::kText, std::nullopt, true),
            Ev("blog", "login", ValueType::kText, std::nullopt, true), Ev("blog", "read"),
            Ev("shop", "login", ValueType::kText, std::nullopt, true)});  // a duplicate
    env_.Advance(minutes(600));
    Append(&env_, dir_.path(),
           {Ev("shop", "view"), Ev("blog", "boot"), Ev("shop", "buy", ValueType::kInteger, "1"),
            Ev("blog", "read"), Ev("blog", "boot"), Ev("shop", "view")});
  }

  TempDir dir_;
  FakeEnv env_;
};

TEST_F(StatsTest, FiguresOfAKnownDay) {
  WriteKnownDay();
  Result<DayStats> s = ReadDayStats(Path(), 10);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->day, "2025-03-01");
  EXPECT_EQ(s->timezone, "UTC");
  EXPECT_EQ(s->rows, 13);
  EXPECT_EQ(s->last_seq, 13);
  EXPECT_EQ(s->apps, 2);
  EXPECT_EQ(s->events, 6);
  EXPECT_EQ(s->unique_events, 2);
  EXPECT_EQ(Counts(s->per_app), (std::vector<std::string>{"shop/=7", "blog/=6"}));
  // Most rows first; ties by app, then event.
  EXPECT_EQ(Counts(s->top),
            (std::vector<std::string>{"shop/view=4", "blog/read=3", "blog/boot=2", "shop/buy=2",
                                      "blog/login=1", "shop/login=1"}));
  EXPECT_EQ(s->first_ts, ParseIso8601Micros("2025-03-01T08:30:00.25Z"));
  EXPECT_EQ(s->last_ts, ParseIso8601Micros("2025-03-01T20:00:00.25Z"));
  EXPECT_EQ(s->file_bytes, SizeOf(Path()));
  EXPECT_EQ(s->wal_bytes, std::max<int64_t>(SizeOf(Path() + "-wal"), 0));
  EXPECT_FALSE(s->sealed);
}

TEST_F(StatsTest, TopIsCutToTopN) {
  WriteKnownDay();
  Result<DayStats> s = ReadDayStats(Path(), 2);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Counts(s->top), (std::vector<std::string>{"shop/view=4", "blog/read=3"}));
  EXPECT_EQ(s->events, 6);  // still every distinct event
}

TEST_F(StatsTest, SealedDayWithoutWal) {
  WriteKnownDay();
  ASSERT_TRUE(SealDay(dir_.path(), "2025-03-01", &env_).ok());
  Result<DayStats> s = ReadDayStats(Path(), 10);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->sealed);
  EXPECT_EQ(s->rows, 13);
  EXPECT_EQ(s->wal_bytes, 0);
  EXPECT_EQ(s->file_bytes, SizeOf(Path()));
}

TEST_F(StatsTest, EmptyDayHasNoTimes) {
  Append(&env_, dir_.path(), {Ev("a", "x")});
  testing_days::Tamper(Path(), "DELETE FROM log");
  Result<DayStats> s = ReadDayStats(Path(), 10);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rows, 0);
  EXPECT_EQ(s->last_seq, 0);
  EXPECT_EQ(s->apps, 0);
  EXPECT_EQ(s->events, 0);
  EXPECT_TRUE(s->top.empty());
  EXPECT_EQ(s->first_ts, std::nullopt);
  EXPECT_EQ(s->last_ts, std::nullopt);
}

TEST_F(StatsTest, MissingFileIsNotFound) {
  Result<DayStats> s = ReadDayStats(Path(), 10);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().reason(), "not_found");
}

}  // namespace
}  // namespace itslog
