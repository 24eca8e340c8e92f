#include "archive/day_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "archive/archive_keys.h"
#include "core/host_id.h"
#include "s3/s3_client.h"
#include "s3store/day_import.h"
#include "s3store/object_keys.h"
#include "ship/shipped_layout.h"
#include "store/day_store.h"
#include "store/reader.h"
#include "store/seal.h"
#include "store/verify.h"

namespace itslog {

namespace {

constexpr int64_t kMaxSealBytes = 64 << 10;
constexpr std::string_view kListingMagic = "itslog-listing 1";

// The host a first-layout file names in meta.host, as a host_id.
std::string HostOfFirstLayout(const std::string& meta_host) {
  std::string h = meta_host;
  std::transform(h.begin(), h.end(), h.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return IsValidHostId(h) ? h : "unknown";
}

}  // namespace

std::vector<std::string> DayFiles::hosts() const {
  std::vector<std::string> out;
  out.reserve(files_.size());
  for (const HostDayFile& f : files_) {
    out.push_back(f.host);
  }
  return out;
}

const HostDayFile* DayFiles::Find(const std::string& host) const {
  for (const HostDayFile& f : files_) {
    if (f.host == host) {
      return &f;
    }
  }
  return nullptr;
}

Result<std::unique_ptr<DayLocator>> MakeDayLocator(Env* env, const Config& config,
                                                   std::function<void(std::string_view)> log) {
  Result<DayLocatorOptions> options = DayLocatorOptionsFrom(config);
  if (!options.ok()) {
    return options.status();
  }
  ArchiveS3Factory factory;
  if (options->s3_configured) {
    factory = [s3 = config.s3, log = std::move(log)]() {
      S3ClientOptions client_options;
      client_options.log = log;
      return S3Client::Create(s3, client_options);
    };
  }
  return std::make_unique<DayLocator>(env, std::move(options).value(), std::move(factory));
}

Result<DayLocatorOptions> DayLocatorOptionsFrom(const Config& config) {
  DayLocatorOptions o;
  o.data_dir = config.data_dir;
  o.host_id = HostIdOf(config);
  Result<TimeZone> zone = TimeZone::Load(config.timezone);
  if (!zone.ok()) {
    return zone.status();
  }
  o.zone = *zone;
  o.s3_configured = !config.s3.bucket.empty();
  o.storage_s3 = config.storage == StorageKind::kS3;
  o.s3 = config.s3;
  o.cache_dir =
      config.archive.cache_dir.empty() ? config.data_dir + "/archive" : config.archive.cache_dir;
  o.cache_max_bytes = config.archive.cache_max_bytes;
  return o;
}

// What a LIST of S3 found for a day: the shipped files (with their seals) and whether
// storage: s3 event objects are there.
struct DayLocator::Listing {
  int64_t listed_at = 0;
  struct Object {
    std::string key;
    int64_t size = 0;
  };
  std::vector<Object> objects;  // day files and seals, in key order
  bool s3_events = false;
};

struct DayLocator::Fetch {
  std::string host;  // "" for a first-layout file (known once fetched)
  std::string entry_name;
  std::string file_key;
  std::string seal_key;
  int64_t size = 0;
};

DayLocator::DayLocator(Env* env, DayLocatorOptions options, ArchiveS3Factory make_client)
    : env_(env),
      options_(std::move(options)),
      make_client_(std::move(make_client)),
      cache_(env, options_.cache_dir, options_.cache_max_bytes) {}

DayLocator::~DayLocator() = default;

Result<DayFileList> DayLocator::Files(const std::string& day) {
  Result<DayFiles> files = Open(day);
  if (!files.ok()) {
    return files.status();
  }
  DayFileList out;
  for (const HostDayFile& f : files->files()) {
    out.files.push_back(HostFile{f.host, f.path, f.own_local});
  }
  out.pin = std::make_shared<const DayFiles>(std::move(files).value());
  return out;
}

Result<std::unique_ptr<S3Client>> DayLocator::TakeClient() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_clients_.empty()) {
      std::unique_ptr<S3Client> c = std::move(idle_clients_.back());
      idle_clients_.pop_back();
      return c;
    }
  }
  if (!make_client_) {
    return Status(Code::kInvalid, "s3_not_configured", "no s3: section in the configuration");
  }
  return make_client_();
}

void DayLocator::ReturnClient(std::unique_ptr<S3Client> client) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_clients_.size() < 8) {
    idle_clients_.push_back(std::move(client));
  }
}

