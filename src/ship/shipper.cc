#include "ship/shipper.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/md5.h"
#include "s3/create_only.h"
#include "s3/file_upload.h"
#include "ship/shipped_layout.h"
#include "store/day_store.h"
#include "store/seal.h"
#include "store/verify.h"

namespace itslog {

namespace {

// Files beside a day file that belong to it.
constexpr const char* kSidecars[] = {"-wal", "-shm", "-journal", ".upload", ".shipped"};

// "YYYY-MM-DD" when name is "YYYY-MM-DD-v1.itslog" or one of its sidecars (or its lock).
std::optional<std::string> DayOfName(std::string_view name) {
  constexpr std::string_view kSuffix = "-v1.itslog";
  if (name.size() < 10 + kSuffix.size()) {
    return std::nullopt;
  }
  std::string_view day = name.substr(0, 10);
  std::string_view rest = name.substr(10);
  if (!rest.starts_with(kSuffix) || !ParseDay(day)) {
    return std::nullopt;
  }
  rest.remove_prefix(kSuffix.size());
  if (rest.empty() || rest == ".lock") {
    return std::string(day);
  }
  for (const char* s : kSidecars) {
    if (rest == s) {
      return std::string(day);
    }
  }
  return std::nullopt;
}

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileId&) const = default;
};

FileId IdOf(const struct stat& st) {
  return FileId{st.st_dev, st.st_ino, st.st_size,
                static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status Errno(const std::string& what) {
  return UnavailableError("storage_unavailable", what + ": " + std::strerror(errno));
}

// Writes text to path atomically: a temporary file, fsync, rename, fsync of the directory.
Status WriteFileAtomic(const std::string& dir, const std::string& path, std::string_view text) {
  std::string tmp = path + ".tmp";
  {
    Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (fd.get() < 0) {
      return Errno("cannot create " + tmp);
    }
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        Status s = Errno("cannot write " + tmp);
        unlink(tmp.c_str());
        return s;
      }
      done += static_cast<size_t>(n);
    }
    if (fsync(fd.get()) != 0) {
      Status s = Errno("cannot write " + tmp);
      unlink(tmp.c_str());
      return s;
    }
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Errno("cannot rename " + tmp);
    unlink(tmp.c_str());
    return s;
  }
  Fd d(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() >= 0) {
    fsync(d.get());
  }
  return Status::Ok();
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return std::nullopt;
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return std::nullopt;
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (1 << 20)) {
      return std::nullopt;
    }
  }
  return out;
}

Status RemoveIfPresent(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Errno("cannot remove " + path);
  }
  return Status::Ok();
}

// A failure that is not the day's own: the next day would fail the same way.
bool Systemic(const Status& s) {
  return s.reason() == kS3Unavailable || s.reason() == kS3AuthFailed ||
         s.reason() == kS3NoSuchBucket;
}

std::string Seconds(int64_t micros) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", static_cast<double>(micros) / 1e6);
  return buf;
}

}  // namespace

Shipper::Shipper(Env* env, S3Client* s3, ShipOptions options,
                 std::function<void(std::string_view)> progress)
    : env_(env), s3_(s3), options_(std::move(options)), progress_(std::move(progress)) {}

std::string Shipper::FileKey(const std::string& day) const {
  return ShippedFileKey(options_.prefix, day, options_.host);
}

std::string Shipper::SealKey(const std::string& day) const {
  return ShippedSealKey(options_.prefix, day, options_.host);
}

void Shipper::Progress(std::string_view line) {
  if (progress_) {
    progress_(line);
  }
}

Result<std::vector<std::string>> Shipper::PendingDays() {
  DIR* dir = opendir(options_.data_dir.c_str());
  if (dir == nullptr) {
    return Errno("cannot list data_dir " + options_.data_dir);
  }
  const std::string today = options_.zone.DayOf(env_->NowMicros());
  std::set<std::string> days;
  while (dirent* e = readdir(dir)) {
    std::optional<std::string> day = DayOfName(e->d_name);
    if (day && *day < today) {
      days.insert(*day);
    }
  }
  closedir(dir);
  return std::vector<std::string>(days.begin(), days.end());
}

ShipDayOutcome Shipper::ShipDay(const std::string& day, bool force) {
  ShipDayOutcome out;
  out.day = day;
  out.status = ShipDayImpl(day, force, &out.summary);
  if (!out.status.ok()) {
    out.summary = out.status.reason() + ": " + out.status.message();
  }
  return out;
}

