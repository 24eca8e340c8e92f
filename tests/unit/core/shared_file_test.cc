#include "core/shared_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>

#include "lib/temp_dir.h"

namespace itslog {
namespace {

constexpr uint64_t kMagic = 0x7465737466696c65;

TEST(SharedFileTest, MappingsOfOnePathShareTheirBytesAndOnlyTheFirstCreates) {
  TempDir dir;
  const std::string path = dir.path() + "/shared";
  bool created = false;
  Result<SharedFile> a = SharedFile::Open(path, 4096, kMagic, 0640, "test file", &created);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(created);
  Result<SharedFile> b = SharedFile::Open(path, 4096, kMagic, 0640, "test file", &created);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(created);
  auto* wa = static_cast<uint64_t*>(a->data());
  auto* wb = static_cast<uint64_t*>(b->data());
  EXPECT_EQ(wa[0], kMagic);
  std::atomic_ref<uint64_t>(wa[100]).fetch_add(5);
  EXPECT_EQ(std::atomic_ref<uint64_t>(wb[100]).load(), 5u);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 4096);
}

TEST(SharedFileTest, RefusesOtherFilesNamingThem) {
  TempDir dir;
  const std::string path = dir.path() + "/shared";
  ASSERT_TRUE(SharedFile::Open(path, 4096, kMagic, 0640, "test file").ok());
  Result<SharedFile> bigger = SharedFile::Open(path, 8192, kMagic, 0640, "test file");
  EXPECT_EQ(bigger.status().reason(), "storage_unavailable");
  EXPECT_NE(bigger.status().message().find("another layout"), std::string::npos);
  Result<SharedFile> other = SharedFile::Open(path, 4096, kMagic + 1, 0640, "test file");
  EXPECT_NE(other.status().message().find("not an its-log test file"), std::string::npos);
  Result<SharedFile> missing =
      SharedFile::Open(dir.path() + "/no/such/dir", 4096, kMagic, 0640, "test file");
  EXPECT_EQ(missing.status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace itslog
