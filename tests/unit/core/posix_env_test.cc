#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "core/env.h"
#include "lib/temp_dir.h"

namespace itslog {
namespace {

// A second lock on path, as another writer would take it; 50 ms are plenty when it is free.
Status TryOtherLock(PosixEnv* env, const std::string& path) {
  Result<FileLock> other = env->LockExclusive(path, 50);
  return other.ok() ? Status::Ok() : other.status();
}

// Each test locks files in a directory of its own.
class PosixEnvLockTest : public ::testing::Test {
 protected:
  TempDir dir_;
  PosixEnv env_;
  const std::string path_ = dir_.path() + "/day.lock";
};

TEST_F(PosixEnvLockTest, LockExclusiveExcludesAnotherLockUntilReleased) {
  {
    Result<FileLock> held = env_.LockExclusive(path_, 1000);
    ASSERT_TRUE(held.ok()) << held.status().ToString();
    Status other = TryOtherLock(&env_, path_);
    EXPECT_EQ(other.reason(), "lock_timeout") << other.ToString();
  }
  EXPECT_TRUE(TryOtherLock(&env_, path_).ok());
}

TEST_F(PosixEnvLockTest, KeptLockFileExcludesOthersAndStaysOpenAfterRelease) {
  LockFile file;
  for (int round = 0; round < 3; ++round) {
    {
      Result<FileLock> held = env_.LockExclusiveKeepingOpen(&file, path_, 1000);
      ASSERT_TRUE(held.ok()) << held.status().ToString();
      EXPECT_TRUE(held->held());
      Status other = TryOtherLock(&env_, path_);
      EXPECT_EQ(other.reason(), "lock_timeout") << "round " << round << ": " << other.ToString();
    }
    // Released, not closed: the next lock reuses the same descriptor.
    ASSERT_TRUE(file.is_open());
    EXPECT_EQ(file.path(), path_);
    EXPECT_TRUE(TryOtherLock(&env_, path_).ok()) << "round " << round;
  }
}

TEST_F(PosixEnvLockTest, KeptLockFileWaitsForAnotherHolderAndTimesOut) {
  Result<FileLock> other = env_.LockExclusive(path_, 1000);
  ASSERT_TRUE(other.ok());
  LockFile file;
  Result<FileLock> mine = env_.LockExclusiveKeepingOpen(&file, path_, 50);
  ASSERT_FALSE(mine.ok());
  EXPECT_EQ(mine.status().reason(), "lock_timeout");
  *other = FileLock();  // the other writer is done
  mine = env_.LockExclusiveKeepingOpen(&file, path_, 1000);
  EXPECT_TRUE(mine.ok()) << mine.status().ToString();
}

// The lock timer is made once per thread and reused: it must time out again and again, and a
// lock that was granted in time must leave no timer running that would interrupt a later
// system call of the same thread.
TEST_F(PosixEnvLockTest, LockTimerIsReusedAndDisarmedAfterAGrantedLock) {
  Result<FileLock> other = env_.LockExclusive(path_, 1000);
  ASSERT_TRUE(other.ok());
  for (int i = 0; i < 3; ++i) {
    Result<FileLock> mine = env_.LockExclusive(path_, 20);
    ASSERT_FALSE(mine.ok());
    EXPECT_EQ(mine.status().reason(), "lock_timeout") << "attempt " << i;
  }
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    *other = FileLock();
  });
  Result<FileLock> mine = env_.LockExclusive(path_, 150);  // waits about 30 ms of its 150
  releaser.join();
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  // Past the 150 ms deadline: an armed timer would interrupt this wait with EINTR.
  errno = 0;
  int rc = poll(nullptr, 0, 300);
  EXPECT_EQ(rc, 0) << "poll was interrupted: " << std::strerror(errno);
}

// A child of fork() inherits the parent thread's lock timer variable but not the timer: its
// lock waits must still time out.
TEST_F(PosixEnvLockTest, LockTimesOutInAForkedChildOfAThreadThatMadeItsTimer) {
  Result<FileLock> held = env_.LockExclusive(path_, 1000);
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(TryOtherLock(&env_, path_).reason(), "lock_timeout");  // makes this thread's timer
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(10);  // a wait without a timeout would hang: SIGALRM ends it as a failure
    Status s = TryOtherLock(&env_, path_);
    _exit(s.reason() == "lock_timeout" ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
}

// `itslog prune` removes a past day's lock file: a lock on the removed file, still open here,
// would exclude no one, so the kept file must be opened again.
TEST_F(PosixEnvLockTest, KeptLockFileReopensALockFileThatWasRemoved) {
  LockFile file;
  ASSERT_TRUE(env_.LockExclusiveKeepingOpen(&file, path_, 1000).ok());
  ASSERT_EQ(unlink(path_.c_str()), 0);

  Result<FileLock> held = env_.LockExclusiveKeepingOpen(&file, path_, 1000);
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(access(path_.c_str(), F_OK), 0) << "the lock file was not created again";
  // A writer opening the path now finds the file we hold.
  Status other = TryOtherLock(&env_, path_);
  EXPECT_EQ(other.reason(), "lock_timeout") << other.ToString();
}

TEST_F(PosixEnvLockTest, KeptLockFileFollowsANewPath) {
  const std::string day1 = dir_.path() + "/day1.lock";
  const std::string day2 = dir_.path() + "/day2.lock";
  LockFile file;
  ASSERT_TRUE(env_.LockExclusiveKeepingOpen(&file, day1, 1000).ok());
  Result<FileLock> held = env_.LockExclusiveKeepingOpen(&file, day2, 1000);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(file.path(), day2);
  EXPECT_EQ(TryOtherLock(&env_, day2).reason(), "lock_timeout");
  EXPECT_TRUE(TryOtherLock(&env_, day1).ok()) << "the first day's lock is still held";
}

TEST_F(PosixEnvLockTest, KeptLockFileInAMissingDirectoryIsAClearError) {
  LockFile file;
  const std::string missing = dir_.path() + "/no-such-dir/day.lock";
  Result<FileLock> held = env_.LockExclusiveKeepingOpen(&file, missing, 1000);
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.status().reason(), "storage_unavailable");
  EXPECT_NE(held.status().message().find("cannot open lock file " + missing), std::string::npos)
      << held.status().message();
  EXPECT_FALSE(file.is_open());
}

TEST(PosixEnvTest, SyncFileSyncsAnExistingFileAndNeverCreatesOne) {
  TempDir dir;
  PosixEnv env;
  const std::string path = dir.path() + "/day.itslog-wal";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("frames", f);
  std::fclose(f);
  EXPECT_TRUE(env.SyncFile(path).ok());

  const std::string missing = dir.path() + "/missing-wal";
  Status s = env.SyncFile(missing);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(s.reason(), "storage_unavailable");
  EXPECT_NE(s.message().find("cannot open " + missing), std::string::npos) << s.message();
  EXPECT_FALSE(env.FileExists(missing));
}

}  // namespace
}  // namespace itslog
