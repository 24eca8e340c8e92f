#include "archive/archive_cache.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "lib/fake_env.h"
#include "lib/temp_dir.h"

namespace itslog {
namespace {

using std::chrono::seconds;

void WriteBytes(const std::string& path, size_t n) {
  std::ofstream out(path, std::ios::binary);
  out << std::string(n, 'x');
}

class ArchiveCacheTest : public ::testing::Test {
 protected:
  // Puts a 100-byte entry of day 2025-03-01 in place, pinned, one second after the last.
  CachePin Put(ArchiveCache* cache, const std::string& name) {
    env_.Advance(seconds(1));
    EXPECT_TRUE(cache->EnsureDayDir("2025-03-01").ok());
    std::string path = cache->EntryPath("2025-03-01", name);
    WriteBytes(ArchiveCache::TempPath(path), 100);
    Result<CachePin> pin = cache->Insert(ArchiveCache::TempPath(path), path, {});
    EXPECT_TRUE(pin.ok()) << pin.status().ToString();
    return pin.ok() ? std::move(*pin) : CachePin();
  }
  bool Has(ArchiveCache* cache, const std::string& name) {
    return std::filesystem::exists(cache->EntryPath("2025-03-01", name));
  }

  TempDir dir_;
  FakeEnv env_{"2025-03-02T10:00:00Z"};
};

TEST_F(ArchiveCacheTest, InsertRenamesTheCheckedFileIntoPlaceAndPinsIt) {
  ArchiveCache cache(&env_, dir_.path() + "/archive", 1000);
  std::string path = cache.EntryPath("2025-03-01", "h.a");
  CachePin pin = Put(&cache, "h.a");
  EXPECT_TRUE(pin.held());
  EXPECT_EQ(pin.path(), path);
  EXPECT_FALSE(std::filesystem::exists(ArchiveCache::TempPath(path)));
  EXPECT_EQ(std::filesystem::file_size(path), 100u);
  Result<std::optional<CachePin>> again = cache.Pin(path);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->has_value());
  Result<std::optional<CachePin>> missing = cache.Pin(cache.EntryPath("2025-03-01", "h.b"));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(ArchiveCacheTest, SidecarsAreWrittenBesideTheEntry) {
  ArchiveCache cache(&env_, dir_.path(), 1000);
  ASSERT_TRUE(cache.EnsureDayDir("2025-03-01").ok());
  std::string path = cache.EntryPath("2025-03-01", "h.a");
  WriteBytes(ArchiveCache::TempPath(path), 10);
  ASSERT_TRUE(cache.Insert(ArchiveCache::TempPath(path), path, {{".host", "a"}}).ok());
  EXPECT_EQ(ArchiveCache::ReadSidecar(path, ".host"), "a");
  EXPECT_EQ(ArchiveCache::ReadSidecar(path, ".seal.json"), "");
}

TEST_F(ArchiveCacheTest, EvictsLeastRecentlyUsedFirst) {
  ArchiveCache cache(&env_, dir_.path(), 300);
  Put(&cache, "a");
  Put(&cache, "b");
  Put(&cache, "c");
  // a is used again: b is now the least recently used.
  env_.Advance(seconds(1));
  ASSERT_TRUE(cache.Pin(cache.EntryPath("2025-03-01", "a")).ok());
  Put(&cache, "d");
  EXPECT_TRUE(Has(&cache, "a"));
  EXPECT_FALSE(Has(&cache, "b"));
  EXPECT_TRUE(Has(&cache, "c"));
  EXPECT_TRUE(Has(&cache, "d"));
  int64_t total = 0;
  for (const CacheEntryInfo& e : cache.Entries()) {
    total += e.bytes;
  }
  EXPECT_EQ(total, 300);
}

TEST_F(ArchiveCacheTest, NeverEvictsAPinnedEntryEvenAboveTheBound) {
  ArchiveCache cache(&env_, dir_.path(), 150);
  CachePin a = Put(&cache, "a");
  CachePin b = Put(&cache, "b");  // both pinned: the cache stays above its bound
  EXPECT_TRUE(Has(&cache, "a"));
  EXPECT_TRUE(Has(&cache, "b"));
  a.Release();
  Put(&cache, "c").Release();
  EXPECT_FALSE(Has(&cache, "a"));
  EXPECT_TRUE(Has(&cache, "b"));
  EXPECT_TRUE(Has(&cache, "c"));
  b.Release();
  Result<std::vector<std::string>> removed = cache.Evict(0);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->size(), 1u);  // 200 bytes > 150: the older of b and c goes
  EXPECT_FALSE(Has(&cache, "b"));
  EXPECT_TRUE(Has(&cache, "c"));
}

TEST_F(ArchiveCacheTest, APinHeldByAnotherProcessKeepsTheEntry) {
  ArchiveCache cache(&env_, dir_.path(), 100);
  Put(&cache, "a").Release();
  int to_child[2];
  int from_child[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(from_child), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Result<std::optional<CachePin>> pin = cache.Pin(cache.EntryPath("2025-03-01", "a"));
    char c = pin.ok() && pin->has_value() ? 'p' : 'n';
    (void)!write(from_child[1], &c, 1);
    (void)!read(to_child[0], &c, 1);  // holds the pin until the parent says
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(from_child[0], &c, 1), 1);
  ASSERT_EQ(c, 'p');
  Result<std::vector<std::string>> removed = cache.Evict(100);
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->empty());
  EXPECT_TRUE(Has(&cache, "a"));
  ASSERT_EQ(write(to_child[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  removed = cache.Evict(100);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->size(), 1u);
  EXPECT_FALSE(Has(&cache, "a"));
  for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) {
    close(fd);
  }
}

TEST_F(ArchiveCacheTest, EvictionTakesTheEntrysSidecarsWithIt) {
  ArchiveCache cache(&env_, dir_.path(), 100);
  ASSERT_TRUE(cache.EnsureDayDir("2025-03-01").ok());
  std::string path = cache.EntryPath("2025-03-01", "a");
  WriteBytes(ArchiveCache::TempPath(path), 100);
  ASSERT_TRUE(
      cache.Insert(ArchiveCache::TempPath(path), path, {{".seal.json", "{}"}, {".host", "a"}})
          .ok());
  Put(&cache, "b");
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".seal.json"));
  EXPECT_FALSE(std::filesystem::exists(path + ".host"));
}

