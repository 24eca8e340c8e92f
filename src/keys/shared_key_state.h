// SharedKeyState: <data_dir>/.itslog-keys-v1, a small file that every worker process and
// `itslog keys` map: a generation number that changes whenever a key is made or revoked (so
// that workers reload their keys when, and only when, it moved) and one token bucket per
// rate-limited key (keys/rate_limiter.h), shared by every process of the host.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "core/shared_file.h"
#include "keys/rate_limiter.h"

namespace itslog {

class SharedKeyState {
 public:
  static constexpr const char* kFileName = ".itslog-keys-v1";
  // Token buckets in the file: the most keys with a rate limit at one time.
  static constexpr int kSlots = 8192;

  // Maps <data_dir>/.itslog-keys-v1, creating it (mode 0660) if needed; a file created here
  // starts at generation 1, so that a process seeing it for the first time loads the keys.
  // Fails kUnavailable "storage_unavailable" when it cannot be created or mapped, or is not
  // this layout. Blocks briefly (open, mmap).
  static Result<std::unique_ptr<SharedKeyState>> Open(const std::string& data_dir);
  SharedKeyState(const SharedKeyState&) = delete;
  SharedKeyState& operator=(const SharedKeyState&) = delete;

  // The current generation (an acquire load: what was committed before it moved is visible).
  uint64_t generation() const;
  // Moves the generation on after a change to the keys has been committed.
  void BumpGeneration();
  // Empties slot's bucket for a key that takes it over. 0 <= slot < kSlots.
  void ResetSlot(int slot);
  // One request of a key with rate_per_second, whose bucket is slot, at now_nanos
  // (CLOCK_MONOTONIC). Lock-free.
  RateDecision Admit(int slot, int64_t rate_per_second, int64_t now_nanos);

 private:
  struct Shared;
  explicit SharedKeyState(SharedFile file) : file_(std::move(file)) {}
  Shared* shared() const { return static_cast<Shared*>(file_.data()); }
  SharedFile file_;
};

}  // namespace itslog
