#include "s3store/day_import.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>

#include "event/event_object.h"
#include "s3/s3_client.h"
#include "s3store/object_keys.h"
#include "store/day_store.h"

namespace itslog {

namespace {

// The real Env, except that the clock reads what the importer sets: DayStore then stamps each
// event with its original time (it reads the clock under the day's lock).
class ReplayEnv : public Env {
 public:
  explicit ReplayEnv(Env* base) : base_(base) {}
  void Set(int64_t now) { now_ = now; }

  int64_t NowMicros() override { return now_; }
  int64_t MonotonicMicros() override { return base_->MonotonicMicros(); }
  Status Rename(const std::string& from, const std::string& to) override {
    return base_->Rename(from, to);
  }
  Result<FileLock> LockExclusive(const std::string& path, int timeout_ms) override {
    return base_->LockExclusive(path, timeout_ms);
  }
  Result<FileLock> LockExclusiveKeepingOpen(LockFile* file, const std::string& path,
                                            int timeout_ms) override {
    return base_->LockExclusiveKeepingOpen(file, path, timeout_ms);
  }
  std::optional<std::string> GetVar(const std::string& name) override {
    return base_->GetVar(name);
  }
  std::optional<int64_t> FreeBytes(const std::string& path) override {
    return base_->FreeBytes(path);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Status SyncFile(const std::string& path) override { return base_->SyncFile(path); }

 private:
  Env* base_;
  int64_t now_ = 0;
};

struct Listed {
  std::string key;
  ObjectName name;
};

struct Fetched {
  std::string key;
  StoredEvent stored;
};

Status BadObject(const std::string& key, const std::string& what) {
  return CorruptError("invalid_event_object", key + ": " + what);
}

// Checks that an object's content agrees with its name and day.
Status CheckAgainstName(const ImportOptions& options, const std::string& day, const Listed& l,
                        const StoredEvent& s) {
  if (options.zone.DayOf(s.ts_micros) != day) {
    return BadObject(l.key, "its time " + FormatIso8601Micros(s.ts_micros) + " is not in " + day +
                                " (" + options.zone.name() + ")");
  }
  switch (l.name.kind) {
    case ObjectKind::kNumbered: {
      int64_t second = (s.ts_micros - options.zone.StartOfDay(day)) / kMicrosPerSecond;
      if (s.event.is_unique) {
        return BadObject(l.key, "a unique event under a numbered name");
      }
      if (l.name.number / kEventsPerSecond != second) {
        return BadObject(l.key, "its name's second " +
                                    std::to_string(l.name.number / kEventsPerSecond) +
                                    " is not its time's " + std::to_string(second));
      }
      break;
    }
    case ObjectKind::kUnique:
      if (!s.event.is_unique ||
          l.key != UniqueKey(options.prefix, day, s.event.app, s.event.name)) {
        return BadObject(l.key, "not the unique event its name says");
      }
      break;
    case ObjectKind::kIdempotent:
      if (s.event.is_unique) {
        return BadObject(l.key, "a unique event under an idempotency name");
      }
      break;
    case ObjectKind::kOther:
      return InternalError("unexpected object kind");
  }
  return Status::Ok();
}

// Fetches and checks every listed object, options.parallel_gets at a time. Stops at the first
// failure.
Result<std::vector<Fetched>> FetchAll(const ImportOptions& options,
                                      const S3ClientFactory& make_client, const std::string& day,
                                      const std::vector<Listed>& listed) {
  std::vector<Fetched> out(listed.size());
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error;
  auto fail = [&](Status s) {
    std::lock_guard<std::mutex> lock(mu);
    if (first_error.ok()) {
      first_error = std::move(s);
    }
  };
  auto failed = [&]() {
    std::lock_guard<std::mutex> lock(mu);
    return !first_error.ok();
  };
  auto work = [&]() {
    Result<std::unique_ptr<S3Client>> client = make_client();
    if (!client.ok()) {
      fail(client.status());
      return;
    }
    for (size_t i = next.fetch_add(1); i < listed.size() && !failed(); i = next.fetch_add(1)) {
      Result<std::string> body = (*client)->GetObject(listed[i].key, options.max_object_bytes);
      if (!body.ok()) {
        fail(body.status());
        return;
      }
      Result<StoredEvent> parsed = ParseEventObject(*body);
      if (!parsed.ok()) {
        fail(BadObject(listed[i].key, parsed.status().message()));
        return;
      }
      if (Status s = CheckAgainstName(options, day, listed[i], *parsed); !s.ok()) {
        fail(s);
        return;
      }
      out[i] = Fetched{listed[i].key, std::move(parsed).value()};
    }
  };
  size_t helpers = std::min(listed.size(), static_cast<size_t>(std::max(1, options.parallel_gets)));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < helpers; ++i) {
    try {
      threads.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads: the ones there (and this one) do the rest
    }
  }
  work();
  for (std::thread& t : threads) {
    t.join();
  }
  if (!first_error.ok()) {
    return first_error;
  }
  return out;
}

void RemovePartial(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path + suffix, ec);
  }
}

