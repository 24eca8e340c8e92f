#include "keys/key_set.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace itslog {

namespace {

constexpr int64_t kNever = INT64_MIN;

uint64_t Prefix(const Digest& d) {
  uint64_t p = 0;
  std::memcpy(&p, d.data(), sizeof(p));
  return p;
}

}  // namespace

KeySet::KeySet(std::vector<ApiKey> keys, const KeySet* previous)
    : keys_(std::move(keys)), noted_micros_(new std::atomic<int64_t>[keys_.size()]) {
  std::unordered_map<std::string, int64_t> carried;
  if (previous != nullptr) {
    for (size_t i = 0; i < previous->keys_.size(); ++i) {
      carried[previous->keys_[i].id] = previous->noted_micros_[i].load(std::memory_order_relaxed);
    }
  }
  by_prefix_.reserve(keys_.size());
  for (size_t i = 0; i < keys_.size(); ++i) {
    by_prefix_.emplace(Prefix(keys_[i].sha256), i);
    auto it = carried.find(keys_[i].id);
    noted_micros_[i].store(it == carried.end() ? kNever : it->second, std::memory_order_relaxed);
  }
}

const ApiKey* KeySet::Find(const Digest& digest) const {
  auto [begin, end] = by_prefix_.equal_range(Prefix(digest));
  const ApiKey* found = nullptr;
  for (auto it = begin; it != end; ++it) {
    if (ConstantTimeEqual(keys_[it->second].sha256, digest) && found == nullptr) {
      found = &keys_[it->second];
    }
  }
  return found;
}

bool KeySet::ShouldNoteUse(const ApiKey* key, int64_t now_micros, int64_t interval_micros) const {
  size_t i = static_cast<size_t>(key - keys_.data());
  if (i >= keys_.size()) {
    return false;
  }
  std::atomic<int64_t>& noted = noted_micros_[i];
  int64_t last = noted.load(std::memory_order_relaxed);
  if (last != kNever && now_micros - last < interval_micros) {
    return false;
  }
  return noted.compare_exchange_strong(last, now_micros, std::memory_order_relaxed);
}

}  // namespace itslog