std::vector<ShipDayOutcome> Shipper::ShipAll() {
  std::vector<ShipDayOutcome> outcomes;
  Result<std::vector<std::string>> days = PendingDays();
  if (!days.ok()) {
    outcomes.push_back(ShipDayOutcome{"", days.status(), days.status().message()});
    return outcomes;
  }
  std::optional<Status> stop;
  for (const std::string& day : *days) {
    if (stop) {
      ShipDayOutcome o{day, *stop, "not attempted after the failure above: " + stop->message()};
      outcomes.push_back(std::move(o));
      continue;
    }
    outcomes.push_back(ShipDay(day, /*force=*/false));
    if (!outcomes.back().status.ok() && Systemic(outcomes.back().status)) {
      stop = outcomes.back().status;
    }
  }
  return outcomes;
}

Status Shipper::ShipDayImpl(const std::string& day, bool force, std::string* summary) {
  const int64_t t0 = env_->MonotonicMicros();
  const std::string path = DayFilePath(options_.data_dir, day);
  const std::string lock_path = path + ".lock";
  const std::string shipped_path = path + ".shipped";
  const std::string upload_path = path + ".upload";

  if (!ParseDay(day)) {
    return InvalidError("invalid_day", "day " + Quote(day) + " is not a date YYYY-MM-DD");
  }
  if (day >= options_.zone.DayOf(env_->NowMicros())) {
    return InvalidError("day_not_closed", "day " + day + " is not over yet in time zone " +
                                              options_.zone.name() + "; only closed days ship");
  }

  // No day file: either it was shipped and removed by a run stopped before it removed the
  // rest (the ".shipped" record says so), or only a stale lock file is left.
  if (!env_->FileExists(path)) {
    return FinishRemoval(day, force, summary);
  }

  // 1. Seal under the lock (checkpoint, meta, out of WAL). Quick; the lock is not held while
  // uploading, so a worker creating the next day's file (it reads this day's last hash under
  // this lock) is not kept waiting.
  SealInfo seal;
  {
    Result<FileLock> lock = env_->LockExclusive(lock_path, options_.lock_timeout_ms);
    if (!lock.ok()) {
      return lock.status();
    }
    if (day >= options_.zone.DayOf(env_->NowMicros())) {
      return InvalidError("day_not_closed", "day " + day + " is not over yet");
    }
    Result<SealInfo> sealed = SealDayLocked(path, day, env_, options_.lock_timeout_ms);
    if (!sealed.ok()) {
      return sealed.status();
    }
    seal = *sealed;
  }
  if (seal.newly_sealed) {
    Progress(day + ": sealed (" + std::to_string(seal.rows) + " rows)");
  }
  if (seal.still_wal) {
    Progress(day +
             ": another process still has the file open, so it stays in WAL mode (checkpointed, "
             "its write-ahead log empty); it ships as it is");
  }

  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return Errno("cannot open " + path);
  }
  struct stat st_before;
  if (fstat(fd.get(), &st_before) != 0) {
    return Errno("cannot stat " + path);
  }
  const FileId id = IdOf(st_before);

  // Already proven by an earlier run (delete_local off): nothing to do without --day.
  if (!force && !options_.delete_local) {
    struct stat st_marker;
    if (stat(shipped_path.c_str(), &st_marker) == 0 && IdOf(st_marker).mtime_ns >= id.mtime_ns) {
      *summary = "already shipped to " + s3_->Describe(FileKey(day));
      return Status::Ok();
    }
  }

  // 2. Digests in one pass. The parts' MD5s are computed whether or not the file goes up in
  // parts, so that a copy uploaded either way (another threshold before) is recognised.
  const bool multipart = st_before.st_size > options_.multipart_threshold_bytes;
  const int64_t part_size =
      st_before.st_size > kMinPartBytes || multipart ? ChoosePartSize(st_before.st_size) : 0;
  Result<FileDigests> digests = DigestFile(fd.get(), part_size);
  if (!digests.ok()) {
    return digests.status();
  }
  struct stat st_after;
  if (fstat(fd.get(), &st_after) != 0 || !(IdOf(st_after) == id) ||
      digests->size != st_after.st_size) {
    return UnavailableError("storage_unavailable",
                            path +
                                " changed while it was being read, although it is sealed; "
                                "is another program writing it?");
  }
  const std::string sha_hex = HexEncode(digests->sha256);

  // A multipart upload an interrupted run left behind: abort it (best effort).
  AbortStaleUpload(upload_path);
  if (Status s = RemoveIfPresent(upload_path); !s.ok()) {
    return s;
  }

  // The first layout: this very file shipped there by an earlier version is finished there.
  // Another file there is another host's (or an older one of this day): it stays as it is, and
  // this host's file goes to its own folder.
  std::string file_key = FileKey(day);
  std::string seal_key = SealKey(day);
  std::string seal_host = options_.host;
  {
    const std::string legacy_key = LegacyFileKey(options_.prefix, day);
    Result<S3ObjectInfo> legacy = s3_->HeadObject(legacy_key);
    if (!legacy.ok() && legacy.status().code() != Code::kNotFound) {
      return legacy.status();
    }
    if (legacy.ok() && ObjectHoldsBytes(*legacy, *digests)) {
      file_key = legacy_key;
      seal_key = LegacySealKey(options_.prefix, day);
      seal_host.clear();  // the first layout's seal, as the earlier version wrote it
      Progress(day + ": this file is already in " + s3_->Describe(legacy_key) +
               " (the first layout); it is finished there");
    } else if (legacy.ok()) {
      Progress(day + ": " + s3_->Describe(legacy_key) +
               " (the first layout) holds another file of this day; it stays as it is");
    }
  }
  const std::string seal_json = SealJson(seal, seal_host, sha_hex) + "\n";

  UploadFileOptions up;
  up.put.content_type = "application/vnd.sqlite3";
  up.put.metadata = {{"itslog-rows", std::to_string(seal.rows)},
                     {"itslog-final-hash", seal.final_hash}};
  up.on_multipart_started = [&](const std::string& upload_id) {
    return WriteFileAtomic(options_.data_dir, upload_path, upload_id + "\n" + file_key + "\n");
  };
  FileDigests upload_digests = *digests;
  if (!multipart) {
    upload_digests.part_size = 0;  // one PUT; EtagMatchesFile below still knows the parts
    upload_digests.part_md5.clear();
  }
  Result<CreateOnlyResult> created =
      UploadFileCreateOnly(s3_, file_key, fd.get(), upload_digests, up);
  if (!created.ok()) {
    return ConflictNamingBoth(created.status(), path);
  }
  (void)RemoveIfPresent(upload_path);
  if (created->created) {
    Progress(
        day + ": uploaded " + std::to_string(digests->size) + " bytes to " +
        s3_->Describe(file_key) +
        (created->parts > 0 ? " in " + std::to_string(created->parts) + " parts" : std::string()));
  }

  // 3. Prove the copy: the size and the server's own checksum of what it stored.
  Result<S3ObjectInfo> head = s3_->HeadObject(file_key);
  if (!head.ok()) {
    return head.status();
  }
  if (!ObjectHoldsBytes(*head, *digests)) {
    return CorruptError("s3_verify_failed", s3_->Describe(file_key) + " does not match " + path +
                                                " (S3 has " + DescribeObject(*head) +
                                                "; the file has " + std::to_string(digests->size) +
                                                " bytes); the local file is kept");
  }

  // 4. The seal beside it, create-only too, proven the same way.
  Result<CreateOnlyResult> seal_put =
      PutObjectCreateOnly(s3_, seal_key, seal_json, S3PutOptions{"application/json", false, {}});
  if (!seal_put.ok()) {
    return ConflictNamingBoth(seal_put.status(), path);
  }
  Result<S3ObjectInfo> seal_head = s3_->HeadObject(seal_key);
  if (!seal_head.ok()) {
    return seal_head.status();
  }
  if (!ObjectHoldsBytes(*seal_head, DigestsOf(seal_json))) {
    return CorruptError("s3_verify_failed", s3_->Describe(seal_key) +
                                                " does not hold the seal just written; the "
                                                "local file is kept");
  }

  // 5. Remember it locally (also what `itslog verify --seal` can read).
  if (Status s = WriteFileAtomic(options_.data_dir, shipped_path, seal_json); !s.ok()) {
    return s;
  }

  std::string how = created->created ? "uploaded" : "already there";
  if (created->parts > 0) {
    how += " in " + std::to_string(created->parts) + " parts";
  }
  *summary = "shipped to " + s3_->Describe(file_key) + " (" + std::to_string(digests->size) +
             " bytes, " + std::to_string(seal.rows) + " rows, " + how + ", verified) in " +
             Seconds(env_->MonotonicMicros() - t0);

  // 6. Remove the local copy, only if it is still exactly what was proven.
  if (!options_.delete_local) {
    *summary += "; local file kept";
    return Status::Ok();
  }
  Result<FileLock> lock = env_->LockExclusive(lock_path, options_.lock_timeout_ms);
  if (!lock.ok()) {
    return lock.status();
  }
  struct stat st_now;
  if (stat(path.c_str(), &st_now) != 0 || !(IdOf(st_now) == id)) {
    return UnavailableError("storage_unavailable",
                            path + " changed after it was shipped; it is kept (run ship again)");
  }
  // The day file first: once it is gone, what remains are leftovers a later run removes.
  if (Status s = RemoveIfPresent(path); !s.ok()) {
    return s;
  }
  for (const char* s : kSidecars) {
    if (Status st = RemoveIfPresent(path + s); !st.ok()) {
      return st;
    }
  }
  if (Status s = RemoveIfPresent(lock_path); !s.ok()) {
    return s;
  }
  Fd dir(open(options_.data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) {
    fsync(dir.get());
  }
  *summary += "; local file removed";
  return Status::Ok();
}

