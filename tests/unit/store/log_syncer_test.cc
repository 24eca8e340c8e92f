#include "store/log_syncer.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "lib/fake_env.h"
#include "lib/temp_dir.h"

namespace itslog {
namespace {

// Holds the first sync until the test lets it go, and records the thread each sync ran on.
class HeldSyncEnv : public FakeEnv {
 public:
  HeldSyncEnv() : FakeEnv("2025-03-01T12:00:00Z") {}
  Status SyncFile(const std::string& path) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      threads_.push_back(std::this_thread::get_id());
      ++started_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    }
    return FakeEnv::SyncFile(path);
  }
  void WaitStarted(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  std::vector<std::thread::id> threads() {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int started_ = 0;
  bool released_ = false;
  std::vector<std::thread::id> threads_;
};

std::string MakeFile(const TempDir& dir, const std::string& name) {
  std::string path = dir.path() + "/" + name;
  std::ofstream(path) << "frames";
  return path;
}

TEST(LogSyncerTest, RequestSyncsTheFileOnAThreadOfItsOwn) {
  TempDir dir;
  HeldSyncEnv env;
  env.Release();
  std::string log = MakeFile(dir, "day-wal");
  LogSyncer syncer(&env);
  syncer.Request(log);
  syncer.WaitIdle();
  EXPECT_EQ(env.synced(), std::vector<std::string>{log});
  ASSERT_EQ(env.threads().size(), 1u);
  EXPECT_NE(env.threads()[0], std::this_thread::get_id());
  EXPECT_EQ(syncer.stats().syncs, 1);
  EXPECT_EQ(syncer.stats().failures, 0);
}

TEST(LogSyncerTest, RequestsMadeWhileOneWaitsAreMergedAndTheLatestPathWins) {
  TempDir dir;
  HeldSyncEnv env;
  std::string a = MakeFile(dir, "a-wal");
  std::string b = MakeFile(dir, "b-wal");
  std::string c = MakeFile(dir, "c-wal");
  LogSyncer syncer(&env);
  syncer.Request(a);
  env.WaitStarted(1);  // a is being synced; b and c wait, as one request
  syncer.Request(b);
  syncer.Request(c);
  env.Release();
  syncer.WaitIdle();
  EXPECT_EQ(env.synced(), (std::vector<std::string>{a, c}));
  EXPECT_EQ(syncer.stats().syncs, 2);
}

TEST(LogSyncerTest, MissingFileIsCountedAsAFailureAndNotCreated) {
  TempDir dir;
  PosixEnv env;
  std::string missing = dir.path() + "/gone-wal";
  LogSyncer syncer(&env);
  syncer.Request(missing);
  syncer.WaitIdle();
  EXPECT_EQ(syncer.stats().syncs, 0);
  EXPECT_EQ(syncer.stats().failures, 1);
  EXPECT_FALSE(env.FileExists(missing));
}

TEST(LogSyncerTest, DestroyingItFinishesTheSyncInProgress) {
  TempDir dir;
  HeldSyncEnv env;
  std::string log = MakeFile(dir, "day-wal");
  std::thread release;
  {
    LogSyncer syncer(&env);
    syncer.Request(log);
    env.WaitStarted(1);
    release = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      env.Release();
    });
  }  // the destructor waits for the held sync, then stops the thread
  EXPECT_EQ(env.synced(), std::vector<std::string>{log});
  release.join();
}

}  // namespace
}  // namespace itslog