Status CreateMarker(const std::string& marker) {
  int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return UnavailableError("storage_unavailable", "cannot create " + marker);
  }
  ::close(fd);
  return Status::Ok();
}

// Appends the events, in order, through a DayStore whose clock reads each event's time.
Status WriteDay(Env* env, const ImportOptions& options, const std::vector<Fetched>& events) {
  ReplayEnv replay(env);
  StoreOptions store_options;
  store_options.data_dir = options.data_dir;
  store_options.zone = options.zone;
  store_options.max_event_names_per_app_per_day = std::numeric_limits<int64_t>::max();
  store_options.lock_timeout_ms = options.lock_timeout_ms;
  store_options.host = options.host;
  DayStore store(&replay, store_options);
  std::vector<Event> group;
  for (size_t i = 0; i < events.size();) {
    // One transaction per timestamp: DayStore gives all events of a call the same ts.
    size_t end = i;
    group.clear();
    while (end < events.size() && events[end].stored.ts_micros == events[i].stored.ts_micros) {
      group.push_back(events[end].stored.event);
      ++end;
    }
    replay.Set(events[i].stored.ts_micros);
    Result<std::vector<Result<AppendOutcome>>> r = store.Append(group);
    if (!r.ok()) {
      return r.status();
    }
    for (size_t k = 0; k < r->size(); ++k) {
      const Result<AppendOutcome>& o = (*r)[k];
      if (!o.ok()) {
        return Status(o.status().code(), o.status().reason(),
                      events[i + k].key + ": " + o.status().message());
      }
      if (o->duplicate) {
        return BadObject(events[i + k].key, "a second copy of a unique event");
      }
    }
    i = end;
  }
  return Status::Ok();
}

}  // namespace

Result<ImportSummary> ImportDayFromS3(Env* env, const ImportOptions& options,
                                      const S3ClientFactory& make_client, const std::string& day) {
  ImportSummary summary;
  summary.path = DayFilePath(options.data_dir, day);
  const std::string marker = summary.path + ".importing";
  const bool interrupted = env->FileExists(marker);
  if (!interrupted && env->FileExists(summary.path)) {
    return Status(Code::kInvalid, "day_file_exists",
                  summary.path + " exists already; move it aside to import the day again");
  }

  const std::string day_prefix = DayPrefix(options.prefix, day);
  Result<std::unique_ptr<S3Client>> lister = make_client();
  if (!lister.ok()) {
    return lister.status();
  }
  std::vector<Listed> listed;
  Status s = (*lister)->ListObjects(day_prefix, [&](const S3ListedObject& o) {
    if (ParseNameMarker(day_prefix, o.key)) {
      ++summary.name_markers;  // the cap's bookkeeping, not an event
      return Status::Ok();
    }
    ObjectName name = ParseObjectName(day_prefix, o.key);
    if (name.kind == ObjectKind::kOther) {
      summary.skipped.push_back(o.key);
    } else {
      listed.push_back(Listed{o.key, std::move(name)});
    }
    return Status::Ok();
  });
  if (!s.ok()) {
    return s;
  }
  if (listed.empty()) {
    return Status(Code::kNotFound, "no_events",
                  "no event objects under s3://" + options.bucket + "/" + day_prefix);
  }
  Result<std::vector<Fetched>> fetched = FetchAll(options, make_client, day, listed);
  if (!fetched.ok()) {
    return fetched.status();
  }
  std::vector<Fetched>& events = *fetched;
  std::sort(events.begin(), events.end(), [](const Fetched& a, const Fetched& b) {
    return a.stored.ts_micros != b.stored.ts_micros ? a.stored.ts_micros < b.stored.ts_micros
                                                    : a.key < b.key;
  });
  for (const Listed& l : listed) {
    summary.unique += l.name.kind == ObjectKind::kUnique ? 1 : 0;
    summary.idempotent += l.name.kind == ObjectKind::kIdempotent ? 1 : 0;
  }
  summary.events = static_cast<int64_t>(events.size());

  if (interrupted) {
    RemovePartial(summary.path);
  }
  if (Status m = CreateMarker(marker); !m.ok()) {
    return m;
  }
  if (Status w = WriteDay(env, options, events); !w.ok()) {
    RemovePartial(summary.path);
    std::error_code ec;
    std::filesystem::remove(marker, ec);
    return w;
  }
  std::error_code ec;
  if (!std::filesystem::remove(marker, ec) || ec) {
    return UnavailableError("storage_unavailable",
                            "imported, but cannot remove " + marker + ": remove it by hand");
  }
  return summary;
}

}  // namespace itslog
