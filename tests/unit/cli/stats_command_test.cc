#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/read_commands.h"
#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "store/reader.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using testing_days::Append;
using testing_days::Ev;

struct Outcome {
  int rc;
  std::string out;
  std::string err;
};

class StatsCommandTest : public ::testing::Test {
 protected:
  StatsCommandTest() : env_("2025-03-01T10:00:00Z") {
    Append(&env_, dir_.path(),
           {Ev("shop", "a"), Ev("blog", "b"), Ev("shop", "a"),
            Ev("shop", "u", ValueType::kText, std::nullopt, true)});
    env_.Advance(std::chrono::minutes(5));
    Append(&env_, dir_.path(), {Ev("blog", "b"), Ev("shop", "a")});
    config_path_ = dir_.path() + "/itslog.yaml";
    std::ofstream(config_path_) << "data_dir: " << dir_.path() << "\nauth:\n  required: false\n";
  }
  std::string Path() { return DayFilePath(dir_.path(), "2025-03-01"); }

  Outcome Stats(const std::vector<std::string>& args) {
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    int rc = RunStatsCommand(args, &env_);
    std::string out = ::testing::internal::GetCapturedStdout();
    std::string err = ::testing::internal::GetCapturedStderr();
    return {rc, out, err};
  }

  TempDir dir_;
  FakeEnv env_;
  std::string config_path_;
};

TEST_F(StatsCommandTest, JsonFiguresOfTodayByDefault) {
  Outcome o = Stats({"--config", config_path_, "--json", "--top", "2"});
  EXPECT_EQ(o.rc, kExitOk) << o.err;
  const std::string head = "{\"file\":\"" + Path() +
                           "\",\"day\":\"2025-03-01\",\"timezone\":\"UTC\",\"rows\":6,"
                           "\"last_seq\":6,\"apps\":2,\"events\":3,\"unique_events\":1,"
                           "\"first_time\":\"2025-03-01T10:00:00.000000Z\","
                           "\"last_time\":\"2025-03-01T10:05:00.000000Z\",\"file_bytes\":";
  EXPECT_EQ(o.out.substr(0, head.size()), head) << o.out;
  const std::string tail =
      ",\"sealed\":false,\"per_app\":[{\"app\":\"shop\",\"count\":4},{\"app\":\"blog\","
      "\"count\":2}],\"top_events\":[{\"app\":\"shop\",\"event\":\"a\",\"count\":3},"
      "{\"app\":\"blog\",\"event\":\"b\",\"count\":2}]}\n";
  ASSERT_GE(o.out.size(), tail.size());
  EXPECT_EQ(o.out.substr(o.out.size() - tail.size()), tail) << o.out;
  // The same day named, or its file.
  EXPECT_EQ(Stats({"--config", config_path_, "--json", "--top", "2", "2025-03-01"}).out, o.out);
  EXPECT_EQ(Stats({Path(), "--json", "--top", "2"}).out, o.out);
}

TEST_F(StatsCommandTest, TextFigures) {
  Outcome o = Stats({Path()});
  EXPECT_EQ(o.rc, kExitOk) << o.err;
  EXPECT_NE(o.out.find("day           2025-03-01 (UTC)\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("rows          6\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("first         2025-03-01T10:00:00.000000Z\n"
                       "last          2025-03-01T10:05:00.000000Z\n"
                       "rows per app:\n"
                       "             4  shop\n"
                       "             2  blog\n"
                       "top events:\n"
                       "             3  shop  a\n"
                       "             2  blog  b\n"
                       "             1  shop  u\n"),
            std::string::npos)
      << o.out;
}

TEST_F(StatsCommandTest, BadUsageAndMissingFiles) {
  const std::vector<std::vector<std::string>> usage = {
      {Path(), Path()},       {Path(), "--top", "0"},  {Path(), "--top", "10001"},
      {Path(), "--top", "x"}, {Path(), "--top", "5x"}, {Path(), "--top", ""},
      {Path(), "--top"},      {Path(), "--nope"},      {"--config", dir_.path() + "/none.yaml"},
  };
  for (const auto& args : usage) {
    Outcome o = Stats(args);
    EXPECT_EQ(o.rc, kExitUsage) << args.back() << ": " << o.out;
    EXPECT_EQ(o.out, "");
  }
  Outcome missing = Stats({"--config", config_path_, "2025-02-01"});
  EXPECT_EQ(missing.rc, kExitFailure);
  EXPECT_EQ(missing.err,
            "itslog stats: no day file " + DayFilePath(dir_.path(), "2025-02-01") + "\n");
}

}  // namespace
}  // namespace itslog
