// AggregateCache: the hourly aggregates of day files (store/reader.h, DayAggregates), kept per
// process within a memory budget. A file that grew is read only from where the cache stopped;
// a file replaced under the same path (another inode, other meta, other rows) is read again.
// Holds for local files that still grow and for sealed archived files alike. Thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/crypto.h"
#include "core/result.h"
#include "store/reader.h"

namespace itslog {

// The aggregates of one file, the names of the event ids they use, and what identifies it.
struct CachedAggregates {
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t size = 0;  // bytes when read: an immutable file of this inode and size is taken as
                     // the same without opening it
  std::map<std::string, std::string> meta;
  DayAggregates aggregates;
  // The stored hash of row aggregates.last_seq: through the hash chain it stands for every row
  // aggregated, so a file replaced in place (same inode and meta) is told apart.
  std::optional<Digest> last_hash;
  EventTable events;
};

class AggregateCache {
 public:
  // About 3 MiB of cached aggregates per process.
  static constexpr size_t kDefaultMaxCells = 32768;
  explicit AggregateCache(size_t max_cells = kDefaultMaxCells) : max_cells_(max_cells) {}

  // The aggregates of the day file at path up to its last row, hours counted from day_start;
  // nullptr when there is no such file. immutable: the file never changes in place (a sealed
  // file of the archive cache, checked against its seal and renamed in; its modification time
  // is the cache's recency and moves), so a cached copy of the same inode and size is used
  // without opening the file. Fails as DayReader::Open and its reads.
  Result<std::shared_ptr<const CachedAggregates>> For(const std::string& path, int64_t day_start,
                                                      bool immutable = false);

 private:
  std::mutex mu_;
  size_t max_cells_;
  std::map<std::string, std::shared_ptr<const CachedAggregates>> cache_;  // by file path
  std::list<std::string> lru_;                                            // most recent first
};

}  // namespace itslog
