// Env: our one road to the clock and the filesystem (SQLite's own I/O aside), so that tests
// can cross midnight without waiting and make a lock or a rename fail on purpose.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "core/result.h"

namespace itslog {

// An exclusive lock on a file, released when this object is destroyed (or the process dies).
class FileLock {
 public:
  FileLock() = default;
  // Owns fd: closing it releases the lock.
  explicit FileLock(int fd) : fd_(fd) {}
  // Borrows fd (a LockFile's): unlocks it and leaves it open.
  static FileLock Borrowing(int fd) {
    FileLock lock(fd);
    lock.owns_fd_ = false;
    return lock;
  }
  FileLock(FileLock&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), owns_fd_(other.owns_fd_) {}
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() { Release(); }

  bool held() const { return fd_ >= 0; }

 private:
  void Release();

  int fd_ = -1;
  bool owns_fd_ = true;
};

// A lock file kept open between locks: a writer locks its day file for every commit, and
// opening and closing the file each time would cost two system calls (one a path lookup).
// Closed when destroyed. Used by one thread at a time; a lock taken through it excludes other
// processes and other LockFile objects, not a second lock through the same object.
class LockFile {
 public:
  LockFile() = default;
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;
  ~LockFile() { Close(); }

  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  // Takes over fd, an open descriptor of path.
  void Reset(int fd, std::string path);
  void Close();

 private:
  int fd_ = -1;
  std::string path_;
};

class Env {
 public:
  virtual ~Env() = default;
  virtual int64_t NowMicros() = 0;        // wall clock, UTC: picks the day file
  virtual int64_t MonotonicMicros() = 0;  // durations and timeouts only; never stored
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Waits up to timeout_ms for an exclusive lock on path (created if missing), then fails
  // with kUnavailable (reason "lock_timeout"). Blocks in the kernel, not by polling.
  virtual Result<FileLock> LockExclusive(const std::string& path, int timeout_ms) = 0;
  // The same lock, through *file, which is (re)opened on path when it is not open there yet
  // and stays open after the lock is released. This default opens path anew every time.
  virtual Result<FileLock> LockExclusiveKeepingOpen(LockFile* file, const std::string& path,
                                                    int timeout_ms) {
    (void)file;
    return LockExclusive(path, timeout_ms);
  }
  // The value of an environment variable, if set.
  virtual std::optional<std::string> GetVar(const std::string& name) = 0;
  // Bytes free for an unprivileged writer on the filesystem holding path; nullopt if unknown.
  virtual std::optional<int64_t> FreeBytes(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Flushes an existing file's data to disk (fdatasync). Fails kUnavailable when the file
  // cannot be opened or synced; never creates it.
  virtual Status SyncFile(const std::string& path) = 0;
};

// The real thing: the system clock, flock(2), rename(2), getenv(3), statvfs(3).
class PosixEnv : public Env {
 public:
  int64_t NowMicros() override;
  int64_t MonotonicMicros() override;
  Status Rename(const std::string& from, const std::string& to) override;
  Result<FileLock> LockExclusive(const std::string& path, int timeout_ms) override;
  // Checks after each lock that the file is still linked (a removed lock file would exclude
  // no one), and reopens it if not.
  Result<FileLock> LockExclusiveKeepingOpen(LockFile* file, const std::string& path,
                                            int timeout_ms) override;
  std::optional<std::string> GetVar(const std::string& name) override;
  std::optional<int64_t> FreeBytes(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Status SyncFile(const std::string& path) override;
};

}  // namespace itslog
