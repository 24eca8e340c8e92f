// DayStore: appends events to the day's SQLite file (docs/DATA-FORMAT.md): picks the day by
// the Env's clock in the configured zone, creates the file with its schema and chain seed,
// serialises writers of all processes with a blocking lock on "<file>.lock", maps event names
// to integers through the events table (cached per process), and extends the hash chain.
// Uniqueness and idempotency are SQLite constraints, not C++ checks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/env.h"
#include "core/result.h"
#include "core/time_util.h"
#include "event/event.h"
#include "store/log_syncer.h"

namespace itslog {

// unique_scope: bucket (docs/OPERATIONS.md, "Running several hosts"): what this host knows of
// the bucket's claim on a unique event of a day.
enum class UniqueClaim {
  kOurs,          // this host holds the claim: store the event
  kOthers,        // another writer holds it: a duplicate; nothing is stored here
  kOthersReplay,  // as kOthers, and that writer was sent the same idempotency key
  kUnknown,       // not claimed yet: nothing is stored, the outcome says unclaimed
};
// Asked inside the write transaction, so it must not block: it only looks up what is known.
using UniqueClaimFn = std::function<UniqueClaim(const std::string& day, const Event& event)>;

struct StoreOptions {
  std::string data_dir;
  TimeZone zone;                 // which calendar day an event belongs to
  bool durability_full = false;  // PRAGMA synchronous=FULL instead of NORMAL
  int64_t max_event_names_per_app_per_day = 10000;
  int lock_timeout_ms = 5000;
  std::string host;  // written to meta.host of new files
  // The committing writer copies the write-ahead log back into the day file once the log
  // holds this many frames (pages), as SQLite's autocheckpoint does by default.
  int checkpoint_frames = 1000;
  // Every log_sync_frames frames, a thread of the store's own syncs the log to disk, so that
  // the checkpoint, which the other writers wait for, finds little left to sync.
  bool sync_log_in_background = false;
  int log_sync_frames = 250;
  // Empty (unique_scope: host): a unique event is stored once per day in this host's file.
  // Set: asked about each unique event new to the day's file before it is stored.
  UniqueClaimFn unique_claim;
};

struct AppendOutcome {
  int64_t seq = 0;         // the row's seq (for a duplicate: the row stored the first time)
  bool duplicate = false;  // unique event already logged today, or idempotency key seen
  std::string day;         // "YYYY-MM-DD" of the file it went to
  bool replayed = false;   // the duplicate is a retry of the same idempotency key
  // unique_claim answered kUnknown: nothing was stored; claim it, then append it again.
  bool unclaimed = false;
};

// Not thread-safe: one DayStore per thread (or process). Several stores, in one process or
// many, may write the same data_dir at once; the day's lock file serialises them.
class DayStore {
 public:
  // env must outlive the store. Does no I/O until the first call.
  DayStore(Env* env, StoreOptions options);
  ~DayStore();
  DayStore(const DayStore&) = delete;
  DayStore& operator=(const DayStore&) = delete;

  // Appends events in one transaction, all with timestamps taken under the day's lock (so
  // ts never decreases along seq and all go to the same day). Returns one outcome per event:
  // stored (or a duplicate), or an error for that event alone (kUnprocessable
  // "too_many_event_names" past the per-app cap), which stores nothing for it. The whole
  // call fails, storing nothing, with kUnavailable ("lock_timeout", "disk_full",
  // "storage_unavailable", "day_sealed") or kCorrupt. Returns after the commit.
  Result<std::vector<Result<AppendOutcome>>> Append(std::span<const Event> events);

  // For GET /healthz: can we write to data_dir (a probe file is created and removed; less than
  // kMinFreeBytes free counts as "disk_full"), which file is today's, free bytes. Takes no
  // lock and does not touch the day file.
  static constexpr int64_t kMinFreeBytes = 1 << 20;
  struct Health {
    bool writable = false;
    std::string reason;   // why not, when !writable: "storage_unavailable" or "disk_full"
    std::string message;  // a sentence for the log, when !writable
    std::string today_file;
    std::optional<int64_t> free_bytes;
  };
  Health CheckHealth();

  // With sync_log_in_background: the sync thread's counters, and a wait until it has nothing
  // left to do (for tests). Thread-safe. Without it: zeros, and returns at once.
  LogSyncer::Stats log_sync_stats();
  void WaitForLogSync();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "<YYYY-MM-DD>-v1.itslog"
std::string DayFileName(const std::string& day);
// "<data_dir>/<YYYY-MM-DD>-v1.itslog"; its lock file is this plus ".lock".
std::string DayFilePath(const std::string& data_dir, const std::string& day);

}  // namespace itslog
