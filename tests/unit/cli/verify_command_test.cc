#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/read_commands.h"
#include "core/crypto.h"
#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "store/reader.h"
#include "store/seal.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using testing_days::Append;
using testing_days::Ev;
using testing_days::Tamper;

struct Outcome {
  int rc;
  std::string out;
  std::string err;
};

Outcome Verify(const std::vector<std::string>& args, Env* env) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  int rc = RunVerifyCommand(args, env);
  std::string out = ::testing::internal::GetCapturedStdout();
  std::string err = ::testing::internal::GetCapturedStderr();
  return {rc, out, err};
}

class VerifyCommandTest : public ::testing::Test {
 protected:
  VerifyCommandTest() : env_("2025-03-01T10:00:00Z") {
    Append(&env_, dir_.path(),
           {Ev("shop", "a", ValueType::kInteger, "1"), Ev("shop", "b"), Ev("blog", "c"),
            Ev("shop", "a", ValueType::kInteger, "2")});
    config_path_ = dir_.path() + "/itslog.yaml";
    std::ofstream(config_path_) << "data_dir: " << dir_.path() << "\nauth:\n  required: false\n";
  }
  std::string Path() { return DayFilePath(dir_.path(), "2025-03-01"); }

  TempDir dir_;
  FakeEnv env_;
  std::string config_path_;
};

TEST_F(VerifyCommandTest, IntactFileExitsZero) {
  Outcome o = Verify({Path()}, &env_);
  EXPECT_EQ(o.rc, kExitOk) << o.out << o.err;
  EXPECT_EQ(o.out.rfind(Path() + ": ok, 4 rows, last hash ", 0), 0u) << o.out;
  EXPECT_EQ(o.out.size(), (Path() + ": ok, 4 rows, last hash ").size() + 64 + 1) << o.out;
  // A day names the file in the configured data_dir.
  Outcome by_day = Verify({"--config", config_path_, "2025-03-01"}, &env_);
  EXPECT_EQ(by_day.rc, kExitOk) << by_day.out << by_day.err;
  EXPECT_EQ(by_day.out, o.out);
}

TEST_F(VerifyCommandTest, TamperedFileExitsOneNamingTheFirstBadSeq) {
  Tamper(Path(), "UPDATE log SET value = '5' WHERE seq = 4");
  Outcome o = Verify({Path()}, &env_);
  EXPECT_EQ(o.rc, kExitFailure);
  EXPECT_EQ(o.out, Path() +
                       ": edited_row: seq 4: its contents (ts, event, type or value) do not match "
                       "its hash: the row was edited\n" +
                       Path() + ": FAILED: first bad seq 4 (edited_row)\n");
}

TEST_F(VerifyCommandTest, SchemaDamageExitsOne) {
  testing_days::Sql(Path(), "DROP TRIGGER log_no_delete");
  Outcome o = Verify({Path()}, &env_);
  EXPECT_EQ(o.rc, kExitFailure);
  EXPECT_EQ(o.out, Path() +
                       ": bad_schema: schema: trigger log_no_delete is missing (the file's "
                       "append-only guard was removed)\n" +
                       Path() + ": FAILED (bad_schema)\n");
  // A dropped log is reported the same way, not as a file that cannot be read.
  testing_days::Sql(Path(), "DROP TABLE log");
  Outcome dropped = Verify({Path()}, &env_);
  EXPECT_EQ(dropped.rc, kExitFailure);
  EXPECT_NE(dropped.out.find(Path() + ": bad_schema: schema: table log is missing\n"),
            std::string::npos)
      << dropped.out;
  EXPECT_NE(dropped.out.find(Path() + ": FAILED (bad_schema)\n"), std::string::npos) << dropped.out;
}

