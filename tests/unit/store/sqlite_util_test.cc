#include "store/sqlite_util.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "lib/temp_dir.h"

namespace itslog {
namespace {

TEST(EnterWalModeTest, AFileGoesToWalAndAnInMemoryDatabaseIsRefusedAtOnce) {
  TempDir dir;
  const std::string path = dir.path() + "/w.sqlite";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_TRUE(EnterWalMode(db, path, 1000).ok());
  Result<std::optional<std::string>> mode = QueryText(db, "PRAGMA journal_mode", "mode");
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(mode.value(), std::optional<std::string>("wal"));
  sqlite3_close(db);
  // SQLite keeps a database in memory out of WAL mode: refused without waiting for the
  // busy timeout (an hour here).
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  Status s = EnterWalMode(db, ":memory:", 3600 * 1000);
  EXPECT_EQ(s.reason(), "storage_unavailable") << s.ToString();
  sqlite3_close(db);
}

TEST(SqliteStatusTest, MapsResultCodesToContractReasons) {
  const struct {
    int rc;
    Code code;
    const char* reason;
  } cases[] = {
      {SQLITE_FULL, Code::kUnavailable, "disk_full"},
      {SQLITE_IOERR_WRITE, Code::kUnavailable, "storage_unavailable"},
      {SQLITE_IOERR_FSYNC, Code::kUnavailable, "storage_unavailable"},
      {SQLITE_CANTOPEN, Code::kUnavailable, "storage_unavailable"},
      {SQLITE_READONLY, Code::kUnavailable, "storage_unavailable"},
      {SQLITE_READONLY_DBMOVED, Code::kUnavailable, "storage_unavailable"},
      {SQLITE_PERM, Code::kUnavailable, "storage_unavailable"},
      {SQLITE_NOMEM, Code::kUnavailable, "storage_unavailable"},
      {SQLITE_BUSY, Code::kUnavailable, "lock_timeout"},
      {SQLITE_BUSY_SNAPSHOT, Code::kUnavailable, "lock_timeout"},
      {SQLITE_LOCKED, Code::kUnavailable, "lock_timeout"},
      {SQLITE_CORRUPT, Code::kCorrupt, "corrupt_file"},
      {SQLITE_NOTADB, Code::kCorrupt, "corrupt_file"},
      {SQLITE_CONSTRAINT_UNIQUE, Code::kInternal, "internal"},
      {SQLITE_MISUSE, Code::kInternal, "internal"},
      {SQLITE_ERROR, Code::kInternal, "internal"},
  };
  for (const auto& c : cases) {
    Status s = SqliteStatus(c.rc, nullptr, "cannot write f");
    EXPECT_EQ(s.code(), c.code) << c.rc;
    EXPECT_EQ(s.reason(), c.reason) << c.rc;
    EXPECT_EQ(s.message().rfind("cannot write f: ", 0), 0u) << s.message();
  }
}

TEST(SqliteUtilTest, OpenOfAMissingDirectoryIsStorageUnavailable) {
  TempDir dir;
  Result<SqliteDb> db = OpenSqlite(dir.path() + "/no/such/dir/x.db", /*read_only=*/false);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Code::kUnavailable);
  EXPECT_EQ(db.status().reason(), "storage_unavailable");
}

TEST(SqliteUtilTest, ReadOnlyOpenDoesNotCreateTheFile) {
  TempDir dir;
  Result<SqliteDb> db = OpenSqlite(dir.path() + "/x.db", /*read_only=*/true);
  EXPECT_FALSE(db.ok());
  EXPECT_EQ(db.status().reason(), "storage_unavailable");
}

TEST(SqliteUtilTest, ExecPrepareAndQueryText) {
  TempDir dir;
  Result<SqliteDb> db = OpenSqlite(dir.path() + "/x.db", /*read_only=*/false);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(ExecSql(db->get(), "CREATE TABLE t(v TEXT); INSERT INTO t VALUES('hi')", "x").ok());
  Result<std::optional<std::string>> v = QueryText(db->get(), "SELECT v FROM t", "x");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, std::optional<std::string>("hi"));
  Result<std::optional<std::string>> none = QueryText(db->get(), "SELECT v FROM t WHERE 0", "x");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, std::nullopt);
  Result<Stmt> bad = PrepareSql(db->get(), "SELEC nonsense", "cannot prepare");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInternal);
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos);
  Status full = ExecSql(db->get(), "INSERT INTO missing VALUES(1)", "cannot insert");
  EXPECT_EQ(full.code(), Code::kInternal);
}

