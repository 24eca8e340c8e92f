// S3EventStore: storage: s3. Each event becomes its own JSON object in the bucket
// (event/event_object.h) under the names of s3store/object_keys.h, created with
// If-None-Match: * so that no writer, in this process or any other, ever replaces another's
// object: a 412 moves a numbered event on to the next n; for a unique event (or one sent with
// an idempotency key) it means the event is already stored today. The per-app cap on event
// names per day is kept by name markers in the bucket (s3store/event_name_cap.h). Needs no
// local disk.
// docs/OPERATIONS.md, "Storage in S3", says what is guaranteed where the server ignores
// If-None-Match.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/env.h"
#include "core/log.h"
#include "core/result.h"
#include "core/time_util.h"
#include "event/event.h"
#include "s3/s3_client_pool.h"
#include "s3store/event_name_cap.h"
#include "s3store/object_keys.h"
#include "store/day_store.h"

namespace itslog {

class S3Client;

struct S3StoreOptions {
  S3Config s3;    // endpoint, bucket, prefix, credentials, timeouts, retries
  TimeZone zone;  // which calendar day an event belongs to
  // How many PUTs of one batch are in flight at once (each on its own connection).
  int max_parallel_puts = 8;
  // 412s a numbered event may meet (other writers taking the same n) before it gives up.
  int max_conflicts = 1000;
  // limits.max_event_names_per_app_per_day: distinct event names an app may use per day.
  int64_t max_event_names_per_app_per_day = 10000;
};

// Thread-safe: request threads call Append and CheckHealth concurrently. May be created before
// fork(): it opens no connection and draws its random writer token at first use. Each thread
// borrows an S3 connection from a pool that grows to the number of concurrent PUTs.
class S3EventStore {
 public:
  // Checks options.s3 (kInvalid "invalid_s3_config", from ValidateS3Config). Connects to
  // nothing yet. env and log must outlive the store.
  static Result<std::unique_ptr<S3EventStore>> Create(Env* env, Logger* log,
                                                      S3StoreOptions options);
  ~S3EventStore();
  S3EventStore(const S3EventStore&) = delete;
  S3EventStore& operator=(const S3EventStore&) = delete;

  // As DayStore::Append: one outcome per event, each stored (or found already stored: a
  // duplicate) when it is OK, and only after S3 answered the PUT with success. Outcomes carry
  // the day and seq 0 (events get their seq when a day is imported: itslog import-s3). Each
  // event is timestamped when its turn comes, just before its name is checked against the
  // cap and its PUT. An event whose name is new to its app past the cap fails alone with
  // kUnprocessable "too_many_event_names" (field "event"). A failed S3 request fails its
  // event with kUnavailable "storage_unavailable" (the S3 detail goes to the log); after one,
  // the events of the call not yet sent fail the same way unsent. When no event of the call
  // was stored and one failed so, the whole call fails with that Status instead. Blocks for
  // the requests (a batch sends up to max_parallel_puts at once).
  Result<std::vector<Result<AppendOutcome>>> Append(std::span<const Event> events);

  // For GET /healthz: lists one key of today's prefix (needs s3:ListBucket), without
  // retries. today_file is "s3://<bucket>/<prefix><day>/"; free_bytes is unknown.
  DayStore::Health CheckHealth();

 private:
  S3EventStore(Env* env, Logger* log, S3StoreOptions options);
  Result<AppendOutcome> Store(S3Client* s3, const Event& event);
  Status Failed(const Status& s3_status, const std::string& key);
  std::string NextWriterToken();

  Env* env_;
  Logger* log_;
  S3StoreOptions options_;
  std::once_flag token_once_;
  std::string token_base_;  // random per process: tells our own objects from other writers'
  std::atomic<uint64_t> token_counter_{0};

  std::mutex counter_mu_;
  KeyCounter counter_;

  EventNameCap names_;  // thread-safe

  S3ClientPool clients_;

  std::mutex health_mu_;
  std::unique_ptr<S3Client> probe_;
};

}  // namespace itslog