TEST_F(VerifyCommandTest, SealFileProvesACutOffTail) {
  Result<SealInfo> info = SealDay(dir_.path(), "2025-03-01", &env_);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  std::string seal_path = dir_.path() + "/2025-03-01-v1.seal.json";
  std::ofstream(seal_path) << SealJson(*info, "vm-a", std::string(64, '0'));
  // The file's own SHA-256 is not the one in this seal.
  Outcome sha = Verify({Path(), "--seal", seal_path}, &env_);
  EXPECT_EQ(sha.rc, kExitFailure) << sha.out;
  EXPECT_NE(sha.out.find(": seal_mismatch: the file's SHA-256 differs"), std::string::npos)
      << sha.out;
  std::ofstream(seal_path, std::ios::trunc)
      << "{\"day\":\"2025-03-01\",\"rows\":4,\"final_hash\":\"" << info->final_hash << "\"}";
  Outcome good = Verify({Path(), "--seal", seal_path}, &env_);
  EXPECT_EQ(good.rc, kExitOk) << good.out;
  EXPECT_NE(good.out.find(", sealed, matches the seal\n"), std::string::npos) << good.out;
  Tamper(Path(),
         "DELETE FROM log WHERE seq = 4; UPDATE meta SET value = '3' WHERE key = 'rows';"
         "UPDATE meta SET value = lower(hex((SELECT hash FROM log WHERE seq = 3))) "
         "WHERE key = 'final_hash'");
  EXPECT_EQ(Verify({Path()}, &env_).rc, kExitOk);
  Outcome cut = Verify({Path(), "--seal", seal_path}, &env_);
  EXPECT_EQ(cut.rc, kExitFailure);
  EXPECT_EQ(cut.out, Path() +
                         ": deleted_row: seq 4: the seal file says 4 rows, the file has 3: rows "
                         "were removed from the end\n" +
                         Path() + ": FAILED: first bad seq 4 (deleted_row)\n");
}

TEST_F(VerifyCommandTest, NoIntegrityCheckSkipsSqlitesOwnCheck) {
  EXPECT_EQ(Verify({Path(), "--no-integrity-check"}, &env_).rc, kExitOk);
  // An index whose definition no longer matches its entries: PRAGMA integrity_check sees it.
  testing_days::Sql(Path(),
                    "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = "
                    "'CREATE INDEX log_event_ts ON log(ts, event)' WHERE name = 'log_event_ts'");
  Outcome damaged = Verify({Path()}, &env_);
  EXPECT_EQ(damaged.rc, kExitFailure) << damaged.out;
  EXPECT_NE(damaged.out.find(": integrity: integrity_check: "), std::string::npos) << damaged.out;
  Outcome skipped = Verify({Path(), "--no-integrity-check"}, &env_);
  EXPECT_EQ(skipped.rc, kExitFailure) << skipped.out;  // the schema still differs
  EXPECT_EQ(skipped.out.find(": integrity: "), std::string::npos) << skipped.out;
  EXPECT_NE(skipped.out.find(": bad_schema: schema: index log_event_ts differs from the "
                             "format's\n"),
            std::string::npos)
      << skipped.out;
}

TEST_F(VerifyCommandTest, UnreadableFilesExitOne) {
  Outcome missing = Verify({dir_.path() + "/2025-02-01-v1.itslog"}, &env_);
  EXPECT_EQ(missing.rc, kExitFailure);
  EXPECT_EQ(missing.out, dir_.path() + "/2025-02-01-v1.itslog: FAILED: no day file " + dir_.path() +
                             "/2025-02-01-v1.itslog\n");
  // One bad file among good ones fails the run, and every file is reported.
  Outcome both = Verify({Path(), dir_.path() + "/2025-02-01-v1.itslog", Path()}, &env_);
  EXPECT_EQ(both.rc, kExitFailure);
  EXPECT_EQ(std::count(both.out.begin(), both.out.end(), '\n'), 3);
}

TEST_F(VerifyCommandTest, BadUsageExitsTwo) {
  std::string bad_seal = dir_.path() + "/bad.seal.json";
  std::ofstream(bad_seal) << "{\"day\":\"2025-03-01\"}";
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"--nope", Path()},
      {Path(), "--seal"},
      {Path(), "--seal", dir_.path() + "/no-such-seal.json"},
      {Path(), "--seal", bad_seal},
      {Path(), Path(), "--seal", bad_seal},
      {"--config", dir_.path() + "/missing.yaml", "2025-03-01"},
  };
  for (const auto& args : cases) {
    Outcome o = Verify(args, &env_);
    EXPECT_EQ(o.rc, kExitUsage) << (args.empty() ? "" : args[0]) << " " << o.err;
    EXPECT_FALSE(o.err.empty());
    EXPECT_EQ(o.out, "");
  }
}

}  // namespace
}  // namespace itslog