TEST(SqlQueryTest, BindsStepsAndReadsColumns) {
  TempDir dir;
  Result<SqliteDb> db = OpenSqlite(dir.path() + "/x.db", /*read_only=*/false);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(ExecSql(db->get(), "CREATE TABLE t(s TEXT, i INTEGER, d REAL)", "x").ok());
  const char* insert = "INSERT INTO t VALUES (?,?,?)";
  EXPECT_TRUE(SqlQuery(db->get(), insert, "p", "s").Text("a").Int(7).Real(0.5).Run().ok());
  Result<int64_t> added = SqlQuery(db->get(), insert, "p", "s")
                              .OptText(std::nullopt)
                              .OptInt(std::nullopt)
                              .OptReal(std::nullopt)
                              .RunChanges();
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, 1);

  struct Row {
    std::string s;
    std::optional<std::string> os;
    int64_t i;
    std::optional<int64_t> oi;
    double d;
    bool null_d;
  };
  auto row = [](const SqlQuery& q) {
    return Row{q.ColumnText(0),   q.ColumnOptText(0), q.ColumnInt(1),
               q.ColumnOptInt(1), q.ColumnReal(2),    q.ColumnIsNull(2)};
  };
  Result<std::vector<Row>> rows =
      SqlQuery(db->get(), "SELECT s, i, d FROM t ORDER BY rowid", "p", "s").All(row);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].s, "a");
  EXPECT_EQ((*rows)[0].os, std::optional<std::string>("a"));
  EXPECT_EQ((*rows)[0].i, 7);
  EXPECT_EQ((*rows)[0].oi, std::optional<int64_t>(7));
  EXPECT_EQ((*rows)[0].d, 0.5);
  EXPECT_FALSE((*rows)[0].null_d);
  EXPECT_EQ((*rows)[1].s, "");
  EXPECT_EQ((*rows)[1].os, std::nullopt);
  EXPECT_EQ((*rows)[1].i, 0);
  EXPECT_EQ((*rows)[1].oi, std::nullopt);
  EXPECT_TRUE((*rows)[1].null_d);

  Result<std::optional<Row>> one =
      SqlQuery(db->get(), "SELECT s, i, d FROM t WHERE s=?", "p", "s").Text("a").One(row);
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((*one)->i, 7);
  Result<std::optional<Row>> none =
      SqlQuery(db->get(), "SELECT s, i, d FROM t WHERE s=?", "p", "s").Text("b").One(row);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  Result<int64_t> deleted =
      SqlQuery(db->get(), "DELETE FROM t WHERE s=?", "p", "s").Text("b").RunChanges();
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 0);
}

TEST(SqlQueryTest, AFailedPrepareOrStepIsNamedByItsWhat) {
  TempDir dir;
  Result<SqliteDb> db = OpenSqlite(dir.path() + "/x.db", /*read_only=*/false);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(ExecSql(db->get(), "CREATE TABLE t(v TEXT UNIQUE)", "x").ok());
  SqlQuery bad(db->get(), "SELEC nonsense", "cannot prepare", "cannot step");
  bad.Text("ignored").Int(1);
  Result<bool> row = bad.Step();
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.status().code(), Code::kInternal);
  EXPECT_EQ(row.status().message().rfind("cannot prepare: ", 0), 0u) << row.status().message();
  EXPECT_NE(row.status().message().find("syntax error"), std::string::npos);
  EXPECT_EQ(bad.Run().message(), row.status().message());

  const char* insert = "INSERT INTO t VALUES (?)";
  ASSERT_TRUE(SqlQuery(db->get(), insert, "cannot prepare", "cannot step").Text("a").Run().ok());
  Result<int64_t> again =
      SqlQuery(db->get(), insert, "cannot prepare", "cannot step").Text("a").RunChanges();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kInternal);
  EXPECT_EQ(again.status().message().rfind("cannot step: ", 0), 0u) << again.status().message();
}

}  // namespace
}  // namespace itslog
