#include "store/sqlite_util.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "lib/temp_dir.h"

namespace itslog {
namespace {

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

}  // namespace
}  // namespace itslog