namespace {

std::string ListingText(const std::vector<std::pair<std::string, int64_t>>& objects, bool s3_events,
                        int64_t listed_at) {
  std::string out(kListingMagic);
  out +=
      "\nlisted_at " + std::to_string(listed_at) + "\ns3_events " + (s3_events ? "1" : "0") + "\n";
  for (const auto& [key, size] : objects) {
    out += "object " + std::to_string(size) + " " + key + "\n";
  }
  return out;
}

bool ParseInt(std::string_view s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

namespace {

Status ArchiveCorrupt(const std::string& object, const std::string& what) {
  return CorruptError("archive_corrupt", object + ": " + what);
}

void RemoveTemp(const std::string& temp) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(temp + suffix, ec);
  }
}

Result<Digest> Sha256OfFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return UnavailableError("storage_unavailable", "cannot read " + path);
  }
  Sha256 h;
  std::vector<char> buf(1 << 20);
  for (int64_t offset = 0;;) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), offset);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      ::close(fd);
      return UnavailableError("storage_unavailable", "cannot read " + path);
    }
    if (n == 0) {
      break;
    }
    h.Update(buf.data(), static_cast<size_t>(n));
    offset += n;
  }
  ::close(fd);
  return h.Finish();
}

}  // namespace

Result<std::string> CheckShippedCopy(const std::string& path, const std::string& day,
                                     const std::string& host, const std::string& seal_text,
                                     const std::string& object, const std::string& seal_object) {
  Result<Seal> seal = ParseSeal(seal_text);
  if (!seal.ok()) {
    return ArchiveCorrupt(seal_object, seal.status().message());
  }
  if (seal->day != day) {
    return ArchiveCorrupt(seal_object, "the seal is for " + seal->day + ", not " + day);
  }
  if (!seal->host.empty() && !host.empty() && seal->host != host) {
    return ArchiveCorrupt(seal_object, "the seal is " + seal->host + "'s, not " + host + "'s");
  }
  if (!seal->file_sha256) {
    return ArchiveCorrupt(seal_object, "the seal has no file_sha256");
  }
  // The bytes first: an edited file never reaches SQLite.
  Result<Digest> sha = Sha256OfFile(path);
  if (!sha.ok()) {
    return sha.status();
  }
  if (*sha != *seal->file_sha256) {
    return ArchiveCorrupt(object, "its SHA-256 " + HexEncode(*sha) +
                                      " is not the seal's file_sha256 " +
                                      HexEncode(*seal->file_sha256));
  }
  // The bytes are the shipped ones; now the rows: the chain, the count and the final hash (a
  // seal rewritten to match an edited file does not survive this).
  VerifyOptions verify;
  verify.seal = *seal;
  verify.seal->file_sha256.reset();  // checked above
  verify.integrity_check = false;
  verify.check_previous_day = false;
  Result<VerifyReport> report = VerifyDayFile(path, verify);
  if (!report.ok()) {
    return ArchiveCorrupt(object, report.status().message());
  }
  if (!report->ok()) {
    const Problem& p = report->problems.front();
    return ArchiveCorrupt(object, std::string(DamageName(p.kind)) + ": " + p.message);
  }
  Result<std::unique_ptr<DayReader>> reader = DayReader::Open(path);
  if (!reader.ok()) {
    return ArchiveCorrupt(object, reader.status().message());
  }
  auto it = (*reader)->meta().find("host");
  return it == (*reader)->meta().end() ? std::string() : it->second;
}

Status DayLocator::Download(const std::string& key, int64_t size, int fd) {
  const int64_t part = std::max<int64_t>(1 << 20, options_.download_part_bytes);
  const int64_t parts = (size + part - 1) / part;
  const int64_t streams =
      std::clamp<int64_t>(options_.download_streams, 1, std::max<int64_t>(1, parts));
  std::atomic<int64_t> next{0};
  std::mutex mu;
  Status first_error;
  auto failed = [&]() {
    std::lock_guard<std::mutex> lock(mu);
    return !first_error.ok();
  };
  auto fail = [&](Status s) {
    std::lock_guard<std::mutex> lock(mu);
    if (first_error.ok()) {
      first_error = std::move(s);
    }
  };
  auto work = [&]() {
    Result<std::unique_ptr<S3Client>> client = TakeClient();
    if (!client.ok()) {
      fail(client.status());
      return;
    }
    for (int64_t i = next.fetch_add(1); i < parts && !failed(); i = next.fetch_add(1)) {
      int64_t offset = i * part;
      if (Status s =
              (*client)->GetObjectRangeToFile(key, offset, std::min(part, size - offset), fd);
          !s.ok()) {
        fail(s);
        return;  // a client that failed mid-answer is not reused
      }
    }
    ReturnClient(std::move(*client));
  };
  std::vector<std::thread> threads;
  for (int64_t i = 1; i < streams; ++i) {
    try {
      threads.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads: the ones there do the rest
    }
  }
  work();
  for (std::thread& t : threads) {
    t.join();
  }
  return first_error;
}

