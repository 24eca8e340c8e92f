#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/env.h"

namespace itslog {

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
    owns_fd_ = other.owns_fd_;
  }
  return *this;
}

void FileLock::Release() {
  if (fd_ < 0) {
    return;
  }
  if (owns_fd_) {
    close(fd_);  // closing the only descriptor releases the flock
  } else {
    flock(fd_, LOCK_UN);
  }
  fd_ = -1;
}

void LockFile::Reset(int fd, std::string path) {
  Close();
  fd_ = fd;
  path_ = std::move(path);
}

void LockFile::Close() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  path_.clear();
}

namespace {

int64_t ClockMicros(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The signal that interrupts a blocking flock() when its timeout expires. The handler does
// nothing: its only purpose is to make flock() return EINTR (installed without SA_RESTART).
int LockTimeoutSignal() {
  static const int sig = [] {
    int s = SIGRTMIN + 3;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof(sa));
    sa.sa_handler = [](int) {};
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(s, &sa, nullptr);
    return s;
  }();
  return sig;
}

}  // namespace

int64_t PosixEnv::NowMicros() {
  return ClockMicros(CLOCK_REALTIME);
}

int64_t PosixEnv::MonotonicMicros() {
  return ClockMicros(CLOCK_MONOTONIC);
}

Status PosixEnv::Rename(const std::string& from, const std::string& to) {
  if (rename(from.c_str(), to.c_str()) != 0) {
    return Status(Code::kUnavailable, "rename_failed",
                  "cannot rename " + from + " to " + to + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

namespace {

Result<int> OpenLockFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Status(Code::kUnavailable, "storage_unavailable",
                  "cannot open lock file " + path + ": " + std::strerror(errno));
  }
  return fd;
}

// This thread's lock timer, which sends LockTimeoutSignal() to this thread alone; made on
// first use and deleted when the thread ends. nullptr (errno set) if it cannot be made.
// A child of fork() inherits the variable but not the timer, so it makes its own.
timer_t* ThreadLockTimer() {
  struct Timer {
    timer_t id{};
    pid_t owner = 0;  // the process the timer belongs to; 0: none made yet
    ~Timer() {
      if (owner == getpid()) {
        timer_delete(id);
      }
    }
  };
  thread_local Timer timer;
  if (timer.owner != getpid()) {
    sigevent sev;
    std::memset(&sev, 0, sizeof(sev));
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = LockTimeoutSignal();
    sev._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
    if (timer_create(CLOCK_MONOTONIC, &sev, &timer.id) != 0) {
      timer.owner = 0;
      return nullptr;
    }
    timer.owner = getpid();
  }
  return &timer.id;
}

// flock(LOCK_EX) on fd, giving up after timeout_ms.
Status FlockExclusive(int fd, const std::string& path, int timeout_ms) {
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
    return Status::Ok();  // the common case: no one else is writing
  }
  if (errno != EWOULDBLOCK) {
    return Status(Code::kUnavailable, "storage_unavailable",
                  "cannot lock " + path + ": " + std::strerror(errno));
  }
  // Contended: block in the kernel, with a per-thread timer that interrupts us at the deadline.
  // The timer is made once per thread and only armed and disarmed here.
  timer_t* timer = ThreadLockTimer();
  if (timer == nullptr) {
    return Status(Code::kUnavailable, "storage_unavailable",
                  std::string("cannot create lock timer: ") + std::strerror(errno));
  }
  itimerspec spec;
  std::memset(&spec, 0, sizeof(spec));
  spec.it_value.tv_sec = timeout_ms / 1000;
  spec.it_value.tv_nsec = static_cast<long>(timeout_ms % 1000) * 1000000L;
  if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) {
    spec.it_value.tv_nsec = 1;
  }
  timer_settime(*timer, 0, &spec, nullptr);
  int rc = flock(fd, LOCK_EX);
  int saved = errno;
  const itimerspec disarm{};
  timer_settime(*timer, 0, &disarm, nullptr);
  if (rc == 0) {
    return Status::Ok();
  }
  if (saved == EINTR) {
    return Status(Code::kUnavailable, "lock_timeout",
                  "another writer held the day file's lock for more than " +
                      std::to_string(timeout_ms) + " ms");
  }
  return Status(Code::kUnavailable, "storage_unavailable",
                "cannot lock " + path + ": " + std::strerror(saved));
}

}  // namespace

Result<FileLock> PosixEnv::LockExclusive(const std::string& path, int timeout_ms) {
  Result<int> fd = OpenLockFile(path);
  if (!fd.ok()) {
    return fd.status();
  }
  FileLock lock(*fd);  // closes fd on failure
  if (Status s = FlockExclusive(*fd, path, timeout_ms); !s.ok()) {
    return s;
  }
  return lock;
}

Result<FileLock> PosixEnv::LockExclusiveKeepingOpen(LockFile* file, const std::string& path,
                                                    int timeout_ms) {
  // Someone may remove the lock file while we keep it open (itslog prune removes a past day's
  // lock file under its lock). A lock on a removed file excludes no one, so check after
  // locking and start again on a fresh file; the bound only guards against a loop.
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (!file->is_open() || file->path() != path) {
      Result<int> fd = OpenLockFile(path);
      if (!fd.ok()) {
        return fd.status();
      }
      file->Reset(*fd, path);
    }
    if (Status s = FlockExclusive(file->fd(), path, timeout_ms); !s.ok()) {
      return s;
    }
    FileLock lock = FileLock::Borrowing(file->fd());
    struct stat st;
    if (fstat(file->fd(), &st) == 0 && st.st_nlink > 0) {
      return lock;
    }
    lock = FileLock();  // unlock before closing
    file->Close();
  }
  return Status(Code::kUnavailable, "storage_unavailable",
                "the lock file " + path + " kept being removed while we locked it");
}

std::optional<std::string> PosixEnv::GetVar(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) {
    return std::nullopt;
  }
  return std::string(v);
}

std::optional<int64_t> PosixEnv::FreeBytes(const std::string& path) {
  struct statvfs st;
  if (statvfs(path.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

bool PosixEnv::FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

Status PosixEnv::SyncFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return UnavailableError("storage_unavailable",
                            "cannot open " + path + ": " + std::strerror(errno));
  }
  int rc = fdatasync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) {
    return UnavailableError("storage_unavailable",
                            "cannot sync " + path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace itslog
