#include "store/prune.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "store/day_store.h"

namespace itslog {
namespace {

namespace fs = std::filesystem;

class PruneTest : public ::testing::Test {
 protected:
  PruneTest() : env_("2025-03-10T12:00:00Z") {
    options_.data_dir = dir_.path();
    options_.zone = *TimeZone::Load("UTC");
    options_.retention_days = 3;
  }

  // A stand-in day file (prune never opens it) with the sidecars named.
  void Touch(const std::string& day, std::initializer_list<const char*> sidecars = {}) {
    std::string path = DayFilePath(dir_.path(), day);
    std::ofstream(path) << "x";
    for (const char* s : sidecars) {
      std::ofstream(path + s) << "x";
    }
  }
  bool Exists(const std::string& name) { return fs::exists(dir_.path() + "/" + name); }

  TempDir dir_;
  FakeEnv env_;
  PruneOptions options_;
};

TEST_F(PruneTest, RemovesOnlyDaysPastTheWindowWithTheirSidecars) {
  Touch("2025-03-06", {"-wal", "-shm", ".lock"});
  Touch("2025-03-07");  // today - 3: still inside the window
  Touch("2025-03-10");  // today
  std::ofstream(dir_.path() + "/notes.txt") << "keep";
  auto r = PruneDays(&env_, options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].day, "2025-03-06");
  EXPECT_TRUE((*r)[0].removed) << (*r)[0].note;
  EXPECT_FALSE(Exists("2025-03-06-v1.itslog"));
  EXPECT_FALSE(Exists("2025-03-06-v1.itslog-wal"));
  EXPECT_FALSE(Exists("2025-03-06-v1.itslog-shm"));
  EXPECT_FALSE(Exists("2025-03-06-v1.itslog.lock"));
  EXPECT_TRUE(Exists("2025-03-07-v1.itslog"));
  EXPECT_TRUE(Exists("2025-03-10-v1.itslog"));
  EXPECT_TRUE(Exists("notes.txt"));
}

TEST_F(PruneTest, ZeroRetentionKeepsEverything) {
  Touch("2000-01-01");
  options_.retention_days = 0;
  auto r = PruneDays(&env_, options_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_TRUE(Exists("2000-01-01-v1.itslog"));
}

TEST_F(PruneTest, WhenShippingOnlyProvenCopiesAreRemoved) {
  options_.require_shipped = true;
  Touch("2025-03-01", {".shipped"});
  Touch("2025-03-02");
  auto r = PruneDays(&env_, options_);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[0].removed);
  EXPECT_FALSE((*r)[1].removed);
  EXPECT_NE((*r)[1].note.find("not shipped"), std::string::npos) << (*r)[1].note;
  EXPECT_FALSE(Exists("2025-03-01-v1.itslog"));
  EXPECT_FALSE(Exists("2025-03-01-v1.itslog.shipped"));
  EXPECT_TRUE(Exists("2025-03-02-v1.itslog"));
}

TEST_F(PruneTest, ADayWhoseLockIsHeldIsKept) {
  Touch("2025-03-01");
  options_.lock_timeout_ms = 50;
  std::string lock_path = DayFilePath(dir_.path(), "2025-03-01") + ".lock";
  PosixEnv other;
  auto held = other.LockExclusive(lock_path, 1000);
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  auto r = PruneDays(&env_, options_);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_FALSE((*r)[0].removed);
  EXPECT_TRUE(Exists("2025-03-01-v1.itslog"));
}

TEST_F(PruneTest, MissingDataDirIsAnError) {
  options_.data_dir = dir_.path() + "/nope";
  auto r = PruneDays(&env_, options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "storage_unavailable");
}

}  // namespace
}  // namespace itslog
