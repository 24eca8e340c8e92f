// The archive cache (config archive.cache_dir, archive.cache_max_bytes): checked copies of
// shipped day files, shared by every process of a host, evicted least recently used first.
//
// On disk: <cache_dir>/<day>/<entry>.itslog, each with sidecars <entry>.itslog.<what> (the
// seal it was checked against, a lock), and <cache_dir>/<day>/listing.txt (what a LIST of S3
// found). An entry appears only by rename(2) of a fully written and checked temporary file, so
// a reader never sees a partial one.
//
// Pins, across processes: a reader holds a shared flock(2) on each entry it reads (CachePin)
// for as long as it reads; eviction takes an exclusive flock without waiting and skips an entry
// it cannot lock. Pinning and eviction both run under the cache's own lock
// (<cache_dir>/.cache.lock), so an entry cannot be removed between being found and being
// pinned. flock is independent of SQLite's fcntl locks on the same file.
//
// Recency: pinning sets the entry's mtime to the Env's clock; eviction removes the oldest
// mtime first. The bound is kept as far as unpinned entries allow: the files of the days being
// read at the moment stay, even beyond it, until they are released.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/env.h"
#include "core/result.h"

namespace itslog {

// A shared flock on a cached file: while held, no process evicts it. Move-only.
class CachePin {
 public:
  CachePin() = default;
  CachePin(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  CachePin(CachePin&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}
  CachePin& operator=(CachePin&& other) noexcept;
  CachePin(const CachePin&) = delete;
  CachePin& operator=(const CachePin&) = delete;
  ~CachePin() { Release(); }

  bool held() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  void Release();

 private:
  int fd_ = -1;
  std::string path_;
};

struct CacheEntryInfo {
  std::string path;
  int64_t bytes = 0;
  int64_t used_micros = 0;  // mtime: when it was last pinned
};

class ArchiveCache {
 public:
  // env must outlive the cache. Nothing is created until first needed.
  ArchiveCache(Env* env, std::string dir, int64_t max_bytes);

  const std::string& dir() const { return dir_; }
  int64_t max_bytes() const { return max_bytes_; }

  // "<dir>/<day>/<name>.itslog": where the entry name of day lives. name: [a-z0-9._-]+.
  std::string EntryPath(const std::string& day, const std::string& name) const;
  // "<dir>/<day>/": the day's folder (created as needed).
  std::string DayDir(const std::string& day) const;
  // Creates the day's folder. kUnavailable "storage_unavailable" when it cannot.
  Status EnsureDayDir(const std::string& day);

  // Pins the entry at path when it is there, marking it used now. nullopt (OK) when absent.
  // kUnavailable "lock_timeout" / "storage_unavailable".
  Result<std::optional<CachePin>> Pin(const std::string& path);

  // The lock held while an entry is being filled, so that two processes wanting the same file
  // fetch it once: <path>.lock, exclusive, waiting up to timeout_ms (kUnavailable
  // "lock_timeout"). After taking it, Pin again: another process may have filled it.
  Result<FileLock> LockEntry(const std::string& path, int timeout_ms);

  // "<path>.part": where an entry is written before it is checked (under LockEntry).
  static std::string TempPath(const std::string& path) { return path + ".part"; }

  // Moves the checked file at temp into place as the entry at path, after evicting what
  // must go so that the cache with it fits max_bytes (as far as unpinned entries allow), and
  // pins it. sidecars: (suffix, content) written beside it first (e.g. ".seal.json").
  // kUnavailable "storage_unavailable" when a rename or write fails (temp is then removed).
  Result<CachePin> Insert(const std::string& temp, const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& sidecars);

  // Removes unpinned entries, least recently used first, until the entries total at most
  // max_bytes - incoming_bytes. Returns the paths removed.
  Result<std::vector<std::string>> Evict(int64_t incoming_bytes);

  // Every entry, least recently used first.
  std::vector<CacheEntryInfo> Entries() const;

  // Reads a sidecar of an entry ("" when it is missing).
  static std::string ReadSidecar(const std::string& path, const std::string& suffix);

 private:
  Result<FileLock> LockCache();
  Result<CachePin> PinLocked(const std::string& path);
  Result<std::vector<std::string>> EvictLocked(int64_t incoming_bytes);

  Env* env_;
  std::string dir_;
  int64_t max_bytes_;
};

// Writes content to path through a temporary file and rename(2). kUnavailable
// "storage_unavailable".
Status WriteFileReplacing(Env* env, const std::string& path, const std::string& content);

}  // namespace itslog
