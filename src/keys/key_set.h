// KeySet: the keys made over HTTP as one worker process holds them between reloads: found by
// their SHA-256 in constant time per candidate. Immutable once built, but for the per-key
// note of when this process last recorded a use (last_used_at). Pure: no I/O.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "config/config.h"

namespace itslog {

class KeySet {
 public:
  // keys: each with a distinct sha256. previous: the set this one replaces, whose notes of
  // last use carry over by key id (nullptr: none).
  KeySet(std::vector<ApiKey> keys, const KeySet* previous);

  // The key whose SHA-256 is digest, or nullptr. The digest is looked up by its first 8
  // bytes; the candidate is then compared whole in constant time. (What the lookup's timing
  // could show is about a hash, not about any key.)
  const ApiKey* Find(const Digest& digest) const;

  const std::vector<ApiKey>& keys() const { return keys_; }

  // True at most once per interval_micros for each key (by its position in keys()): the
  // caller then records the use. Thread-safe.
  bool ShouldNoteUse(const ApiKey* key, int64_t now_micros, int64_t interval_micros) const;

 private:
  std::vector<ApiKey> keys_;
  std::unordered_multimap<uint64_t, size_t> by_prefix_;
  std::unique_ptr<std::atomic<int64_t>[]> noted_micros_;  // one per key; INT64_MIN: never
};

}  // namespace itslog
