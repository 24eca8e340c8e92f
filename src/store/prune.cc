#include "store/prune.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "store/day_store.h"

namespace itslog {

namespace {

constexpr std::string_view kSuffix = "-v1.itslog";

// Removes path; a missing file is fine.
Status Remove(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status(Code::kUnavailable, "storage_unavailable",
                  "cannot remove " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<PruneDay>> PruneDays(Env* env, const PruneOptions& options) {
  std::vector<PruneDay> out;
  if (options.retention_days <= 0 || options.retention_days > 3650000) {
    return out;  // keep everything (no day file is ten thousand years old)
  }
  DIR* dir = opendir(options.data_dir.c_str());
  if (dir == nullptr) {
    return Status(Code::kUnavailable, "storage_unavailable",
                  "cannot list data_dir " + options.data_dir + ": " + std::strerror(errno));
  }
  const std::string today = options.zone.DayOf(env->NowMicros());
  // Days strictly before this one are past retention: with retention_days 1, yesterday stays.
  const std::string keep_from = AddDays(today, -static_cast<int>(options.retention_days));
  std::set<std::string> days;
  while (dirent* e = readdir(dir)) {
    std::string_view name = e->d_name;
    if (name.size() != 10 + kSuffix.size() || !name.ends_with(kSuffix)) {
      continue;
    }
    std::string day(name.substr(0, 10));
    if (ParseDay(day) && day < keep_from) {
      days.insert(day);
    }
  }
  closedir(dir);

  for (const std::string& day : days) {
    PruneDay d;
    d.day = day;
    const std::string path = DayFilePath(options.data_dir, day);
    if (options.require_shipped && !env->FileExists(path + ".shipped")) {
      d.note = "kept: not shipped yet (run itslog ship; prune removes only proven copies)";
      out.push_back(std::move(d));
      continue;
    }
    Result<FileLock> lock = env->LockExclusive(path + ".lock", options.lock_timeout_ms);
    if (!lock.ok()) {
      d.note = "kept: " + lock.status().message();
      out.push_back(std::move(d));
      continue;
    }
    Status s = Remove(path);
    for (const char* sidecar : {"-wal", "-shm", "-journal", ".shipped", ".upload"}) {
      if (s.ok()) {
        s = Remove(path + sidecar);
      }
    }
    if (s.ok()) {
      s = Remove(path + ".lock");
    }
    if (!s.ok()) {
      d.note = "kept: " + s.message();
    } else {
      d.removed = true;
      d.note = "removed " + DayFileName(day);
    }
    out.push_back(std::move(d));
  }
  int fd = open(options.data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  return out;
}

}  // namespace itslog
