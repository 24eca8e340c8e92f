#include "keys/shared_key_state.h"

#include <atomic>

namespace itslog {

namespace {

constexpr uint64_t kMagic = 0x69746c6f676b7931;  // "itlogky1"

}  // namespace

// The file's layout. Only ever changed together with the file name's version. Each bucket has
// a cache line of its own, so that busy keys of different requests do not contend.
struct SharedKeyState::Shared {
  struct alignas(64) Slot {
    uint64_t tat_nanos;
  };
  alignas(64) uint64_t magic;
  uint64_t generation;
  Slot slots[kSlots];
};

Result<std::unique_ptr<SharedKeyState>> SharedKeyState::Open(const std::string& data_dir) {
  std::string path = data_dir;
  if (!path.empty() && path.back() != '/') {
    path += '/';
  }
  path += kFileName;
  bool created = false;
  Result<SharedFile> file =
      SharedFile::Open(path, sizeof(Shared), kMagic, 0660, "keys file", &created);
  if (!file.ok()) {
    return file.status();
  }
  std::unique_ptr<SharedKeyState> state(new SharedKeyState(std::move(file).value()));
  if (created) {
    // A process that maps the file between the magic and this sees generation 0 at first,
    // then 1: either way a change from what it loaded, so it loads.
    state->BumpGeneration();
  }
  return state;
}

uint64_t SharedKeyState::generation() const {
  return std::atomic_ref<uint64_t>(shared()->generation).load(std::memory_order_acquire);
}

void SharedKeyState::BumpGeneration() {
  std::atomic_ref<uint64_t>(shared()->generation).fetch_add(1, std::memory_order_acq_rel);
}

void SharedKeyState::ResetSlot(int slot) {
  std::atomic_ref<uint64_t>(shared()->slots[slot].tat_nanos).store(0, std::memory_order_relaxed);
}

RateDecision SharedKeyState::Admit(int slot, int64_t rate_per_second, int64_t now_nanos) {
  return AdmitRequest(&shared()->slots[slot].tat_nanos, rate_per_second, now_nanos);
}

}  // namespace itslog
