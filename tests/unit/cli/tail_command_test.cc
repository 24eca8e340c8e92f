#include <gtest/gtest.h>
#include <stdio.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/read_commands.h"
#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "store/day_store.h"
#include "store/reader.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using std::chrono::milliseconds;
using testing_days::Append;
using testing_days::Ev;

// A FILE* whose contents the test can read.
class MemoryFile {
 public:
  MemoryFile() : file_(open_memstream(&data_, &size_)) {}
  ~MemoryFile() {
    if (file_ != nullptr) {
      fclose(file_);
    }
    free(data_);
  }
  FILE* get() { return file_; }
  std::string text() {
    fflush(file_);
    return std::string(data_, size_);
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  FILE* file_;
};

class TailCommandTest : public ::testing::Test {
 protected:
  TailCommandTest() : env_("2025-03-01T23:59:58Z") { config_.data_dir = dir_.path(); }

  // Runs the tail; sleeps move the clock and then run on_sleep_ (the writers); the loop ends
  // after `polls` looks at the files.
  int Run(const TailOptions& options, int polls = 0) {
    int looks = 0;
    int rc = RunTail(
        config_, options, &env_, out_.get(),
        [&](int64_t micros) {
          EXPECT_EQ(micros, options.poll_micros);
          env_.Advance(std::chrono::microseconds(micros));
          ++sleeps_;
          if (on_sleep_) {
            on_sleep_(sleeps_);
          }
        },
        [&] { return looks++ < polls; });
    return rc;
  }

