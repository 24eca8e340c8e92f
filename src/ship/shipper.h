// Shipper: copies closed days to S3 and proves the copy before anything local is removed
// (docs/OPERATIONS.md, "Shipping to S3" and "Running several hosts"). Per day, oldest first:
//   1. under the day's lock: checkpoint and seal (store/seal.h);
//   2. read the sealed file once for its SHA-256 and MD5s; upload it create-only
//      (s3/create_only.h) to <prefix>YYYY-MM-DD/hosts/<host_id>/YYYY-MM-DD-v1.itslog
//      (ship/shipped_layout.h; multipart above the threshold, streamed from the file). An
//      object already there is ours only if it holds the same bytes; anything else is a
//      conflict: the day fails, nothing is written over it and nothing local is removed;
//   3. HEAD it: size and a server-computed ETag must match the local bytes;
//   4. upload the seal YYYY-MM-DD-v1.seal.json beside it, create-only, and HEAD it likewise;
//   5. write "<file>.shipped" (the seal JSON) beside the file;
//   6. with delete_local, under the lock again and only if the file is unchanged since step
//      2: remove the file, its -wal, -shm, -journal, .shipped and .lock.
// A day whose identical file is already in the first layout (<prefix>YYYY-MM-DD-v1.itslog,
// shipped by an earlier version) is finished there instead (its seal, create-only), so that
// the bucket never holds one host's day twice.
// Every step can be interrupted (killed, S3 down) and the next run finishes the job: steps
// are idempotent, and nothing local is removed before step 4 succeeded in the same run.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/result.h"
#include "core/time_util.h"
#include "s3/s3_client.h"

namespace itslog {

struct ShipOptions {
  std::string data_dir;
  TimeZone zone;  // "today" is never shipped
  std::string prefix;
  std::string host;  // host_id: the folder <prefix>YYYY-MM-DD/hosts/<host>/ and the seal's host
  bool delete_local = true;
  int64_t multipart_threshold_bytes = 64 * 1024 * 1024;
  int lock_timeout_ms = 5000;
};

struct ShipDayOutcome {
  std::string day;
  Status status;        // OK when the day is (now or already) shipped
  std::string summary;  // one line for the operator, success or failure
};

class Shipper {
 public:
  // env and s3 must outlive the shipper. progress, if set, gets a line per step worth telling.
  Shipper(Env* env, S3Client* s3, ShipOptions options,
          std::function<void(std::string_view)> progress = {});

  // The days with anything local to do, oldest first: a day file (or leftovers of one) in
  // data_dir whose day is before today in the configured zone.
  Result<std::vector<std::string>> PendingDays();

  // Ships one day. force: check the copy in S3 even when the local ".shipped" record says it
  // is done. A day without a local file succeeds when S3 holds it (in either layout) and fails
  // kNotFound otherwise; today or a later day fails kInvalid "day_not_closed"; another object
  // where this host's file or seal goes fails kConflict "ship_conflict", naming both.
  ShipDayOutcome ShipDay(const std::string& day, bool force);

  // Ships every pending day. After a failure that is not the day's own (S3 unreachable,
  // credentials refused, no such bucket) the remaining days are not attempted and report the
  // same failure.
  std::vector<ShipDayOutcome> ShipAll();

  // This host's object keys (ship/shipped_layout.h ShippedFileKey, ShippedSealKey).
  std::string FileKey(const std::string& day) const;
  std::string SealKey(const std::string& day) const;

 private:
  Status ShipDayImpl(const std::string& day, bool force, std::string* summary);
  // The day file is gone: removes what a run stopped mid-removal left.
  Status FinishRemoval(const std::string& day, bool force, std::string* summary);
  // Aborts the multipart upload recorded in "<file>.upload" (best effort).
  void AbortStaleUpload(const std::string& upload_path);
  // A kConflict from S3 as the day's failure, naming the local file too.
  Status ConflictNamingBoth(const Status& s, const std::string& path) const;
  void Progress(std::string_view line);

  Env* env_;
  S3Client* s3_;
  ShipOptions options_;
  std::function<void(std::string_view)> progress_;
};

}  // namespace itslog
