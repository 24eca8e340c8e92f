#include "store/reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;
using testing_days::Append;
using testing_days::Ev;
using testing_days::Sql;

std::vector<int64_t> Seqs(DayReader* r, int64_t after, int64_t before, const EventFilter* f) {
  std::vector<int64_t> out;
  Status s = r->ScanRows(after, before, f, [&](const RowView& v) {
    out.push_back(v.seq);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

class DayReaderTest : public ::testing::Test {
 protected:
  DayReaderTest() : env_("2025-03-01T10:00:00Z") {}
  std::string Path(const std::string& day = "2025-03-01") { return DayFilePath(dir_.path(), day); }
  std::unique_ptr<DayReader> Open(const std::string& day = "2025-03-01") {
    auto r = DayReader::Open(Path(day));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  TempDir dir_;
  FakeEnv env_;
};

TEST_F(DayReaderTest, MissingFileIsNotFound) {
  auto r = DayReader::Open(Path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().reason(), "not_found");
}

TEST_F(DayReaderTest, SqliteFileThatIsNotADayFileIsRefused) {
  Sql(Path(), "CREATE TABLE t(x)");
  auto r = DayReader::Open(Path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "not_itslog_file");
  Sql(Path(), "CREATE TABLE meta(key TEXT, value TEXT); INSERT INTO meta VALUES('format','x')");
  r = DayReader::Open(Path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "not_itslog_file");
}

TEST_F(DayReaderTest, ReadsMetaEventsAndLastSeq) {
  Append(&env_, dir_.path(), {Ev("a", "x"), Ev("b", "y"), Ev("a", "x")});
  auto r = Open();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->day(), "2025-03-01");
  EXPECT_EQ(r->meta().at("format"), "itslog");
  ASSERT_EQ(r->events().size(), 2u);
  const EventName* n = r->events().Find(r->events().id(1));
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->app, "b");
  EXPECT_EQ(n->name, "y");
  EXPECT_EQ(r->events().Find(999), nullptr);
  EXPECT_EQ(*r->LastSeq(), 3);
}

TEST_F(DayReaderTest, EmptyLogHasLastSeqZero) {
  Append(&env_, dir_.path(), {Ev("a", "x")});
  Sql(Path(), "DROP TRIGGER log_no_delete; DELETE FROM log");
  auto r = Open();
  EXPECT_EQ(*r->LastSeq(), 0);
  EXPECT_EQ(*r->FirstSeqAtOrAfter(0), 1);
  EXPECT_TRUE(Seqs(r.get(), 0, 0, nullptr).empty());
}

TEST_F(DayReaderTest, ScanRowsInSeqOrderWithinBoundsAndFilter) {
  Append(&env_, dir_.path(),
         {Ev("a", "x", ValueType::kInteger, "1"), Ev("b", "y"), Ev("a", "x", ValueType::kText),
          Ev("a", "z", ValueType::kText, "v", true), Ev("b", "y")});
  auto r = Open();
  EXPECT_EQ(Seqs(r.get(), 0, 0, nullptr), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(Seqs(r.get(), 1, 5, nullptr), (std::vector<int64_t>{2, 3, 4}));
  EventFilter only_b;
  only_b.Allow(2);  // ids in order of first use: a/x 1, b/y 2, a/z 3
  EXPECT_EQ(Seqs(r.get(), 0, 0, &only_b), (std::vector<int64_t>{2, 5}));
  EventFilter none;
  EXPECT_TRUE(Seqs(r.get(), 0, 0, &none).empty());
  // Every column as stored.
  std::vector<Row> rows;
  ASSERT_TRUE(r->ScanRows(0, 0, nullptr, [&](const RowView& v) {
                 rows.push_back(CopyRow(r->day(), v));
                 return true;
               }).ok());
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].app, "a");
  EXPECT_EQ(rows[0].event, "x");
  EXPECT_EQ(rows[0].type, 1);
  EXPECT_EQ(rows[0].value, std::optional<std::string>("1"));
  EXPECT_EQ(rows[1].value, std::nullopt);
  EXPECT_TRUE(rows[3].is_unique);
  EXPECT_FALSE(rows[2].is_unique);
  EXPECT_EQ(rows[0].ts, *ParseIso8601Micros("2025-03-01T10:00:00Z"));
  // Stopping early.
  int n = 0;
  ASSERT_TRUE(r->ScanRows(0, 0, nullptr, [&](const RowView&) { return ++n < 2; }).ok());
  EXPECT_EQ(n, 2);
}

TEST_F(DayReaderTest, FirstSeqAtOrAfterFindsTimeBoundaries) {
  for (int i = 0; i < 10; ++i) {
    Append(&env_, dir_.path(), {Ev("a", "x"), Ev("a", "x")});  // two rows per hour
    env_.Advance(std::chrono::hours(1));
  }
  auto r = Open();
  int64_t t0 = *ParseIso8601Micros("2025-03-01T10:00:00Z");
  EXPECT_EQ(*r->FirstSeqAtOrAfter(0), 1);
  EXPECT_EQ(*r->FirstSeqAtOrAfter(t0), 1);
  EXPECT_EQ(*r->FirstSeqAtOrAfter(t0 + 1), 3);
  EXPECT_EQ(*r->FirstSeqAtOrAfter(t0 + 3600LL * 1000000), 3);
  EXPECT_EQ(*r->FirstSeqAtOrAfter(t0 + 9 * 3600LL * 1000000), 19);
  EXPECT_EQ(*r->FirstSeqAtOrAfter(t0 + 9 * 3600LL * 1000000 + 1), 21);
  EXPECT_EQ(*r->TsOf(3), std::optional<int64_t>(t0 + 3600LL * 1000000));
  EXPECT_EQ(*r->TsOf(99), std::nullopt);
}

TEST_F(DayReaderTest, HashOfReadsTheStoredHash) {
  Append(&env_, dir_.path(), {Ev("a", "x"), Ev("a", "y")});
  auto r = Open();
  auto h2 = r->HashOf(2);
  ASSERT_TRUE(h2.ok());
  ASSERT_TRUE(h2->has_value());
  auto h1 = r->HashOf(1);
  ASSERT_TRUE(h1.ok() && h1->has_value());
  EXPECT_NE(**h1, **h2);
  EXPECT_EQ(*r->HashOf(3), std::nullopt);
  // Another road: hex(hash) from plain SQLite equals the digest read.
  Sql(Path(), "CREATE TABLE t AS SELECT lower(hex(hash)) AS h FROM log WHERE seq = 2");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(Path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT h FROM t", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(HexEncode(**h2), reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close_v2(db);
  testing_days::Tamper(Path(), "UPDATE log SET hash = x'0102' WHERE seq = 1");
  r = Open();
  EXPECT_EQ(*r->HashOf(1), std::nullopt);  // not 32 bytes
}

TEST_F(DayReaderTest, ScanEventReadsOneEventInSeqOrderWithinTimesAndLimit) {
  for (int i = 0; i < 6; ++i) {
    Append(&env_, dir_.path(), {Ev("a", "x"), Ev("b", "y")});
    env_.Advance(seconds(10));
  }
  auto r = Open();
  int64_t t0 = *ParseIso8601Micros("2025-03-01T10:00:00Z");
  std::vector<int64_t> seqs;
  auto take = [&](const RowView& v) {
    EXPECT_EQ(v.name->name, "y");
    seqs.push_back(v.seq);
    return true;
  };
  ASSERT_TRUE(r->ScanEvent(2, 0, 0, INT64_MAX, 100, take).ok());
  EXPECT_EQ(seqs, (std::vector<int64_t>{2, 4, 6, 8, 10, 12}));
  seqs.clear();
  ASSERT_TRUE(r->ScanEvent(2, 4, t0, t0 + 50 * 1000000, 2, take).ok());
  EXPECT_EQ(seqs, (std::vector<int64_t>{6, 8}));
}

TEST_F(DayReaderTest, GetRowCopiesOneRowOrNothing) {
  Append(&env_, dir_.path(), {Ev("a", "x", ValueType::kReal, "2.5")});
  auto r = Open();
  auto row = r->GetRow(1);
  ASSERT_TRUE(row.ok());
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ((*row)->day, "2025-03-01");
  EXPECT_EQ((*row)->app, "a");
  EXPECT_EQ((*row)->value, std::optional<std::string>("2.5"));
  EXPECT_FALSE(r->GetRow(2)->has_value());
}

TEST_F(DayReaderTest, RowNamingAnUnknownEventIsCorrupt) {
  Append(&env_, dir_.path(), {Ev("a", "x")});
  Sql(Path(), "DROP TRIGGER log_no_update; UPDATE log SET event = 77");
  auto r = Open();
  Status s = r->ScanRows(0, 0, nullptr, [](const RowView&) { return true; });
  EXPECT_EQ(s.reason(), "corrupt_file");
}

TEST(BucketAggregateTest, SumsIntegersExactlyAndRealsAsDoubles) {
  BucketAggregate a;
  a.Add(1, 5, 5);
  a.Add(1, -3, -3);
  a.Add(3, 0, 0);  // TEXT: counted only
  EXPECT_EQ(a.count, 3);
  EXPECT_EQ(a.numeric, 2);
  EXPECT_TRUE(a.all_integer);
  EXPECT_EQ(a.int_sum, 2);
  EXPECT_EQ(a.int_min, -3);
  EXPECT_EQ(a.int_max, 5);
  BucketAggregate b;
  b.Add(2, 0, 0.5);
  a.Merge(b);
  EXPECT_FALSE(a.all_integer);
  EXPECT_DOUBLE_EQ(a.sum, 2.5);
  EXPECT_DOUBLE_EQ(a.min, -3);
  EXPECT_DOUBLE_EQ(a.max, 5);
  EXPECT_EQ(a.count, 4);
  BucketAggregate big;
  big.Add(1, INT64_MAX, 9.2e18);
  big.Add(1, 1, 1);
  EXPECT_TRUE(big.int_overflow);
}

TEST_F(DayReaderTest, AggregateCountsPerEventAndHourIncrementally) {
  Append(&env_, dir_.path(),
         {Ev("a", "n", ValueType::kInteger, "10"), Ev("a", "n", ValueType::kInteger, "-4"),
          Ev("a", "t", ValueType::kText, "hello"), Ev("a", "r", ValueType::kReal, "1.5")});
  env_.Advance(std::chrono::hours(2));
  Append(&env_, dir_.path(), {Ev("a", "n", ValueType::kInteger, "7")});
  DayAggregates agg;
  agg.day_start = *ParseIso8601Micros("2025-03-01T00:00:00Z");
  auto r = Open();
  ASSERT_TRUE(r->Aggregate(&agg).ok());
  EXPECT_EQ(agg.last_seq, 5);
  // a/n = id 1: hour 10 (two rows), hour 12 (one row); a/t = 2; a/r = 3.
  ASSERT_EQ(agg.cells.size(), 4u);
  EXPECT_EQ(agg.cells[0].event_id, 1);
  EXPECT_EQ(agg.cells[0].hour, 10);
  EXPECT_EQ(agg.cells[0].agg.count, 2);
  EXPECT_EQ(agg.cells[0].agg.int_sum, 6);
  EXPECT_EQ(agg.cells[0].agg.int_min, -4);
  EXPECT_EQ(agg.cells[1].hour, 12);
  EXPECT_EQ(agg.cells[1].agg.int_sum, 7);
  EXPECT_EQ(agg.cells[2].agg.numeric, 0);
  EXPECT_FALSE(agg.cells[3].agg.all_integer);
  EXPECT_DOUBLE_EQ(agg.cells[3].agg.sum, 1.5);
  // More rows: only they are read, and the result equals a fresh pass.
  Append(&env_, dir_.path(), {Ev("a", "n", ValueType::kInteger, "1"), Ev("b", "q")});
  r = Open();
  ASSERT_TRUE(r->Aggregate(&agg).ok());
  DayAggregates fresh;
  fresh.day_start = agg.day_start;
  ASSERT_TRUE(r->Aggregate(&fresh).ok());
  EXPECT_EQ(agg.last_seq, 7);
  ASSERT_EQ(agg.cells.size(), fresh.cells.size());
  for (size_t i = 0; i < agg.cells.size(); ++i) {
    EXPECT_EQ(agg.cells[i].event_id, fresh.cells[i].event_id);
    EXPECT_EQ(agg.cells[i].hour, fresh.cells[i].hour);
    EXPECT_EQ(agg.cells[i].agg.count, fresh.cells[i].agg.count);
    EXPECT_EQ(agg.cells[i].agg.int_sum, fresh.cells[i].agg.int_sum);
  }
  EXPECT_EQ(agg.cells[1].agg.int_sum, 8);
}

TEST_F(DayReaderTest, UniquesListsTheDaysUniqueEventsBySeq) {
  Append(&env_, dir_.path(), {Ev("a", "x"), Ev("a", "u1", ValueType::kText, std::nullopt, true)});
  const int64_t first = env_.NowMicros();
  env_.Advance(std::chrono::microseconds(5));
  Append(&env_, dir_.path(),
         {Ev("a", "u2", ValueType::kText, std::nullopt, true),
          Ev("a", "u1", ValueType::kText, std::nullopt, true)});
  auto r = Open();
  auto u = r->Uniques();
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u->size(), 2u);
  EXPECT_EQ((*u)[0].seq, 2);
  EXPECT_EQ(r->events().Find((*u)[1].event_id)->name, "u2");
  // Each with its row's time (the order of first logging across hosts).
  EXPECT_EQ((*u)[0].ts, first);
  EXPECT_EQ((*u)[1].ts, first + 5);
}

TEST_F(DayReaderTest, CountsByEvent) {
  Append(&env_, dir_.path(), {Ev("a", "x"), Ev("a", "y"), Ev("a", "x")});
  auto r = Open();
  auto c = r->CountsByEvent();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, (std::vector<std::pair<int64_t, int64_t>>{{1, 2}, {2, 1}}));
}

