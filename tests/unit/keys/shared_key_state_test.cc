#include "keys/shared_key_state.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "lib/temp_dir.h"

namespace itslog {
namespace {

TEST(SharedKeyStateTest, ANewFileStartsAtGenerationOneAndBumpsAreSeenByEveryMapping) {
  TempDir dir;
  auto a = SharedKeyState::Open(dir.path());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = SharedKeyState::Open(dir.path());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*a)->generation(), 1u);
  (*b)->BumpGeneration();
  EXPECT_EQ((*a)->generation(), 2u);
}

TEST(SharedKeyStateTest, RefusesAFileOfAnotherLayout) {
  TempDir dir;
  std::ofstream(dir.path() + "/" + SharedKeyState::kFileName) << "not ours";
  auto s = SharedKeyState::Open(dir.path());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().reason(), "storage_unavailable");
}

TEST(SharedKeyStateTest, ProcessesTogetherGetExactlyTheBurst) {
  TempDir dir;
  auto parent = SharedKeyState::Open(dir.path());
  ASSERT_TRUE(parent.ok());
  const int64_t now = 5000000000;
  constexpr int kChildren = 4;
  int pipes[kChildren][2];
  std::vector<pid_t> pids;
  for (int c = 0; c < kChildren; ++c) {
    ASSERT_EQ(pipe(pipes[c]), 0);
    pid_t pid = fork();
    if (pid == 0) {
      auto mine = SharedKeyState::Open(dir.path());
      int allowed = 0;
      for (int i = 0; mine.ok() && i < 500; ++i) {
        allowed += (*mine)->Admit(7, 300, now).allowed ? 1 : 0;
      }
      ssize_t w = write(pipes[c][1], &allowed, sizeof(allowed));
      _exit(w == sizeof(allowed) && mine.ok() ? 0 : 1);
    }
    pids.push_back(pid);
  }
  int total = 0;
  for (int c = 0; c < kChildren; ++c) {
    int status = 0;
    ASSERT_EQ(waitpid(pids[c], &status, 0), pids[c]);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int allowed = 0;
    ASSERT_EQ(read(pipes[c][0], &allowed, sizeof(allowed)), static_cast<ssize_t>(sizeof(allowed)));
    close(pipes[c][0]);
    close(pipes[c][1]);
    total += allowed;
  }
  EXPECT_EQ(total, 300);
  EXPECT_FALSE((*parent)->Admit(7, 300, now).allowed);
  EXPECT_TRUE((*parent)->Admit(8, 300, now).allowed);  // another key's bucket is its own
  (*parent)->ResetSlot(7);
  EXPECT_TRUE((*parent)->Admit(7, 300, now).allowed);
}

}  // namespace
}  // namespace itslog