Result<std::optional<CachePin>> DayLocator::LockEntryAndPin(const std::string& day,
                                                            const std::string& path, int64_t size,
                                                            FileLock* lock) {
  if (Status s = cache_.EnsureDayDir(day); !s.ok()) {
    return s;
  }
  Result<FileLock> locked = cache_.LockEntry(path, options_.lock_timeout_ms);
  if (!locked.ok()) {
    return locked.status();
  }
  *lock = std::move(*locked);
  // Another process may have filled it while this one waited for the lock.
  Result<std::optional<CachePin>> pin = cache_.Pin(path);
  if (!pin.ok() || !*pin || size < 0) {
    return pin;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && st.st_size == size) {
    return pin;
  }
  return std::optional<CachePin>();  // an older copy of another size: fetched again
}

Result<CachePin> DayLocator::FetchShipped(const std::string& day, const Fetch& f) {
  const std::string path = cache_.EntryPath(day, f.entry_name);
  const std::string object = "s3://" + options_.s3.bucket + "/" + f.file_key;
  FileLock lock;
  Result<std::optional<CachePin>> pin = LockEntryAndPin(day, path, f.size, &lock);
  if (!pin.ok() || *pin) {
    return pin.ok() ? std::move(**pin) : Result<CachePin>(pin.status());
  }

  Result<std::unique_ptr<S3Client>> client = TakeClient();
  if (!client.ok()) {
    return client.status();
  }
  Result<std::string> seal_text = (*client)->GetObject(f.seal_key, kMaxSealBytes);
  if (!seal_text.ok()) {
    return seal_text.status();
  }
  ReturnClient(std::move(*client));
  const std::string temp = ArchiveCache::TempPath(path);
  RemoveTemp(temp);  // what a process that died here left
  int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return UnavailableError("storage_unavailable", "cannot create " + temp);
  }
  auto give_up = [&](Status s) -> Result<CachePin> {
    ::close(fd);
    RemoveTemp(temp);
    return s;
  };
  if (::ftruncate(fd, f.size) != 0) {
    return give_up(UnavailableError("storage_unavailable", "cannot size " + temp));
  }
  if (Status s = Download(f.file_key, f.size, fd); !s.ok()) {
    return give_up(s);
  }
  Result<std::string> meta_host = CheckShippedCopy(temp, day, f.host, *seal_text, object,
                                                   "s3://" + options_.s3.bucket + "/" + f.seal_key);
  if (!meta_host.ok()) {
    return give_up(meta_host.status());
  }
  const std::string host = f.host.empty() ? HostOfFirstLayout(*meta_host) : f.host;
  // A cache entry must survive a crash whole, as its name promises.
  if (::fdatasync(fd) != 0) {
    return give_up(UnavailableError("storage_unavailable", "cannot sync " + temp));
  }
  ::close(fd);
  std::error_code ec;
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    std::filesystem::remove(temp + suffix, ec);  // what a WAL-mode file's check left
  }
  return cache_.Insert(temp, path, {{".seal.json", *seal_text}, {".host", host}});
}

Result<CachePin> DayLocator::ImportObjects(const std::string& day) {
  const std::string path = cache_.EntryPath(day, "s3objects");
  FileLock lock;
  Result<std::optional<CachePin>> pin = LockEntryAndPin(day, path, -1, &lock);
  if (!pin.ok() || *pin) {
    return pin.ok() ? std::move(**pin) : Result<CachePin>(pin.status());
  }
  const std::string work = cache_.DayDir(day) + "s3objects.import";
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
  std::filesystem::create_directories(work, ec);
  if (ec) {
    return UnavailableError("storage_unavailable", "cannot create " + work + ": " + ec.message());
  }
  auto done = [&](Result<CachePin> r) {
    std::error_code ignored;
    std::filesystem::remove_all(work, ignored);
    return r;
  };
  ImportOptions io;
  io.data_dir = work;
  io.zone = options_.zone;
  io.prefix = options_.s3.prefix;
  io.bucket = options_.s3.bucket;
  io.host = kS3ObjectsHost;
  Result<ImportSummary> summary = ImportDayFromS3(env_, io, make_client_, day);
  if (!summary.ok()) {
    if (summary.status().reason() == "no_events") {
      return done(CachePin());
    }
    if (summary.status().code() == Code::kCorrupt) {
      return done(CorruptError("archive_corrupt", summary.status().message()));
    }
    return done(summary.status());
  }
  Result<SealInfo> sealed = SealDay(work, day, env_);
  if (!sealed.ok()) {
    return done(sealed.status());
  }
  return done(cache_.Insert(summary->path, path, {}));
}

