#include "archive/day_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "archive/archive_keys.h"
#include "core/crypto.h"
#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "s3/s3_client.h"
#include "store/day_store.h"
#include "store/seal.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using testing_days::Append;
using testing_days::Ev;
using testing_days::Rechain;
using testing_days::Tamper;

std::string FileSha256Hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return HexEncode(Sha256Of(bytes.str()));
}

// A closed day of five rows, sealed as `itslog ship` seals it; returns its seal's text.
std::string SealedDay(FakeEnv* env, const std::string& dir) {
  for (int i = 0; i < 5; ++i) {
    Append(env, dir, {Ev("a", "e" + std::to_string(i))});
  }
  Result<SealInfo> seal = SealDay(dir, "2025-03-01", env);
  EXPECT_TRUE(seal.ok()) << seal.status().ToString();
  return seal.ok() ? SealJson(*seal, "vm-a", FileSha256Hex(DayFilePath(dir, "2025-03-01"))) : "";
}

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

TEST(CheckShippedCopyTest, AcceptsTheShippedBytesAndNamesTheirHost) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  std::string seal = SealedDay(&env, dir.path());
  Result<std::string> host = CheckShippedCopy(DayFilePath(dir.path(), "2025-03-01"), "2025-03-01",
                                              "vm-a", seal, "s3://b/file", "s3://b/seal");
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  EXPECT_EQ(*host, "test");
}

TEST(CheckShippedCopyTest, RefusesWhatDiffersFromItsSealNamingTheObject) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  std::string seal = SealedDay(&env, dir.path());
  const std::string path = DayFilePath(dir.path(), "2025-03-01");
  auto check = [&](const std::string& seal_text) {
    return CheckShippedCopy(path, "2025-03-01", "vm-a", seal_text, "s3://b/file", "s3://b/seal");
  };
  auto expect_corrupt = [&](const Result<std::string>& r, const std::string& object,
                            const std::string& words) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kCorrupt);
    EXPECT_EQ(r.status().reason(), "archive_corrupt");
    EXPECT_TRUE(r.status().message().starts_with(object + ": ")) << r.status().message();
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
  };
  // The seal itself.
  expect_corrupt(check("{"), "s3://b/seal", "");
  expect_corrupt(check(std::string(seal).replace(seal.find("2025-03-01"), 10, "2025-03-02")),
                 "s3://b/seal", "the seal is for 2025-03-02");
  expect_corrupt(CheckShippedCopy(path, "2025-03-01", "vm-b", seal, "s3://b/file", "s3://b/seal"),
                 "s3://b/seal", "the seal is vm-a's, not vm-b's");
  std::string no_sha = seal.substr(0, seal.find(",\"file_sha256\"")) + "}";
  expect_corrupt(check(no_sha), "s3://b/seal", "no file_sha256");
  // One row's value edited: the bytes differ from the seal's SHA-256.
  Tamper(path, "UPDATE log SET value = 'forged' WHERE seq = 3");
  expect_corrupt(check(seal), "s3://b/file", "SHA-256");
  // The seal rewritten to the edited file's SHA-256: the chain gives the edit away.
  std::string resealed = seal;
  size_t at = resealed.find("\"file_sha256\":\"") + 15;
  resealed.replace(at, 64, FileSha256Hex(path));
  expect_corrupt(check(resealed), "s3://b/file", "edited_row");
  // Rechained as well: the final hash is no longer the seal's.
  Rechain(path);
  resealed.replace(at, 64, FileSha256Hex(path));
  expect_corrupt(check(resealed), "s3://b/file", "seal");
}

TEST(CheckShippedCopyTest, AFileThatIsNotThereIsUnavailable) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  std::string seal = SealedDay(&env, dir.path());
  Result<std::string> r =
      CheckShippedCopy(dir.path() + "/missing", "2025-03-01", "vm-a", seal, "s3://b/f", "s3://b/s");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
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

TEST(ArchiveKeysTest, ThisHostIsTheConfigurationsHostId) {
  Config c;
  c.host_id = "vm-b";
  EXPECT_EQ(HostIdOf(c), "vm-b");
  c.host_id.clear();
  EXPECT_EQ(HostIdOf(c), DefaultHostId());
}

}  // namespace
}  // namespace itslog
