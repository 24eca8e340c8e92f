// Sealing a closed day (docs/DATA-FORMAT.md, "Sealed days"): under the day's lock, the WAL is
// checkpointed into the main file, meta gains sealed_at, rows and final_hash, and the file
// leaves WAL mode so it is one self-contained file. Writers refuse a sealed day
// ("day_sealed"). Sealing again is a no-op that returns the same seal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/env.h"
#include "core/result.h"

namespace itslog {

struct SealInfo {
  std::string day;            // "YYYY-MM-DD"
  int64_t rows = 0;           // rows in log (seq runs 1..rows)
  std::string final_hash;     // hex of the last row's hash (meta.chain_seed for an empty day)
  std::string sealed_at;      // ISO 8601, when it was first sealed
  bool newly_sealed = false;  // this call sealed it; false when it already was
  // Another process still had the file open (an idle worker's connection to yesterday), so
  // it stays in WAL mode: checkpointed, with an empty WAL, so the main file alone holds every
  // row. A later SealDay switches it out of WAL once nobody has it open.
  bool still_wal = false;
};

// Seals path, the file of day. The caller holds the day's lock ("<path>.lock"). Blocks while
// readers keep the WAL busy (up to busy_timeout_ms). Fails with kNotFound "not_found" when
// the file does not exist; kCorrupt "not_itslog_file" / "corrupt_file" for a file that is not
// a consistent day file of that day (seq not dense, a bad seal in meta); kUnavailable
// ("lock_timeout", "storage_unavailable", "disk_full") as SQLite fails.
Result<SealInfo> SealDayLocked(const std::string& path, const std::string& day, Env* env,
                               int busy_timeout_ms = 5000);

// Takes the day's lock (waiting up to lock_timeout_ms; kUnavailable "lock_timeout"), then
// SealDayLocked on <data_dir>/<day>-v1.itslog.
Result<SealInfo> SealDay(const std::string& data_dir, const std::string& day, Env* env,
                         int lock_timeout_ms = 5000);

// Reads the seal from meta without changing anything (the file opened read-only). Fails
// kNotFound "not_sealed" when meta has no sealed_at; otherwise as SealDayLocked.
Result<SealInfo> ReadSeal(const std::string& path, const std::string& day);

// The seal document published beside the shipped file (docs/DATA-FORMAT.md):
// {"day":"YYYY-MM-DD","host":"<host_id>","rows":N,"final_hash":"<hex>","file_sha256":"<hex>"}
// An empty host gives the first layout's seal, which has no "host" member.
std::string SealJson(const SealInfo& seal, std::string_view host, std::string_view file_sha256_hex);

}  // namespace itslog