Result<bool> DayLocator::SameAsLocal(const std::string& day, const std::string& local) {
  Result<SealInfo> mine = ReadSeal(local, day);
  if (!mine.ok()) {
    return false;  // not sealed here, so not shipped from here
  }
  const std::string remembered = cache_.DayDir(day) + "first-layout.seal.json";
  std::string text = ArchiveCache::ReadSidecar(remembered, "");
  if (text.empty()) {
    Result<std::unique_ptr<S3Client>> client = TakeClient();
    if (!client.ok()) {
      return client.status();
    }
    Result<std::string> got =
        (*client)->GetObject(LegacySealKey(options_.s3.prefix, day), kMaxSealBytes);
    if (!got.ok()) {
      return got.status();
    }
    ReturnClient(std::move(*client));
    text = std::move(*got);
    if (Status s = cache_.EnsureDayDir(day); s.ok()) {
      (void)WriteFileReplacing(env_, remembered, text);  // a seal never changes
    }
  }
  Result<Seal> theirs = ParseSeal(text);
  return theirs.ok() && theirs->rows == mine->rows &&
         HexEncode(theirs->final_hash) == mine->final_hash;
}

Result<DayLocator::Listing> DayLocator::ListDay(const std::string& day) {
  const std::string listing_path = cache_.DayDir(day) + "listing.txt";
  const int64_t now = env_->NowMicros();
  const int64_t day_end = options_.zone.StartOfDay(AddDays(day, 1));
  const int64_t ttl = now - day_end < 2 * 86400LL * 1000000 ? options_.listing_ttl_recent_micros
                                                            : options_.listing_ttl_older_micros;
  Listing cached;
  bool have_cached = false;
  {
    std::istringstream in(ArchiveCache::ReadSidecar(listing_path, ""));
    std::string line;
    if (std::getline(in, line) && line == kListingMagic) {
      have_cached = true;
      while (std::getline(in, line)) {
        std::string_view l = line;
        if (l.starts_with("listed_at ")) {
          have_cached &= ParseInt(l.substr(10), &cached.listed_at);
        } else if (l.starts_with("s3_events ")) {
          cached.s3_events = l.substr(10) == "1";
        } else if (l.starts_with("object ")) {
          l.remove_prefix(7);
          size_t space = l.find(' ');
          Listing::Object o;
          if (space == std::string_view::npos || !ParseInt(l.substr(0, space), &o.size)) {
            have_cached = false;
            break;
          }
          o.key = std::string(l.substr(space + 1));
          cached.objects.push_back(std::move(o));
        }
      }
    }
  }
  if (have_cached && cached.listed_at <= now && now - cached.listed_at < ttl) {
    return cached;
  }

  Result<std::unique_ptr<S3Client>> client = TakeClient();
  if (!client.ok()) {
    if (have_cached && client.status().code() == Code::kUnavailable) {
      return cached;
    }
    return client.status();
  }
  std::vector<std::pair<std::string, int64_t>> objects;
  auto keep = [&](const S3ListedObject& o) {
    objects.emplace_back(o.key, o.size);
    return Status::Ok();
  };
  const std::string& prefix = options_.s3.prefix;
  Status s = (*client)->ListObjects(ShippedHostsPrefix(prefix, day), keep);
  if (s.ok()) {
    s = (*client)->ListObjects(LegacyFileKey(prefix, day), keep);
  }
  if (s.ok()) {
    s = (*client)->ListObjects(LegacySealKey(prefix, day), keep);
  }
  bool s3_events = false;
  if (s.ok()) {
    // storage: s3 writes event objects under <prefix>DAY/ (numbered keys sort before
    // hosts/): the first key says whether there are any.
    const std::string day_prefix = DayPrefix(prefix, day);
    Result<S3ListPage> page = (*client)->ListObjectsPage(day_prefix, "", 1);
    if (!page.ok()) {
      s = page.status();
    } else if (!page->objects.empty()) {
      ObjectName name = ParseObjectName(day_prefix, page->objects.front().key);
      s3_events = name.kind == ObjectKind::kNumbered || name.kind == ObjectKind::kIdempotent ||
                  (options_.storage_s3 && name.kind == ObjectKind::kUnique);
    }
    if (s.ok() && !s3_events && options_.storage_s3) {
      // A day of unique or idempotent events only.
      Result<S3ListPage> rest = (*client)->ListObjectsPage(day_prefix + "i", "", 1);
      if (!rest.ok()) {
        s = rest.status();
      } else {
        s3_events = !rest->objects.empty();
      }
      if (s.ok() && !s3_events) {
        Result<S3ListPage> uniq = (*client)->ListObjectsPage(day_prefix + "unique/", "", 1);
        if (!uniq.ok()) {
          s = uniq.status();
        } else {
          s3_events = !uniq->objects.empty();
        }
      }
    }
  }
  ReturnClient(std::move(*client));
  if (!s.ok()) {
    if (have_cached && s.code() == Code::kUnavailable) {
      return cached;  // S3 is away: what it said last time is the best answer there is
    }
    return s;
  }
  std::sort(objects.begin(), objects.end());
  if (Status d = cache_.EnsureDayDir(day); !d.ok()) {
    return d;
  }
  // Remembered for the TTL; a failure to remember only costs a LIST next time.
  (void)WriteFileReplacing(env_, listing_path, ListingText(objects, s3_events, now));
  Listing fresh;
  fresh.listed_at = now;
  fresh.s3_events = s3_events;
  for (auto& [key, size] : objects) {
    fresh.objects.push_back(Listing::Object{std::move(key), size});
  }
  return fresh;
}

