// Prune: removes local day files older than retention_days (docs/OPERATIONS.md, "Retention").
// A day is removed under its lock, with its sidecars (-wal, -shm, .lock, .shipped). Today and
// the retention window are never touched; when shipping is configured, only days whose copy
// was proven (a ".shipped" record beside the file, written by `itslog ship`) are removed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/result.h"
#include "core/time_util.h"

namespace itslog {

struct PruneOptions {
  std::string data_dir;
  TimeZone zone;
  int64_t retention_days = 0;  // 0: keep everything
  bool require_shipped = false;
  int lock_timeout_ms = 5000;
};

struct PruneDay {
  std::string day;
  bool removed = false;
  std::string note;  // why it was kept, or what was removed
};

// The days older than the retention window, oldest first, each removed or kept with a reason.
// Fails only when data_dir cannot be listed.
Result<std::vector<PruneDay>> PruneDays(Env* env, const PruneOptions& options);

}  // namespace itslog
