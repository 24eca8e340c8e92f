// Which files make up a day (docs/OPERATIONS.md, "Running several hosts"): this host's own day
// file in data_dir, and the files every host shipped to S3, fetched into the archive cache
// (archive/archive_cache.h) and checked against their seals before first use. The read API,
// the CLI tools and the alerts evaluator all find a day's files here; none of them lists S3.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/archive_cache.h"
#include "config/config.h"
#include "core/crypto.h"
#include "core/env.h"
#include "core/result.h"
#include "core/time_util.h"
#include "dayset/day_files.h"

namespace itslog {

class S3Client;

// The host named by a day's imported storage: s3 objects (one JSON object per event, written
// by any number of hosts, so by no one host). Not a valid host_id (those never hold '_').
inline constexpr const char* kS3ObjectsHost = "_s3";

// One host's file of a day.
struct HostDayFile {
  // The host whose events the file holds: this host's host_id for its own local file; the
  // folder name for a file shipped in the per-host layout (<prefix>DAY/hosts/<host>/...); for
  // a file shipped in the first layout (<prefix>DAY-v1.itslog, from before hosts had ids) its
  // meta.host lower-cased when that is a valid host_id, else "unknown"; kS3ObjectsHost for a
  // day imported from storage: s3 objects.
  std::string host;
  // A local path DayReader (store/reader.h) can open read-only: valid while the DayFiles that
  // holds it lives.
  std::string path;
  // This host's own file in data_dir (today's may still be growing). Otherwise a sealed,
  // checked file of the archive cache.
  bool own_local = false;
  // Where it came from, for messages: the path, or s3://bucket/key of the shipped object.
  std::string source;
  // The seal the cached file was checked against (a shipped file's seal object, verbatim);
  // empty for local files and imported days (their seal is in meta).
  std::string seal_json;
};

// A day's files, one per host, sorted by host. While it lives, none of its cached files is
// evicted from the cache, by this process or any other (each holds a shared flock, see
// archive_cache.h). Move-only.
class DayFiles {
 public:
  DayFiles() = default;
  DayFiles(DayFiles&&) = default;
  DayFiles& operator=(DayFiles&&) = default;

  const std::string& day() const { return day_; }
  const std::vector<HostDayFile>& files() const { return files_; }
  bool empty() const { return files_.empty(); }
  // The hosts of files(), in the same order.
  std::vector<std::string> hosts() const;
  // The file of host, or nullptr.
  const HostDayFile* Find(const std::string& host) const;

 private:
  friend class DayLocator;
  std::string day_;
  std::vector<HostDayFile> files_;
  std::vector<CachePin> pins_;
};

// Creates an S3 client for the locator (each thread fetching takes its own).
using ArchiveS3Factory = std::function<Result<std::unique_ptr<S3Client>>()>;

struct DayLocatorOptions {
  std::string data_dir;
  std::string host_id;  // this host's id
  TimeZone zone;        // which day is today: today is never looked up in S3
  bool s3_configured = false;
  bool storage_s3 = false;  // storage: s3 (closed days are imported from event objects)
  S3Config s3;              // bucket and prefix, for keys and messages
  std::string cache_dir;
  int64_t cache_max_bytes = 1073741824;
  // How long a listing of a past day's objects is trusted before S3 is listed again:
  // recent_days ended less than two days ago (hosts still ship them), older_days otherwise.
  int64_t listing_ttl_recent_micros = 60LL * 1000000;
  int64_t listing_ttl_older_micros = 3600LL * 1000000;
  int download_streams = 4;                 // ranged GETs of one file at once
  int64_t download_part_bytes = 8LL << 20;  // size of each ranged GET
  int lock_timeout_ms = 600000;             // waiting for another process's download of a file
};

// The options a Config gives (cache_dir defaults to <data_dir>/archive).
Result<DayLocatorOptions> DayLocatorOptionsFrom(const Config& config);

// Thread-safe; shares the cache on disk with every other process of the host. As a
// DayFileSource it gives the read side (dayset/day_set.h) its files.
class DayLocator : public DayFileSource {
 public:
  // env must outlive the locator. make_client is called when S3 is needed (may be empty when
  // S3 is not configured).
  DayLocator(Env* env, DayLocatorOptions options, ArchiveS3Factory make_client);
  ~DayLocator() override;

