#include "dayset/day_files.h"

#include <gtest/gtest.h>

#include "core/host_id.h"
#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "store/day_store.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

TEST(LocalDayFilesTest, ListsDataDirsFileOfTheDayAsThisHosts) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  testing_days::Append(&env, dir.path(), {testing_days::Ev("shop", "view")});
  LocalDayFiles files(dir.path(), "web-1");
  Result<DayFileList> day = files.Files("2025-03-01");
  ASSERT_TRUE(day.ok()) << day.status().ToString();
  ASSERT_EQ(day->files.size(), 1u);
  EXPECT_EQ(day->files[0].host, "web-1");
  EXPECT_EQ(day->files[0].path, DayFilePath(dir.path(), "2025-03-01"));
  EXPECT_TRUE(day->files[0].own_local);
  Result<DayFileList> none = files.Files("2025-03-02");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->files.empty());
}

TEST(LocalDayFilesTest, TheDefaultHostIdIsAValidLowerCaseName) {
  std::string host = DefaultHostId();
  ASSERT_FALSE(host.empty());
  for (char c : host) {
    EXPECT_FALSE(c >= 'A' && c <= 'Z') << host;
  }
}

}  // namespace
}  // namespace itslog
