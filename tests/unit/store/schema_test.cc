#include "store/schema.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "lib/temp_dir.h"
#include "store/sqlite_util.h"

namespace itslog {
namespace {

SqliteDb NewDb(const TempDir& dir) {
  Result<SqliteDb> db = OpenSqlite(dir.path() + "/d.itslog", /*read_only=*/false);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  // No fsync per statement: these tests are about content, not durability.
  EXPECT_TRUE(ExecSql(db->get(), "PRAGMA synchronous=OFF", "pragma").ok());
  return std::move(db).value();
}

TEST(SchemaTest, CreatesTablesAndMetaRows) {
  TempDir dir;
  SqliteDb db = NewDb(dir);
  Result<bool> before = HasAnySchema(db.get());
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(*before);
  DayMeta meta{"2025-03-01", "UTC", Sha256Of("seed"), "host-1"};
  ASSERT_TRUE(ExecSql(db.get(), "BEGIN", "begin").ok());
  ASSERT_TRUE(CreateDaySchema(db.get(), meta).ok());
  ASSERT_TRUE(ExecSql(db.get(), "COMMIT", "commit").ok());
  EXPECT_TRUE(*HasAnySchema(db.get()));
  Result<std::map<std::string, std::string>> rows = ReadMeta(db.get());
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, (std::map<std::string, std::string>{{"format", "itslog"},
                                                       {"version", "1"},
                                                       {"day", "2025-03-01"},
                                                       {"timezone", "UTC"},
                                                       {"chain_seed", HexEncode(meta.chain_seed)},
                                                       {"host", "host-1"}}));
  Result<Digest> seed = CheckMeta(*rows, "2025-03-01", "d.itslog");
  ASSERT_TRUE(seed.ok());
  EXPECT_EQ(*seed, meta.chain_seed);
  // An empty log's last hash is its seed.
  Result<Digest> last = ReadLastHash(db.get(), "d.itslog");
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(*last, meta.chain_seed);
}

TEST(SchemaTest, LastHashIsTheHighestSeqsHash) {
  TempDir dir;
  SqliteDb db = NewDb(dir);
  ASSERT_TRUE(CreateDaySchema(db.get(), DayMeta{"2025-03-01", "UTC", {}, "h"}).ok());
  Digest h2 = Sha256Of("two");
  std::string sql =
      "INSERT INTO events(app, name) VALUES('a', 'b');"
      "INSERT INTO log(seq, ts, event, type, hash) VALUES(1, 1, 1, 3, zeroblob(32));"
      "INSERT INTO log(seq, ts, event, type, hash) VALUES(2, 2, 1, 3, X'" +
      HexEncode(h2) + "');";
  ASSERT_TRUE(ExecSql(db.get(), sql.c_str(), "insert").ok());
  Result<Digest> last = ReadLastHash(db.get(), "d.itslog");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, h2);
}

TEST(SchemaTest, CheckMetaRejectsForeignFiles) {
  std::map<std::string, std::string> good = {{"format", "itslog"},
                                             {"version", "1"},
                                             {"day", "2025-03-01"},
                                             {"chain_seed", std::string(64, 'a')}};
  EXPECT_TRUE(CheckMeta(good, "2025-03-01", "f").ok());
  const struct {
    const char* key;
    const char* value;
  } cases[] = {{"format", "other"}, {"version", "2"}, {"day", "2025-03-02"}, {"chain_seed", "abc"}};
  for (const auto& c : cases) {
    auto meta = good;
    meta[c.key] = c.value;
    Result<Digest> r = CheckMeta(meta, "2025-03-01", "f");
    ASSERT_FALSE(r.ok()) << c.key;
    EXPECT_EQ(r.status().code(), Code::kCorrupt);
    EXPECT_EQ(r.status().reason(), "not_itslog_file");
  }
}

TEST(SchemaTest, ConstraintsOfTheContract) {
  TempDir dir;
  SqliteDb db = NewDb(dir);
  ASSERT_TRUE(CreateDaySchema(db.get(), DayMeta{"2025-03-01", "UTC", {}, "h"}).ok());
  ASSERT_TRUE(ExecSql(db.get(), "INSERT INTO events(app, name) VALUES('a', 'b')", "x").ok());
  EXPECT_FALSE(ExecSql(db.get(), "INSERT INTO events(app, name) VALUES('a', 'b')", "x").ok());
  EXPECT_FALSE(ExecSql(db.get(),
                       "INSERT INTO log(seq, ts, event, type, hash) VALUES(1, 1, 1, 8, X'00')", "x")
                   .ok());
  EXPECT_FALSE(
      ExecSql(db.get(), "INSERT INTO log(seq, ts, event, type) VALUES(1, 1, 1, 3)", "x").ok());
  ASSERT_TRUE(
      ExecSql(db.get(), "INSERT INTO uniques(day, event, seq) VALUES('d', 1, 1)", "x").ok());
  EXPECT_FALSE(
      ExecSql(db.get(), "INSERT INTO uniques(day, event, seq) VALUES('d', 1, 2)", "x").ok());
  ASSERT_TRUE(
      ExecSql(db.get(), "INSERT INTO idempotency(app, key, seq) VALUES('a', 'k', 1)", "x").ok());
  EXPECT_FALSE(
      ExecSql(db.get(), "INSERT INTO idempotency(app, key, seq) VALUES('a', 'k', 2)", "x").ok());
}

}  // namespace
}  // namespace itslog
