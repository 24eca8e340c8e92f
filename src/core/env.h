// Env: our one road to the clock and the filesystem (SQLite's own I/O aside), so that tests
// can cross midnight without waiting and make a lock or a rename fail on purpose.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"

namespace itslog {

// An exclusive lock on a file, released when this object is destroyed (or the process dies).
class FileLock {
 public:
  FileLock() = default;
  explicit FileLock(int fd) : fd_(fd) {}
  FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
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
  // The value of an environment variable, if set.
  virtual std::optional<std::string> GetVar(const std::string& name) = 0;
  // Bytes free for an unprivileged writer on the filesystem holding path; nullopt if unknown.
  virtual std::optional<int64_t> FreeBytes(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
};

// The real thing: the system clock, flock(2), rename(2), getenv(3), statvfs(3).
class PosixEnv : public Env {
 public:
  int64_t NowMicros() override;
  int64_t MonotonicMicros() override;
  Status Rename(const std::string& from, const std::string& to) override;
  Result<FileLock> LockExclusive(const std::string& path, int timeout_ms) override;
  std::optional<std::string> GetVar(const std::string& name) override;
  std::optional<int64_t> FreeBytes(const std::string& path) override;
  bool FileExists(const std::string& path) override;
};

}  // namespace itslog
