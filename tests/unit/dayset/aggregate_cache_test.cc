#include "dayset/aggregate_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "store/day_store.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using testing_days::Append;
using testing_days::Ev;

int64_t CountOf(const CachedAggregates& c) {
  int64_t n = 0;
  for (const DayAggregates::Cell& cell : c.aggregates.cells) {
    n += cell.agg.count;
  }
  return n;
}

TEST(AggregateCacheTest, AnUnchangedFileIsServedFromTheCacheAndAGrownOneContinued) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  Append(&env, dir.path(), {Ev("shop", "view"), Ev("shop", "buy")});
  const std::string path = DayFilePath(dir.path(), "2025-03-01");
  const int64_t start = TimeZone().StartOfDay("2025-03-01");
  AggregateCache cache;
  auto first = cache.For(path, start);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_NE(*first, nullptr);
  EXPECT_EQ(CountOf(**first), 2);
  auto again = cache.For(path, start);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), first->get()) << "the same cached object";
  Append(&env, dir.path(), {Ev("shop", "view")});
  auto grown = cache.For(path, start);
  ASSERT_TRUE(grown.ok());
  EXPECT_NE(grown->get(), first->get());
  EXPECT_EQ(CountOf(**grown), 3);
  EXPECT_EQ((*grown)->aggregates.last_seq, 3);
  EXPECT_EQ(CountOf(**first), 2) << "a holder's copy never changes under it";
}

// A sealed file of the archive is taken as the same while inode and size are, whatever its
// time says (the archive cache marks use with it): no reread; one that grew is read again.
TEST(AggregateCacheTest, AnImmutableFileIsCheckedByItsStatAlone) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  Append(&env, dir.path(), {Ev("shop", "view"), Ev("shop", "buy")});
  const std::string path = DayFilePath(dir.path(), "2025-03-01");
  testing_days::Sql(path, "PRAGMA wal_checkpoint(TRUNCATE)");
  const int64_t start = TimeZone().StartOfDay("2025-03-01");
  AggregateCache cache;
  auto first = cache.For(path, start, /*immutable=*/true);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(CountOf(**first), 2);
  EXPECT_GT((*first)->size, 0);
  const timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), now, 0), 0);
  auto again = cache.For(path, start, true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), first->get());
  Append(&env, dir.path(), std::vector<Event>(300, Ev("shop", "view")));  // new pages
  testing_days::Sql(path, "PRAGMA wal_checkpoint(TRUNCATE)");
  auto grown = cache.For(path, start, true);
  ASSERT_TRUE(grown.ok());
  EXPECT_NE(grown->get(), first->get());
  EXPECT_EQ(CountOf(**grown), 302);
}

TEST(AggregateCacheTest, NoFileIsNullAndTheBudgetEvictsTheLeastRecentlyUsed) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  Append(&env, dir.path(), {Ev("shop", "a"), Ev("shop", "b")});
  env.SetNow("2025-03-02T10:00:00Z");
  Append(&env, dir.path(), {Ev("shop", "c"), Ev("shop", "d")});
  AggregateCache cache(/*max_cells=*/3);
  auto missing = cache.For(DayFilePath(dir.path(), "2025-02-01"), 0);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, nullptr);
  const std::string d1 = DayFilePath(dir.path(), "2025-03-01");
  const std::string d2 = DayFilePath(dir.path(), "2025-03-02");
  auto one = cache.For(d1, TimeZone().StartOfDay("2025-03-01"));
  auto two = cache.For(d2, TimeZone().StartOfDay("2025-03-02"));  // 4 cells > 3: d1 goes
  ASSERT_TRUE(one.ok() && two.ok());
  auto one_again = cache.For(d1, TimeZone().StartOfDay("2025-03-01"));
  ASSERT_TRUE(one_again.ok());
  EXPECT_NE(one_again->get(), one->get()) << "evicted, so read again";
  EXPECT_EQ(CountOf(**one_again), 2);
  auto two_again = cache.For(d2, TimeZone().StartOfDay("2025-03-02"));
  ASSERT_TRUE(two_again.ok());
  EXPECT_NE(two_again->get(), two->get()) << "d1's return pushed d2 out";
}

}  // namespace
}  // namespace itslog