TEST(DayNamesTest, IsDayNameAndDayPath) {
  EXPECT_TRUE(IsDayName("2025-03-01"));
  EXPECT_FALSE(IsDayName("2025-02-30"));
  EXPECT_FALSE(IsDayName("2025-3-1"));
  EXPECT_FALSE(IsDayName("x"));
  EXPECT_EQ(DayFilePath("/d", "2025-03-01"), "/d/2025-03-01-v1.itslog");
  EXPECT_EQ(DayFilePath("/d/", "2025-03-01"), "/d/2025-03-01-v1.itslog");
}

// DayFollower ------------------------------------------------------------------------------

struct Seen {
  std::string day;
  int64_t seq;
  std::string name;
  friend bool operator==(const Seen&, const Seen&) = default;
};

std::vector<Seen> PollAll(DayFollower* f, int64_t max_rows = 1000) {
  std::vector<Seen> out;
  auto n = f->Poll(max_rows, [&](const std::string& day, const RowView& v) {
    out.push_back(Seen{day, v.seq, v.name->name});
    return true;
  });
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n.ok() ? *n : -1, static_cast<int64_t>(out.size()));
  return out;
}

TEST(DayFollowerTest, FollowsNewRowsAndCrossesMidnightWithoutLossOrRepeat) {
  TempDir dir;
  FakeEnv env("2025-03-01T23:59:59Z");
  DayFollower f(&env, dir.path(), TimeZone(), "2025-03-01", 0);
  EXPECT_TRUE(PollAll(&f).empty());  // no file yet
  Append(&env, dir.path(), {Ev("a", "e1"), Ev("a", "e2")});
  EXPECT_EQ(PollAll(&f), (std::vector<Seen>{{"2025-03-01", 1, "e1"}, {"2025-03-01", 2, "e2"}}));
  EXPECT_TRUE(PollAll(&f).empty());
  // A last row before midnight that the follower has not read yet, then midnight.
  env.Advance(microseconds(999999));
  Append(&env, dir.path(), {Ev("a", "last")});
  env.Advance(microseconds(1));
  // Past midnight but no new file: the old day may still be written; stay.
  EXPECT_EQ(PollAll(&f), (std::vector<Seen>{{"2025-03-01", 3, "last"}}));
  EXPECT_EQ(f.day(), "2025-03-01");
  Append(&env, dir.path(), {Ev("a", "new1"), Ev("a", "new2")});
  EXPECT_EQ(PollAll(&f), (std::vector<Seen>{{"2025-03-02", 1, "new1"}, {"2025-03-02", 2, "new2"}}));
  EXPECT_EQ(f.day(), "2025-03-02");
  EXPECT_EQ(f.seq(), 2);
}

