// itslog import-s3: turns one day that storage: s3 wrote (one JSON object per event) into a
// standard day file (docs/DATA-FORMAT.md), so that verify, export, stats and ship work on it.
// Events keep their original timestamps and go in timestamp order; the file's chain continues
// the previous day's file when that one is present, as for any new day file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/result.h"
#include "core/time_util.h"

namespace itslog {

class S3Client;

struct ImportOptions {
  std::string data_dir;
  TimeZone zone;       // the zone the objects' day was chosen in (config timezone)
  std::string prefix;  // s3.prefix
  std::string bucket;  // for messages
  int lock_timeout_ms = 5000;
  std::string host;                     // meta.host of the new file
  int parallel_gets = 8;                // objects fetched at once, each on its own connection
  int64_t max_object_bytes = 16 << 20;  // an event object is far smaller
};

struct ImportSummary {
  std::string path;  // the day file written
  int64_t events = 0;
  int64_t unique = 0;                // of events: unique events
  int64_t idempotent = 0;            // of events: sent with an idempotency key
  int64_t name_markers = 0;          // names/<app>/<H>.json: not events, left out
  std::vector<std::string> skipped;  // other keys under the day's prefix that name no event
};

using S3ClientFactory = std::function<Result<std::unique_ptr<S3Client>>()>;

// Lists <prefix><day>/, leaves out the name markers (NameMarkerKey), fetches every event object,
// checks each (ParseEventObject; the day of its ts; its name agrees with its content) and appends
// them in (ts, key) order to a new <data_dir>/<day>-v1.itslog through DayStore. Writes nothing
// unless every object was read and checked. An import that stops half-way leaves "<file>.importing"
// beside the file; the next run removes both and starts again. Fails with kInvalid
// "day_file_exists" when the day file exists otherwise (move it aside to import again), kNotFound
// "no_events" when the prefix holds no event, kCorrupt "invalid_event_object" naming the first bad
// object, the S3 client's Statuses, or DayStore's. Blocks.
Result<ImportSummary> ImportDayFromS3(Env* env, const ImportOptions& options,
                                      const S3ClientFactory& make_client, const std::string& day);

}  // namespace itslog