Result<DayFiles> DayLocator::Open(const std::string& day) {
  if (!IsDayName(day)) {
    return InvalidError("invalid_day", "expected a day as YYYY-MM-DD, got " + Quote(day), "day");
  }
  DayFiles out;
  out.day_ = day;
  const std::string local = DayFilePath(options_.data_dir, day);
  const bool has_local = env_->FileExists(local);
  if (has_local) {
    out.files_.push_back(HostDayFile{options_.host_id, local, true, local, ""});
  }
  const std::string today = options_.zone.DayOf(env_->NowMicros());
  if (!options_.s3_configured || day >= today) {
    return out;
  }

  Result<Listing> listing = ListDay(day);
  if (!listing.ok()) {
    return listing.status();
  }
  // The shipped files whose seal is there too (a file without its seal is a shipment that has
  // not finished: its host still has the file).
  std::map<std::string, int64_t> sizes;
  for (const Listing::Object& o : listing->objects) {
    sizes[o.key] = o.size;
  }
  std::vector<Fetch> wanted;
  const std::string& prefix = options_.s3.prefix;
  for (const Listing::Object& o : listing->objects) {
    std::optional<ShippedObject> named = ParseShippedKey(prefix, o.key);
    if (!named || named->day != day || named->seal) {
      continue;
    }
    if (!named->legacy) {
      if (has_local && named->host == options_.host_id) {
        continue;  // our own local copy counts, not its shipped twin
      }
      std::string seal = ShippedSealKey(prefix, day, named->host);
      if (sizes.count(seal) != 0) {
        wanted.push_back(Fetch{named->host, "h." + named->host, o.key, seal, o.size});
      }
    } else if (sizes.count(LegacySealKey(prefix, day)) != 0) {
      if (has_local) {
        Result<bool> same = SameAsLocal(day, local);
        if (!same.ok()) {
          return same.status();
        }
        if (*same) {
          continue;  // shipped by this host in the first layout and kept locally
        }
      }
      wanted.push_back(Fetch{"", "first", o.key, LegacySealKey(prefix, day), o.size});
    }
  }

  std::vector<std::pair<HostDayFile, CachePin>> got;
  for (const Fetch& f : wanted) {
    const std::string path = cache_.EntryPath(day, f.entry_name);
    Result<std::optional<CachePin>> pin = cache_.Pin(path);
    if (!pin.ok()) {
      return pin.status();
    }
    CachePin held;
    if (*pin) {
      struct stat st;
      if (::stat(path.c_str(), &st) == 0 && st.st_size == f.size) {
        held = std::move(**pin);
      }
    }
    if (!held.held()) {
      Result<CachePin> fetched = FetchShipped(day, f);
      if (!fetched.ok()) {
        return fetched.status();
      }
      held = std::move(*fetched);
    }
    std::string host = f.host;
    if (host.empty()) {
      host = ArchiveCache::ReadSidecar(path, ".host");
      if (host.empty()) {
        host = "unknown";
      }
    }
    HostDayFile file{host, path, false, "s3://" + options_.s3.bucket + "/" + f.file_key,
                     ArchiveCache::ReadSidecar(path, ".seal.json")};
    got.emplace_back(std::move(file), std::move(held));
  }
  if (listing->s3_events) {
    const std::string path = cache_.EntryPath(day, "s3objects");
    Result<std::optional<CachePin>> pin = cache_.Pin(path);
    if (!pin.ok()) {
      return pin.status();
    }
    CachePin held;
    if (*pin) {
      held = std::move(**pin);
    } else {
      Result<CachePin> imported = ImportObjects(day);
      if (!imported.ok()) {
        return imported.status();
      }
      held = std::move(*imported);
    }
    if (held.held()) {
      got.emplace_back(HostDayFile{kS3ObjectsHost, path, false,
                                   "s3://" + options_.s3.bucket + "/" + DayPrefix(prefix, day), ""},
                       std::move(held));
    }
  }
  for (auto& [file, pin] : got) {
    // A first-layout file of a host that also has a per-host file (or our local one) keeps
    // its own name beside it.
    if (out.Find(file.host) != nullptr) {
      file.host += ".first-layout";
    }
    out.files_.push_back(std::move(file));
    out.pins_.push_back(std::move(pin));
  }
  std::sort(out.files_.begin(), out.files_.end(),
            [](const HostDayFile& a, const HostDayFile& b) { return a.host < b.host; });
  return out;
}

}  // namespace itslog

