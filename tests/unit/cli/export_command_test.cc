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

class ExportCommandTest : public ::testing::Test {
 protected:
  ExportCommandTest() : env_("2025-03-01T10:00:00Z") {
    Append(&env_, dir_.path(),
           {Ev("shop", "a", ValueType::kInteger, "1"), Ev("blog", "b", ValueType::kText, "x,y"),
            Ev("shop", "c")});
    config_path_ = dir_.path() + "/itslog.yaml";
    std::ofstream(config_path_) << "data_dir: " << dir_.path() << "\nauth:\n  required: false\n";
  }
  std::string Path() { return DayFilePath(dir_.path(), "2025-03-01"); }

  Outcome Export(const std::vector<std::string>& args) {
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    int rc = RunExportCommand(args, &env_);
    std::string out = ::testing::internal::GetCapturedStdout();
    std::string err = ::testing::internal::GetCapturedStderr();
    return {rc, out, err};
  }

  TempDir dir_;
  FakeEnv env_;
  std::string config_path_;
};

const char* kRow1 =
    "{\"day\":\"2025-03-01\",\"seq\":1,\"time\":\"2025-03-01T10:00:00.000000Z\",\"app\":\"shop\","
    "\"event\":\"a\",\"value\":\"1\",\"type\":1,\"is_unique\":0}\n";
const char* kRow3 =
    "{\"day\":\"2025-03-01\",\"seq\":3,\"time\":\"2025-03-01T10:00:00.000000Z\",\"app\":\"shop\","
    "\"event\":\"c\",\"value\":null,\"type\":3,\"is_unique\":0}\n";

TEST_F(ExportCommandTest, WritesJsonLinesByDefault) {
  Outcome o = Export({Path(), "--app", "shop"});
  EXPECT_EQ(o.rc, kExitOk) << o.err;
  EXPECT_EQ(o.out, std::string(kRow1) + kRow3);
  EXPECT_EQ(o.err, "");
  Outcome jsonl = Export({"--format=jsonl", "--app=shop", Path()});
  EXPECT_EQ(jsonl.out, o.out);
  Outcome by_day = Export({"--config", config_path_, "2025-03-01", "--event", "a"});
  EXPECT_EQ(by_day.rc, kExitOk) << by_day.err;
  EXPECT_EQ(by_day.out, kRow1);
}

TEST_F(ExportCommandTest, WritesCsv) {
  Outcome o = Export({Path(), "--format", "csv", "--app", "blog"});
  EXPECT_EQ(o.rc, kExitOk) << o.err;
  EXPECT_EQ(o.out,
            "day,seq,time,app,event,value,type,is_unique\r\n"
            "2025-03-01,2,2025-03-01T10:00:00.000000Z,blog,b,\"x,y\",3,0\r\n");
  Outcome bare = Export({Path(), "--format", "csv", "--no-header", "--event", "c"});
  EXPECT_EQ(bare.out, "2025-03-01,3,2025-03-01T10:00:00.000000Z,shop,c,,3,0\r\n");
}

TEST_F(ExportCommandTest, BadUsageExitsTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {},
      {Path(), Path()},
      {Path(), "--format", "xml"},
      {Path(), "--format", ""},
      {Path(), "--format", "CSV"},
      {Path(), "--format"},
      {Path(), "--app", "bad app"},
      {Path(), "--event", "-x"},
      {Path(), "--header"},
      {"--config", dir_.path() + "/missing.yaml", "2025-03-01"},
  };
  for (const auto& args : cases) {
    Outcome o = Export(args);
    EXPECT_EQ(o.rc, kExitUsage) << (args.size() > 1 ? args[1] : "") << ": " << o.err;
    EXPECT_EQ(o.out, "");
    EXPECT_FALSE(o.err.empty());
  }
  Outcome xml = Export({Path(), "--format", "xml"});
  EXPECT_EQ(xml.err.rfind("itslog export: --format is jsonl or csv, not \"xml\"\n", 0), 0u)
      << xml.err;
}

TEST_F(ExportCommandTest, MissingOrForeignFileExitsOneWithAClearError) {
  std::string missing = dir_.path() + "/2025-02-01-v1.itslog";
  Outcome o = Export({missing});
  EXPECT_EQ(o.rc, kExitFailure);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "itslog export: no day file " + missing + "\n");
  Outcome day = Export({"--config", config_path_, "2025-02-01"});
  EXPECT_EQ(day.rc, kExitFailure);
  EXPECT_EQ(day.err, "itslog export: no day file " + missing + "\n");
  std::string text = dir_.path() + "/notes.txt";
  std::ofstream(text) << "hello, this is not an its-log day file at all\n";
  Outcome foreign = Export({text});
  EXPECT_EQ(foreign.rc, kExitFailure);
  EXPECT_EQ(foreign.out, "");
  EXPECT_NE(foreign.err.find("is not an its-log"), std::string::npos) << foreign.err;
}

}  // namespace
}  // namespace itslog
