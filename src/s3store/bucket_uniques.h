// BucketUniques: unique_scope: bucket for a host keeping day files (docs/OPERATIONS.md,
// "Running several hosts"). Before this host stores the first unique (app, event) of a day, it
// creates that day's unique object of storage: s3 (s3store/object_keys.h, UniqueKey) with
// If-None-Match: *, naming this host as its writer (s3store/create_once.h): the host whose
// object it is stores the event, every other answers duplicate, and hosts in either storage
// mode share one answer. What this process claimed or found claimed is remembered per day, and
// an event already in the day's file never gets as far as asking: a repeated unique costs no
// request.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/env.h"
#include "core/log.h"
#include "core/result.h"
#include "core/time_util.h"
#include "event/event.h"
#include "s3/s3_client_pool.h"
#include "store/day_store.h"

namespace itslog {

struct BucketUniquesOptions {
  S3Config s3;       // endpoint, bucket, prefix, credentials, timeouts, retries
  std::string host;  // host_id: the writer named in the objects this host creates
};

// Stores events: DayStore::Append, through the GroupCommitter.
using StoreAppendFn =
    std::function<Result<std::vector<Result<AppendOutcome>>>(std::span<const Event> events)>;

// Thread-safe. Connects to nothing until a claim is needed; each thread borrows an S3
// connection from a pool.
class BucketUniques {
 public:
  // Checks options.s3 (kInvalid "invalid_s3_config"). env and log must outlive the object.
  static Result<std::unique_ptr<BucketUniques>> Create(Env* env, Logger* log,
                                                       BucketUniquesOptions options);
  ~BucketUniques();
  BucketUniques(const BucketUniques&) = delete;
  BucketUniques& operator=(const BucketUniques&) = delete;

  // For StoreOptions::unique_claim: what this process knows of the claim on event's
  // (app, name) for day. No I/O.
  UniqueClaim Lookup(const std::string& day, const Event& event);

  // As DayStore::Append, through append, whose store asks Lookup: a unique event the store
  // reports unclaimed is claimed in the bucket (outside the day's lock) and appended again;
  // one claimed by another writer is a duplicate with seq 0. An event whose claim S3 did not
  // confirm fails alone with kUnavailable "storage_unavailable" (nothing stored; the S3
  // detail goes to the log). Blocks for the requests.
  Result<std::vector<Result<AppendOutcome>>> Append(std::span<const Event> events,
                                                    const StoreAppendFn& append);

 private:
  struct Known {
    bool ours = false;
    std::string idempotency_hash;  // of the other writer's object, when not ours
  };

  BucketUniques(Env* env, Logger* log, BucketUniquesOptions options);
  // Claims (day, app, name) in the bucket and remembers the answer.
  Result<UniqueClaim> Claim(const std::string& day, const Event& event);
  UniqueClaim Answer(const Known& known, const Event& event) const;

  Env* env_;
  Logger* log_;
  BucketUniquesOptions options_;
  std::string token_;  // kWriterMeta of this host's objects

  std::mutex known_mu_;
  std::unordered_map<std::string, Known> known_;  // day NUL app NUL name -> claim

  S3ClientPool clients_;
};

}  // namespace itslog