TEST(DayFollowerTest, ReadsTheOldDaysLastRowsBeforeMovingOn) {
  TempDir dir;
  FakeEnv env("2025-03-01T23:59:59Z");
  Append(&env, dir.path(), {Ev("a", "d1")});
  DayFollower f(&env, dir.path(), TimeZone(), "2025-03-01", 1);  // already saw seq 1
  Append(&env, dir.path(), {Ev("a", "d2")});                     // not yet polled
  env.Advance(seconds(2));
  Append(&env, dir.path(), {Ev("a", "n1")});  // the next day's file now exists
  EXPECT_EQ(PollAll(&f), (std::vector<Seen>{{"2025-03-01", 2, "d2"}, {"2025-03-02", 1, "n1"}}));
}

TEST(DayFollowerTest, SkipsDaysWithoutAFileAndHonoursMaxRows) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00Z");
  Append(&env, dir.path(), {Ev("a", "x")});
  env.SetNow("2025-03-03T12:00:00Z");
  Append(&env, dir.path(), {Ev("a", "y1"), Ev("a", "y2"), Ev("a", "y3")});
  DayFollower f(&env, dir.path(), TimeZone(), "2025-03-01", 0);
  EXPECT_EQ(PollAll(&f, 2), (std::vector<Seen>{{"2025-03-01", 1, "x"}, {"2025-03-03", 1, "y1"}}));
  EXPECT_EQ(PollAll(&f, 2), (std::vector<Seen>{{"2025-03-03", 2, "y2"}, {"2025-03-03", 3, "y3"}}));
  EXPECT_TRUE(PollAll(&f).empty());
}

TEST(DayFollowerTest, StopsWhereTheCallbackSaysSo) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00Z");
  Append(&env, dir.path(), {Ev("a", "1"), Ev("a", "2"), Ev("a", "3")});
  DayFollower f(&env, dir.path(), TimeZone(), "2025-03-01", 0);
  int calls = 0;
  auto n = f.Poll(100, [&](const std::string&, const RowView&) { return ++calls < 2; });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(f.seq(), 1);
  EXPECT_EQ(PollAll(&f), (std::vector<Seen>{{"2025-03-01", 2, "2"}, {"2025-03-01", 3, "3"}}));
}

}  // namespace
}  // namespace itslog
