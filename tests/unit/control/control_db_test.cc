#include "control/control_db.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "lib/temp_dir.h"

namespace itslog {
namespace {

// Reads one integer back through a connection of its own, not the ControlDb's.
int64_t QueryInt(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sql;
  int64_t v = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    v = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return v;
}

constexpr ControlMigration kTwoSteps[] = {
    {1, "one", "CREATE TABLE runs(step INTEGER NOT NULL); INSERT INTO runs VALUES (1);"},
    {2, "two", "INSERT INTO runs VALUES (2);"},
};

TEST(ControlDbTest, NewFileGetsEveryStepInWalMode) {
  TempDir dir;
  std::string path = ControlDbPath(dir.path());
  Result<std::unique_ptr<ControlDb>> db = ControlDb::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(db.value()->schema_version(), ControlMigrations().back().version);
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM control_meta WHERE value='itslog-control'"), 1);
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), ControlMigrations().back().version);
  Result<std::optional<std::string>> mode = QueryText(db.value()->db(), "PRAGMA journal_mode", "");
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(mode.value().value_or(""), "wal");
}

TEST(ControlDbTest, ReopeningRunsNoStepAgainAndLaterStepsRunOnce) {
  TempDir dir;
  std::string path = dir.path() + "/c.sqlite";
  ASSERT_TRUE(ControlDb::Open(path, 1000, std::span(kTwoSteps, 1)).ok());
  ASSERT_TRUE(ControlDb::Open(path, 1000, std::span(kTwoSteps, 1)).ok());
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM runs"), 1);
  Result<std::unique_ptr<ControlDb>> db = ControlDb::Open(path, 1000, kTwoSteps);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(db.value()->schema_version(), 2);
  ASSERT_TRUE(ControlDb::Open(path, 1000, kTwoSteps).ok());
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM runs WHERE step=1"), 1);
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM runs WHERE step=2"), 1);
}

TEST(ControlDbTest, ProcessesOpeningANewFileAtOnceMigrateItOnce) {
  TempDir dir;
  std::string path = dir.path() + "/c.sqlite";
  constexpr int kProcesses = 8;
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(go[1]);
      char c;
      // Every child waits for the same moment, then all open the new file together.
      if (read(go[0], &c, 1) != 0) {
        _exit(2);
      }
      Result<std::unique_ptr<ControlDb>> opened = ControlDb::Open(path, 10000, kTwoSteps);
      if (!opened.ok()) {
        // The parent's EXPECT below fails; this says why.
        fprintf(stderr, "child %d: %s\n", i, opened.status().ToString().c_str());
        _exit(1);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  close(go[0]);
  close(go[1]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), 2);
}

TEST(ControlDbTest, FailingStepLeavesTheFileAsItWas) {
  TempDir dir;
  std::string path = dir.path() + "/c.sqlite";
  ASSERT_TRUE(ControlDb::Open(path, 1000, std::span(kTwoSteps, 1)).ok());
  constexpr ControlMigration kBroken[] = {
      kTwoSteps[0],
      {2, "two", "INSERT INTO runs VALUES (2); INSERT INTO no_such_table VALUES (1);"},
  };
  Result<std::unique_ptr<ControlDb>> db = ControlDb::Open(path, 1000, kBroken);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("schema step 2 (two)"), std::string::npos)
      << db.status().ToString();
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), 1);
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM runs"), 1);
}

TEST(ControlDbTest, FileOfANewerSchemaIsRefusedAndNotDowngraded) {
  TempDir dir;
  std::string path = dir.path() + "/c.sqlite";
  ASSERT_TRUE(ControlDb::Open(path, 1000, kTwoSteps).ok());
  Result<std::unique_ptr<ControlDb>> db = ControlDb::Open(path, 1000, std::span(kTwoSteps, 1));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().reason(), "control_schema_too_new");
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), 2);
}

TEST(ControlDbTest, FileThatIsNotSqliteIsCorrupt) {
  TempDir dir;
  std::string path = dir.path() + "/c.sqlite";
  std::ofstream(path) << std::string(4096, 'x');
  Result<std::unique_ptr<ControlDb>> db = ControlDb::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().reason(), "corrupt_file");
}

TEST(ControlDbTest, MissingDirectoryIsUnavailable) {
  TempDir dir;
  Result<std::unique_ptr<ControlDb>> db = ControlDb::Open(dir.path() + "/nope/c.sqlite");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().reason(), "storage_unavailable");
}

TEST(ControlDbTest, TransactionRollsBackWhenItsWorkFails) {
  TempDir dir;
  std::string path = dir.path() + "/c.sqlite";
  Result<std::unique_ptr<ControlDb>> db = ControlDb::Open(path, 1000, kTwoSteps);
  ASSERT_TRUE(db.ok());
  ControlDb& c = *db.value();
  Status s = c.InTransaction([&] {
    EXPECT_TRUE(ExecSql(c.db(), "INSERT INTO runs VALUES (7)", "").ok());
    return InvalidError("nope", "the work failed");
  });
  EXPECT_EQ(s.reason(), "nope");
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM runs WHERE step=7"), 0);
  ASSERT_TRUE(
      c.InTransaction([&] { return ExecSql(c.db(), "INSERT INTO runs VALUES (7)", ""); }).ok());
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM runs WHERE step=7"), 1);
}

}  // namespace
}  // namespace itslog
