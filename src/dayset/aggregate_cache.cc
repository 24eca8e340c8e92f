#include "dayset/aggregate_cache.h"

#include <sys/stat.h>

namespace itslog {

namespace {

constexpr int64_t kScanMmapBytes = 1LL << 30;  // full scans map the file

}  // namespace

Result<std::shared_ptr<const CachedAggregates>> AggregateCache::For(const std::string& path,
                                                                    int64_t day_start,
                                                                    bool immutable) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return std::shared_ptr<const CachedAggregates>();
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<const CachedAggregates> cached;
  if (auto it = cache_.find(path); it != cache_.end() && it->second->dev == st.st_dev &&
                                   it->second->ino == st.st_ino &&
                                   it->second->aggregates.day_start == day_start) {
    cached = it->second;
  }
  if (cached && immutable && cached->size == static_cast<int64_t>(st.st_size)) {
    lru_.remove(path);
    lru_.push_front(path);
    return cached;
  }
  Result<std::unique_ptr<DayReader>> opened = DayReader::Open(path, kScanMmapBytes);
  if (!opened.ok()) {
    if (opened.status().code() == Code::kNotFound) {
      return std::shared_ptr<const CachedAggregates>();
    }
    return opened.status();
  }
  DayReader& reader = **opened;
  if (Status s = reader.BeginSnapshot(); !s.ok()) {
    return s;
  }
  if (cached && cached->meta != reader.meta()) {
    cached.reset();  // another file now (or one sealed since): start over
  }
  Result<int64_t> last = reader.LastSeq();
  if (!last.ok()) {
    return last.status();
  }
  if (cached && cached->aggregates.last_seq > 0 && cached->aggregates.last_seq <= *last) {
    Result<std::optional<Digest>> hash = reader.HashOf(cached->aggregates.last_seq);
    if (!hash.ok()) {
      return hash.status();
    }
    if (*hash != cached->last_hash) {
      cached.reset();  // other rows than those cached: start over
    }
  }
  if (cached && cached->aggregates.last_seq == *last) {
    lru_.remove(path);
    lru_.push_front(path);
    return cached;
  }
  auto fresh = std::make_shared<CachedAggregates>();
  fresh->dev = st.st_dev;
  fresh->ino = st.st_ino;
  fresh->size = static_cast<int64_t>(st.st_size);
  fresh->meta = reader.meta();
  if (cached && cached->aggregates.last_seq < *last) {
    fresh->aggregates = cached->aggregates;  // continue where the cache stopped
  } else {
    fresh->aggregates.day_start = day_start;
  }
  if (Status s = reader.LoadEvents(); !s.ok()) {
    return s;
  }
  if (Status s = reader.Aggregate(&fresh->aggregates); !s.ok()) {
    return s;
  }
  if (fresh->aggregates.last_seq > 0) {
    Result<std::optional<Digest>> hash = reader.HashOf(fresh->aggregates.last_seq);
    if (!hash.ok()) {
      return hash.status();
    }
    fresh->last_hash = *hash;
  }
  fresh->events = reader.events();
  reader.EndSnapshot();
  // Keep it, within the memory budget.
  cache_[path] = fresh;
  lru_.remove(path);
  lru_.push_front(path);
  size_t cells = 0;
  for (const auto& [p, c] : cache_) {
    cells += c->aggregates.cells.size();
  }
  while (cells > max_cells_ && !lru_.empty()) {
    const std::string& victim = lru_.back();
    cells -= cache_[victim]->aggregates.cells.size();
    cache_.erase(victim);
    lru_.pop_back();
  }
  return std::shared_ptr<const CachedAggregates>(fresh);
}

}  // namespace itslog