TEST_F(ArchiveCacheTest, OneFillerOfAnEntryAtATime) {
  ArchiveCache cache(&env_, dir_.path(), 100);
  ASSERT_TRUE(cache.EnsureDayDir("2025-03-01").ok());
  std::string path = cache.EntryPath("2025-03-01", "a");
  Result<FileLock> first = cache.LockEntry(path, 1000);
  ASSERT_TRUE(first.ok());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    PosixEnv env;
    ArchiveCache other(&env, dir_.path(), 100);
    Result<FileLock> second = other.LockEntry(path, 50);
    _exit(!second.ok() && second.status().reason() == "lock_timeout" ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(ArchiveCacheTest, AFailedInsertRemovesTheTemporaryFile) {
  ArchiveCache cache(&env_, dir_.path(), 1000);
  ASSERT_TRUE(cache.EnsureDayDir("2025-03-01").ok());
  std::string path = cache.EntryPath("2025-03-01", "a");
  WriteBytes(ArchiveCache::TempPath(path), 10);
  // The destination is a folder: rename(2) fails.
  std::filesystem::create_directories(path);
  std::filesystem::create_directories(path + "/x");
  Result<CachePin> r = cache.Insert(ArchiveCache::TempPath(path), path, {});
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(std::filesystem::exists(ArchiveCache::TempPath(path)));
}

}  // namespace
}  // namespace itslog