Status Shipper::FinishRemoval(const std::string& day, bool force, std::string* summary) {
  const std::string path = DayFilePath(options_.data_dir, day);
  const std::string lock_path = path + ".lock";
  const std::string shipped_path = path + ".shipped";
  // Where the ".shipped" record says the day went (the first layout's seal has no host).
  std::optional<std::string> record = ReadSmallFile(shipped_path);
  const bool proven = record.has_value();
  std::string file_key = FileKey(day);
  if (record) {
    Result<Seal> recorded = ParseSeal(*record);
    if (recorded.ok() && recorded->host.empty()) {
      file_key = LegacyFileKey(options_.prefix, day);
    }
  }
  if (force) {
    Result<S3ObjectInfo> head = s3_->HeadObject(file_key);
    if (!head.ok() && head.status().code() == Code::kNotFound) {
      file_key = LegacyFileKey(options_.prefix, day);
      head = s3_->HeadObject(file_key);
    }
    if (!head.ok()) {
      if (head.status().code() == Code::kNotFound) {
        return Status(Code::kNotFound, "not_found",
                      "there is no day file " + path + " and no " + s3_->Describe(FileKey(day)));
      }
      return head.status();
    }
  } else if (!proven && (env_->FileExists(path + "-wal") || env_->FileExists(path + "-journal"))) {
    return CorruptError("orphan_journal", path + "-wal or -journal exists without " + path +
                                              "; left alone for a person to look at");
  }
  Result<FileLock> lock = env_->LockExclusive(lock_path, options_.lock_timeout_ms);
  if (!lock.ok()) {
    return lock.status();
  }
  if (env_->FileExists(path)) {
    return UnavailableError("storage_unavailable",
                            path +
                                " appeared while its leftovers were being removed; run "
                                "ship again");
  }
  AbortStaleUpload(path + ".upload");
  for (const char* s : kSidecars) {
    if (Status st = RemoveIfPresent(path + s); !st.ok()) {
      return st;
    }
  }
  if (Status s = RemoveIfPresent(lock_path); !s.ok()) {
    return s;
  }
  *summary = force || proven ? "in " + s3_->Describe(file_key) + "; no local file left"
                             : "no day file; a stale lock file was removed";
  return Status::Ok();
}

void Shipper::AbortStaleUpload(const std::string& upload_path) {
  std::optional<std::string> stale = ReadSmallFile(upload_path);
  if (!stale) {
    return;
  }
  // "<upload id>\n<key>\n"; an earlier version wrote the id alone, for the first layout's key.
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < stale->size()) {
    size_t end = stale->find('\n', start);
    if (end == std::string::npos) {
      end = stale->size();
    }
    std::string line = stale->substr(start, end - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) {
      line.pop_back();
    }
    if (!line.empty()) {
      lines.push_back(std::move(line));
    }
    start = end + 1;
  }
  if (lines.empty()) {
    return;
  }
  const std::string day = std::filesystem::path(upload_path).filename().string().substr(0, 10);
  const std::string key = lines.size() > 1 ? lines[1] : LegacyFileKey(options_.prefix, day);
  (void)s3_->AbortMultipartUpload(key, lines[0]);
}

Status Shipper::ConflictNamingBoth(const Status& s, const std::string& path) const {
  if (s.code() != Code::kConflict) {
    return s;
  }
  return Status(Code::kConflict, "ship_conflict",
                path + " cannot ship: " + s.message() +
                    ". Does another host use the same host_id? The local file is kept");
}

}  // namespace itslog