namespace itslog {

Result<std::optional<Digest>> DayLocator::FinalHashOf(const std::string& day,
                                                      const std::string& host) {
  if (!IsDayName(day)) {
    return InvalidError("invalid_day", "expected a day as YYYY-MM-DD, got " + Quote(day), "day");
  }
  const std::string local = DayFilePath(options_.data_dir, day);
  if (host == options_.host_id && env_->FileExists(local)) {
    Result<std::unique_ptr<DayReader>> reader = DayReader::Open(local);
    if (!reader.ok()) {
      return reader.status();
    }
    Result<int64_t> last = (*reader)->LastSeq();
    if (!last.ok()) {
      return last.status();
    }
    if (*last == 0) {
      auto seed = (*reader)->meta().find("chain_seed");
      if (seed == (*reader)->meta().end()) {
        return std::optional<Digest>();
      }
      return DigestFromHex(seed->second);
    }
    Result<std::optional<Digest>> hash = (*reader)->HashOf(*last);
    if (!hash.ok()) {
      return hash.status();
    }
    return *hash;
  }
  if (!options_.s3_configured || day >= options_.zone.DayOf(env_->NowMicros())) {
    return std::optional<Digest>();
  }
  Result<Listing> listing = ListDay(day);
  if (!listing.ok()) {
    return listing.status();
  }
  const std::string seal_key = ShippedSealKey(options_.s3.prefix, day, host);
  std::string seal_text;
  for (const Listing::Object& o : listing->objects) {
    if (o.key == seal_key) {
      Result<std::unique_ptr<S3Client>> client = TakeClient();
      if (!client.ok()) {
        return client.status();
      }
      Result<std::string> got = (*client)->GetObject(seal_key, kMaxSealBytes);
      if (!got.ok()) {
        return got.status();
      }
      ReturnClient(std::move(*client));
      seal_text = std::move(*got);
      break;
    }
  }
  if (seal_text.empty()) {
    const std::string first = cache_.EntryPath(day, "first");
    if (ArchiveCache::ReadSidecar(first, ".host") == host) {
      seal_text = ArchiveCache::ReadSidecar(first, ".seal.json");
    }
  }
  if (seal_text.empty()) {
    return std::optional<Digest>();
  }
  Result<Seal> seal = ParseSeal(seal_text);
  if (!seal.ok()) {
    return ArchiveCorrupt("s3://" + options_.s3.bucket + "/" + seal_key, seal.status().message());
  }
  return std::optional<Digest>(seal->final_hash);
}

}  // namespace itslog
