#include "archive/archive_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

namespace itslog {

namespace {

constexpr std::string_view kEntrySuffix = ".itslog";
// Sidecars of an entry that go with it (SQLite's own, should a reader have made them).
constexpr const char* kRemovedWithEntry[] = {"-wal", "-shm", "-journal", ".seal.json", ".host"};
// The cache's own lock is held only while pinning and evicting: never during a download.
constexpr int kCacheLockTimeoutMs = 30000;

Status Unavailable(const std::string& what, const std::string& path) {
  return UnavailableError("storage_unavailable",
                          what + " " + path + ": " + std::string(std::strerror(errno)));
}

}  // namespace

CachePin& CachePin::operator=(CachePin&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

void CachePin::Release() {
  if (fd_ >= 0) {
    ::close(fd_);  // the only descriptor of this open file: closing it drops the flock
    fd_ = -1;
  }
}

ArchiveCache::ArchiveCache(Env* env, std::string dir, int64_t max_bytes)
    : env_(env), dir_(std::move(dir)), max_bytes_(max_bytes) {
  while (dir_.size() > 1 && dir_.back() == '/') {
    dir_.pop_back();
  }
}

std::string ArchiveCache::DayDir(const std::string& day) const {
  return dir_ + "/" + day + "/";
}

std::string ArchiveCache::EntryPath(const std::string& day, const std::string& name) const {
  return DayDir(day) + name + std::string(kEntrySuffix);
}

Status ArchiveCache::EnsureDayDir(const std::string& day) {
  std::error_code ec;
  std::filesystem::create_directories(DayDir(day), ec);
  if (ec) {
    return UnavailableError("storage_unavailable", "cannot create the archive cache folder " +
                                                       DayDir(day) + ": " + ec.message());
  }
  return Status::Ok();
}

Result<FileLock> ArchiveCache::LockCache() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    return UnavailableError("storage_unavailable",
                            "cannot create the archive cache " + dir_ + ": " + ec.message());
  }
  return env_->LockExclusive(dir_ + "/.cache.lock", kCacheLockTimeoutMs);
}

// Opens path, takes the shared flock and marks it used now. The caller holds the cache's lock.
// kNotFound when there is no such file.
Result<CachePin> ArchiveCache::PinLocked(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Status(Code::kNotFound, "not_cached", path + " is not in the cache");
    }
    return Unavailable("cannot open", path);
  }
  int rc;
  do {
    rc = ::flock(fd, LOCK_SH);  // only evictors take it exclusively, never for long
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    Status s = Unavailable("cannot lock", path);
    ::close(fd);
    return s;
  }
  int64_t now = env_->NowMicros();
  timespec times[2];
  times[0].tv_sec = now / 1000000;
  times[0].tv_nsec = static_cast<long>(now % 1000000) * 1000;
  times[1] = times[0];
  (void)::futimens(fd, times);  // recency is a hint: a failure only makes it look older
  return CachePin(fd, path);
}

Result<std::optional<CachePin>> ArchiveCache::Pin(const std::string& path) {
  if (!env_->FileExists(path)) {
    return std::optional<CachePin>();
  }
  Result<FileLock> lock = LockCache();
  if (!lock.ok()) {
    return lock.status();
  }
  Result<CachePin> pin = PinLocked(path);
  if (!pin.ok()) {
    if (pin.status().code() == Code::kNotFound) {
      return std::optional<CachePin>();  // evicted just now
    }
    return pin.status();
  }
  return std::optional<CachePin>(std::move(*pin));
}

Result<FileLock> ArchiveCache::LockEntry(const std::string& path, int timeout_ms) {
  return env_->LockExclusive(path + ".lock", timeout_ms);
}

std::vector<CacheEntryInfo> ArchiveCache::Entries() const {
  std::vector<CacheEntryInfo> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator days(dir_, ec), end; !ec && days != end;
       days.increment(ec)) {
    if (!days->is_directory(ec)) {
      continue;
    }
    std::error_code ec2;
    for (std::filesystem::directory_iterator it(days->path(), ec2); !ec2 && it != end;
         it.increment(ec2)) {
      std::string name = it->path().filename().string();
      if (!name.ends_with(kEntrySuffix)) {
        continue;
      }
      struct stat st;
      std::string p = it->path().string();
      if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        continue;
      }
      out.push_back(CacheEntryInfo{
          p, static_cast<int64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000});
    }
  }
  std::sort(out.begin(), out.end(), [](const CacheEntryInfo& a, const CacheEntryInfo& b) {
    return a.used_micros != b.used_micros ? a.used_micros < b.used_micros : a.path < b.path;
  });
  return out;
}

Result<std::vector<std::string>> ArchiveCache::EvictLocked(int64_t incoming_bytes) {
  std::vector<CacheEntryInfo> entries = Entries();
  int64_t total = 0;
  for (const CacheEntryInfo& e : entries) {
    total += e.bytes;
  }
  std::vector<std::string> removed;
  for (const CacheEntryInfo& e : entries) {
    if (total + incoming_bytes <= max_bytes_) {
      break;
    }
    int fd = ::open(e.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);  // pinned: someone is reading it
      continue;
    }
    std::error_code ec;
    bool gone = std::filesystem::remove(e.path, ec) && !ec;
    if (gone) {
      for (const char* suffix : kRemovedWithEntry) {
        std::filesystem::remove(e.path + suffix, ec);
      }
    }
    ::close(fd);
    if (gone) {  // else another user's file in a folder this process may not change
      total -= e.bytes;
      removed.push_back(e.path);
    }
  }
  return removed;
}

Result<std::vector<std::string>> ArchiveCache::Evict(int64_t incoming_bytes) {
  Result<FileLock> lock = LockCache();
  if (!lock.ok()) {
    return lock.status();
  }
  return EvictLocked(incoming_bytes);
}

Result<CachePin> ArchiveCache::Insert(
    const std::string& temp, const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& sidecars) {
  auto fail = [&](Status s) -> Result<CachePin> {
    std::error_code ec;
    std::filesystem::remove(temp, ec);
    return s;
  };
  struct stat st;
  if (::stat(temp.c_str(), &st) != 0) {
    return fail(Unavailable("cannot stat", temp));
  }
  for (const auto& [suffix, content] : sidecars) {
    if (Status s = WriteFileReplacing(env_, path + suffix, content); !s.ok()) {
      return fail(s);
    }
  }
  Result<FileLock> lock = LockCache();
  if (!lock.ok()) {
    return fail(lock.status());
  }
  if (Result<std::vector<std::string>> r = EvictLocked(st.st_size); !r.ok()) {
    return fail(r.status());
  }
  if (Status s = env_->Rename(temp, path); !s.ok()) {
    return fail(s);
  }
  return PinLocked(path);
}

std::string ArchiveCache::ReadSidecar(const std::string& path, const std::string& suffix) {
  std::ifstream in(path + suffix, std::ios::binary);
  if (!in) {
    return "";
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Status WriteFileReplacing(Env* env, const std::string& path, const std::string& content) {
  std::string temp = path + ".tmp." + std::to_string(::getpid()) + "." +
                     std::to_string(std::hash<std::thread::id>()(std::this_thread::get_id()));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Unavailable("cannot create", temp);
  }
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      Status s = Unavailable("cannot write", temp);
      ::close(fd);
      ::unlink(temp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (Status s = env->Rename(temp, path); !s.ok()) {
    ::unlink(temp.c_str());
    return s;
  }
  return Status::Ok();
}

}  // namespace itslog
