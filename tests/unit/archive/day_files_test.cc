#include "archive/day_files.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "archive/archive_keys.h"
#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "s3/s3_client.h"
#include "store/day_store.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using testing_days::Append;
using testing_days::Ev;

DayLocatorOptions LocalOptions(const std::string& dir) {
  DayLocatorOptions o;
  o.data_dir = dir;
  o.host_id = "vm-a";
  o.cache_dir = dir + "/archive";
  return o;
}

TEST(DayLocatorTest, NoFileAnywhereIsAnEmptyDay) {
  TempDir dir;
  FakeEnv env("2025-03-02T10:00:00Z");
  DayLocator locator(&env, LocalOptions(dir.path()), {});
  Result<DayFiles> files = locator.Open("2025-03-01");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_TRUE(files->empty());
  EXPECT_EQ(files->day(), "2025-03-01");
}

TEST(DayLocatorTest, TheLocalFileIsThisHostsOwn) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  Append(&env, dir.path(), {Ev("a", "e")});
  env.SetNow("2025-03-02T10:00:00Z");
  DayLocator locator(&env, LocalOptions(dir.path()), {});
  for (const std::string day : {"2025-03-01", "2025-03-02"}) {
    Result<DayFiles> files = locator.Open(day);
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    if (day == "2025-03-02") {
      EXPECT_TRUE(files->empty());
      continue;
    }
    ASSERT_EQ(files->files().size(), 1u);
    const HostDayFile& f = files->files()[0];
    EXPECT_EQ(f.host, "vm-a");
    EXPECT_TRUE(f.own_local);
    EXPECT_EQ(f.path, DayFilePath(dir.path(), "2025-03-01"));
    EXPECT_EQ(files->hosts(), std::vector<std::string>{"vm-a"});
    EXPECT_NE(files->Find("vm-a"), nullptr);
    EXPECT_EQ(files->Find("vm-b"), nullptr);
  }
}

TEST(DayLocatorTest, GivesTheReadSideItsFiles) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  Append(&env, dir.path(), {Ev("a", "e")});
  DayLocator locator(&env, LocalOptions(dir.path()), {});
  DayFileSource* source = &locator;
  Result<DayFileList> list = source->Files("2025-03-01");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->files.size(), 1u);
  EXPECT_EQ(list->files[0].host, "vm-a");
  EXPECT_TRUE(list->files[0].own_local);
  EXPECT_EQ(list->files[0].path, DayFilePath(dir.path(), "2025-03-01"));
  EXPECT_NE(list->pin, nullptr);
  Result<DayFileList> bad = source->Files("x");
  EXPECT_FALSE(bad.ok());
}

TEST(DayLocatorTest, RefusesWhatIsNotADay) {
  TempDir dir;
  FakeEnv env("2025-03-02T10:00:00Z");
  DayLocator locator(&env, LocalOptions(dir.path()), {});
  for (const char* bad : {"", "2025-3-1", "2025-02-30", "../2025-03-01", "2025-03-01/x"}) {
    Result<DayFiles> files = locator.Open(bad);
    ASSERT_FALSE(files.ok()) << bad;
    EXPECT_EQ(files.status().reason(), "invalid_day") << bad;
    EXPECT_EQ(files.status().field(), "day") << bad;
  }
}

TEST(DayLocatorTest, WithoutS3APastDayIsWhatIsLocal) {
  TempDir dir;
  FakeEnv env("2025-03-09T10:00:00Z");
  DayLocatorOptions o = LocalOptions(dir.path());
  bool asked = false;
  DayLocator locator(&env, o, [&]() -> Result<std::unique_ptr<S3Client>> {
    asked = true;
    return InternalError("not used");
  });
  Result<DayFiles> files = locator.Open("2025-03-01");
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());
  EXPECT_FALSE(asked);
}

TEST(DayLocatorTest, TodayIsNeverLookedUpInS3) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  DayLocatorOptions o = LocalOptions(dir.path());
  o.s3_configured = true;
  o.s3.bucket = "b";
  bool asked = false;
  DayLocator locator(&env, o, [&]() -> Result<std::unique_ptr<S3Client>> {
    asked = true;
    return UnavailableError("s3_unavailable", "down");
  });
  Result<DayFiles> files = locator.Open("2025-03-01");
  ASSERT_TRUE(files.ok());
  EXPECT_FALSE(asked);
  // A past day needs S3: its failure is the answer.
  Result<DayFiles> past = locator.Open("2025-02-28");
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.status().code(), Code::kUnavailable);
  EXPECT_TRUE(asked);
}

TEST(DayLocatorTest, OptionsComeFromTheConfiguration) {
  Config c;
  c.data_dir = "/var/lib/itslog";
  Result<DayLocatorOptions> o = DayLocatorOptionsFrom(c);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->cache_dir, "/var/lib/itslog/archive");
  EXPECT_EQ(o->cache_max_bytes, 1073741824);
  EXPECT_FALSE(o->s3_configured);
  c.archive.cache_dir = "/cache";
  c.archive.cache_max_bytes = 5;
  c.s3.bucket = "b";
  o = DayLocatorOptionsFrom(c);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->cache_dir, "/cache");
  EXPECT_EQ(o->cache_max_bytes, 5);
  EXPECT_TRUE(o->s3_configured);
  EXPECT_TRUE(IsValidHostId(o->host_id)) << o->host_id;
}

TEST(ArchiveKeysTest, PerHostAndFirstLayout) {
  EXPECT_EQ(ShippedFileKey("p/", "2025-03-01", "vm-a"),
            "p/2025-03-01/hosts/vm-a/2025-03-01-v1.itslog");
  EXPECT_EQ(ShippedSealKey("", "2025-03-01", "vm-a"),
            "2025-03-01/hosts/vm-a/2025-03-01-v1.seal.json");
  EXPECT_EQ(FirstLayoutFileKey("p/", "2025-03-01"), "p/2025-03-01-v1.itslog");
  EXPECT_EQ(FirstLayoutSealKey("p/", "2025-03-01"), "p/2025-03-01-v1.seal.json");
  EXPECT_EQ(HostOfShippedKey("p/", "2025-03-01", "p/2025-03-01/hosts/vm-a/2025-03-01-v1.itslog"),
            "vm-a");
  EXPECT_EQ(HostOfShippedKey("p/", "2025-03-01", "p/2025-03-01/hosts/VM-A/x"), std::nullopt);
  EXPECT_EQ(HostOfShippedKey("p/", "2025-03-01", "p/2025-03-01/hosts/vm-a"), std::nullopt);
  EXPECT_EQ(HostOfShippedKey("p/", "2025-03-01", "p/2025-03-02/hosts/vm-a/x"), std::nullopt);
  for (const std::string& ok :
       std::vector<std::string>{"a", "vm-a", "0", "a.b-c", std::string(63, 'a')}) {
    EXPECT_TRUE(IsValidHostId(ok)) << ok;
  }
  for (const std::string& bad :
       std::vector<std::string>{"", "-a", ".a", "A", "a_b", "a/b", std::string(64, 'a')}) {
    EXPECT_FALSE(IsValidHostId(bad)) << bad;
  }
}

}  // namespace
}  // namespace itslog