  TempDir dir_;
  FakeEnv env_;
  Config config_;
  MemoryFile out_;
  std::function<void(int)> on_sleep_;
  int sleeps_ = 0;
};

TEST_F(TailCommandTest, ShowsTheLastRowsOfToday) {
  Append(&env_, dir_.path(),
         {Ev("shop", "a", ValueType::kInteger, "1"), Ev("blog", "b"),
          Ev("shop", "c", ValueType::kText, "two\nlines\x7f"),
          Ev("shop", "d", ValueType::kText, "caf\xc3\xa9"), Ev("blog", "e", ValueType::kText, "")});
  TailOptions o;
  o.lines = 3;
  EXPECT_EQ(Run(o), kExitOk);
  EXPECT_EQ(out_.text(),
            "2025-03-01T23:59:58.000000Z  shop  c  two\\x0alines\\x7f\n"
            "2025-03-01T23:59:58.000000Z  shop  d  caf\xc3\xa9\n"
            "2025-03-01T23:59:58.000000Z  blog  e  \n");
  EXPECT_EQ(sleeps_, 0);
}

TEST_F(TailCommandTest, FiltersAndJson) {
  Append(&env_, dir_.path(),
         {Ev("shop", "a", ValueType::kInteger, "1"), Ev("blog", "b"), Ev("shop", "a"),
          Ev("shop", "c")});
  TailOptions o;
  o.app = "shop";
  o.event = "a";
  o.json = true;
  EXPECT_EQ(Run(o), kExitOk);
  EXPECT_EQ(out_.text(),
            "{\"day\":\"2025-03-01\",\"seq\":1,\"time\":\"2025-03-01T23:59:58.000000Z\","
            "\"app\":\"shop\",\"event\":\"a\",\"value\":\"1\",\"type\":1,\"is_unique\":0}\n"
            "{\"day\":\"2025-03-01\",\"seq\":3,\"time\":\"2025-03-01T23:59:58.000000Z\","
            "\"app\":\"shop\",\"event\":\"a\",\"value\":null,\"type\":3,\"is_unique\":0}\n");
}

TEST_F(TailCommandTest, FindsRareRowsFarBack) {
  StoreOptions so;
  so.data_dir = dir_.path();
  DayStore store(&env_, so);
  std::vector<Event> events(2500, Ev("noise", "n"));
  events[2] = Ev("rare", "r1");
  events[6] = Ev("rare", "r2");
  events[1200] = Ev("rare", "r3");
  ASSERT_TRUE(store.Append(events).ok());
  TailOptions o;
  o.app = "rare";
  o.lines = 2;
  EXPECT_EQ(Run(o), kExitOk);
  EXPECT_EQ(out_.text(),
            "2025-03-01T23:59:58.000000Z  rare  r2\n"
            "2025-03-01T23:59:58.000000Z  rare  r3\n");
  MemoryFile all;
  o.lines = 1000000;
  EXPECT_EQ(RunTail(
                config_, o, &env_, all.get(), [](int64_t) {}, [] { return false; }),
            kExitOk);
  EXPECT_EQ(all.text(),
            "2025-03-01T23:59:58.000000Z  rare  r1\n"
            "2025-03-01T23:59:58.000000Z  rare  r2\n"
            "2025-03-01T23:59:58.000000Z  rare  r3\n");
  MemoryFile none;
  o.lines = 0;
  EXPECT_EQ(RunTail(
                config_, o, &env_, none.get(), [](int64_t) {}, [] { return false; }),
            kExitOk);
  EXPECT_EQ(none.text(), "");
}

TEST_F(TailCommandTest, FollowsAcrossMidnightWithoutLossOrRepeat) {
  Append(&env_, dir_.path(), {Ev("shop", "a1")});
  on_sleep_ = [this](int n) {
    switch (n) {  // the clock stands at 23:59:58 + n * 0.5 s
      case 1:
        Append(&env_, dir_.path(), {Ev("shop", "b1")});
        break;
      case 2:
        Append(&env_, dir_.path(), {Ev("shop", "b2"), Ev("blog", "hidden")});
        break;
      case 3:
        // The old day's last row, unread when midnight passes and the new file appears.
        Append(&env_, dir_.path(), {Ev("shop", "b3")});
        env_.SetNow("2025-03-02T00:00:00.25Z");
        break;
      case 4:
        Append(&env_, dir_.path(), {Ev("shop", "c1"), Ev("shop", "c2")});
        break;
      case 6:
        Append(&env_, dir_.path(), {Ev("shop", "c3")});
        break;
      default:
        break;
    }
  };
  TailOptions o;
  o.follow = true;
  o.app = "shop";
  o.poll_micros = 500000;
  EXPECT_EQ(Run(o, 8), kExitOk);
  EXPECT_EQ(out_.text(),
            "2025-03-01T23:59:58.000000Z  shop  a1\n"
            "2025-03-01T23:59:58.500000Z  shop  b1\n"
            "2025-03-01T23:59:59.000000Z  shop  b2\n"
            "2025-03-01T23:59:59.500000Z  shop  b3\n"
            "2025-03-02T00:00:00.750000Z  shop  c1\n"
            "2025-03-02T00:00:00.750000Z  shop  c2\n"
            "2025-03-02T00:00:01.750000Z  shop  c3\n");
  EXPECT_EQ(sleeps_, 8);
}

TEST_F(TailCommandTest, FollowsFromTheStartOfADayWithoutAFileYet) {
  on_sleep_ = [this](int n) {
    if (n == 1) {
      Append(&env_, dir_.path(), {Ev("shop", "first")});
    }
  };
  TailOptions o;
  o.follow = true;
  o.json = true;
  EXPECT_EQ(Run(o, 3), kExitOk);
  EXPECT_EQ(out_.text(),
            "{\"day\":\"2025-03-01\",\"seq\":1,\"time\":\"2025-03-01T23:59:58.250000Z\","
            "\"app\":\"shop\",\"event\":\"first\",\"value\":null,\"type\":3,\"is_unique\":0}\n");
}

TEST_F(TailCommandTest, BadZoneOrFileFails) {
  Config bad_zone = config_;
  bad_zone.timezone = "Nowhere/Special";
  EXPECT_EQ(RunTail(
                bad_zone, {}, &env_, out_.get(), [](int64_t) {}, [] { return false; }),
            kExitUsage);
  std::ofstream(DayFilePath(dir_.path(), "2025-03-01"))
      << "not a day file at all, only some text\n";
  EXPECT_EQ(Run({}), kExitFailure);
  EXPECT_EQ(out_.text(), "");
}

// The command line ---------------------------------------------------------------------------

TEST_F(TailCommandTest, CommandLineRefusesBadUsage) {
  const std::vector<std::vector<std::string>> cases = {
      {"extra"},         {"-n"},       {"-n", "x"}, {"-n", "-1"},
      {"-n", "1000001"}, {"-n", "5x"}, {"-n", ""},  {"--app", "bad app"},
      {"--event", ""},   {"--nope"},   {"--app"},   {"-F"},
  };
  for (const auto& args : cases) {
    ::testing::internal::CaptureStderr();
    int rc = RunTailCommand(args, &env_);
    std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(rc, kExitUsage) << args[0];
    EXPECT_EQ(err.rfind("itslog tail: ", 0), 0u) << err;
  }
}

TEST(TailOptionsTest, FlagsMapToOptions) {
  auto parse = [](const std::vector<std::string>& args) {
    Result<ParsedArgs> p =
        ParseArgs(args, {"--config", "--app", "--event", "-n"}, {"-f", "--follow", "--json"});
    EXPECT_TRUE(p.ok());
    return TailOptionsFrom(*p);
  };
  std::optional<TailOptions> none = parse({});
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->follow);
  EXPECT_FALSE(none->json);
  EXPECT_EQ(none->lines, 10);
  EXPECT_EQ(none->app, std::nullopt);
  EXPECT_EQ(none->event, std::nullopt);
  std::optional<TailOptions> all =
      parse({"-f", "--json", "-n", "0", "--app", "shop", "--event=cart.items"});
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->follow);
  EXPECT_TRUE(all->json);
  EXPECT_EQ(all->lines, 0);
  EXPECT_EQ(all->app, std::optional<std::string>("shop"));
  EXPECT_EQ(all->event, std::optional<std::string>("cart.items"));
  std::optional<TailOptions> follow = parse({"--follow", "-n", "1000000"});
  ASSERT_TRUE(follow.has_value());
  EXPECT_TRUE(follow->follow);
  EXPECT_EQ(follow->lines, 1000000);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(parse({"-n", "1e3"}).has_value());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "itslog tail: -n takes a number from 0 to 1000000\n");
}

TEST_F(TailCommandTest, CommandLinePrintsTheLastRows) {
  Append(&env_, dir_.path(), {Ev("shop", "a"), Ev("shop", "b"), Ev("blog", "c")});
  std::string config_path = dir_.path() + "/itslog.yaml";
  std::ofstream(config_path) << "data_dir: " << dir_.path() << "\nauth:\n  required: false\n";
  ::testing::internal::CaptureStdout();
  int rc = RunTailCommand({"--config", config_path, "-n", "1", "--app", "shop"}, &env_);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, kExitOk);
  EXPECT_EQ(out, "2025-03-01T23:59:58.000000Z  shop  b\n");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunTailCommand({"--config", dir_.path() + "/missing.yaml"}, &env_), kExitUsage);
  ::testing::internal::GetCapturedStderr();
}

}  // namespace
}  // namespace itslog