  // The files of day: this host's local file if present (a host's local and shipped copy
  // count once), else its shipped copy; every other host's shipped file; a storage: s3 day's
  // event objects imported into one file. Fetched into the cache and checked as needed; a
  // past day's listing of S3 is remembered (options' listing TTLs), today and later days are
  // never looked up in S3. No file anywhere: empty (OK). Fails kInvalid "invalid_day" for a
  // day that is not YYYY-MM-DD; kUnavailable (reason kS3Unavailable, "s3_auth_failed", or
  // "lock_timeout") when S3 cannot be reached and a file or listing is needed (the API answers
  // 503 + Retry-After, the CLI exits 1); kCorrupt "archive_corrupt" naming the object when a
  // shipped file does not match its seal (the file is then neither used nor kept). Blocks.
  Result<DayFiles> Open(const std::string& day);

  // Open, as a DayFileList whose pin holds the DayFiles.
  Result<DayFileList> Files(const std::string& day) override;

  // The last hash of host's file of day (its final_hash), as far as it can be known without
  // fetching that file: this host's local file (read), a shipped file's seal (one small GET),
  // a cached first-layout file. nullopt when host has no such file. Fails as Open.
  Result<std::optional<Digest>> FinalHashOf(const std::string& day, const std::string& host);

  const DayLocatorOptions& options() const { return options_; }
  ArchiveCache* cache() { return &cache_; }

 private:
  struct Listing;
  struct Fetch;
  Result<std::unique_ptr<S3Client>> TakeClient();
  void ReturnClient(std::unique_ptr<S3Client> client);
  Result<Listing> ListDay(const std::string& day);
  // Takes the entry's fill lock into *lock, then pins the entry if it is there (of size
  // bytes, unless size < 0).
  Result<std::optional<CachePin>> LockEntryAndPin(const std::string& day, const std::string& path,
                                                  int64_t size, FileLock* lock);
  Result<CachePin> FetchShipped(const std::string& day, const Fetch& f);
  Status Download(const std::string& key, int64_t size, int fd);
  Result<CachePin> ImportObjects(const std::string& day);
  Result<bool> SameAsLocal(const std::string& day, const std::string& local);

  Env* env_;
  DayLocatorOptions options_;
  ArchiveS3Factory make_client_;
  ArchiveCache cache_;
  std::mutex mu_;
  std::vector<std::unique_ptr<S3Client>> idle_clients_;
};

// Checks a downloaded copy of a shipped day file against the text of its seal
// (docs/DATA-FORMAT.md): the seal is for day (and, when it names a host, for host: the folder
// the file was found in; "" for the first layout) and names file_sha256; the file's SHA-256 is that
// (checked before SQLite opens it); its hash chain verifies and ends at the seal's rows and
// final_hash. Returns the file's meta.host ("" when it has none). Fails kCorrupt
// "archive_corrupt" naming object (the file) or seal_object (a bad seal); kUnavailable when
// the file cannot be read. Opens the file read-only.
Result<std::string> CheckShippedCopy(const std::string& path, const std::string& day,
                                     const std::string& host, const std::string& seal_text,
                                     const std::string& object, const std::string& seal_object);

// A DayLocator for config (DayLocatorOptionsFrom), whose S3 clients (when s3.bucket is set)
// report each retried request to log, if given. Fails as DayLocatorOptionsFrom.
Result<std::unique_ptr<DayLocator>> MakeDayLocator(Env* env, const Config& config,
                                                   std::function<void(std::string_view)> log = {});

}  // namespace itslog
