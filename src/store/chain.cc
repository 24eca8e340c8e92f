#include "store/chain.h"

namespace itslog {

namespace {

void PutU32(uint8_t* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
}

void PutU64(uint8_t* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
}

}  // namespace

// docs/DATA-FORMAT.md, "Hash chain": big-endian integers, lengths in bytes.
Digest ChainHash(Sha256* hasher, const Digest& prev, const ChainRow& row) {
  hasher->Reset();
  hasher->Update(prev.data(), prev.size());
  uint8_t buf[16];
  PutU64(buf, static_cast<uint64_t>(row.seq));
  PutU64(buf + 8, static_cast<uint64_t>(row.ts));
  hasher->Update(buf, 16);
  PutU32(buf, static_cast<uint32_t>(row.app.size()));
  hasher->Update(buf, 4);
  hasher->Update(row.app);
  PutU32(buf, static_cast<uint32_t>(row.event.size()));
  hasher->Update(buf, 4);
  hasher->Update(row.event);
  buf[0] = static_cast<uint8_t>(row.type);
  buf[1] = row.value.has_value() ? 1 : 0;
  std::string_view value = row.value.value_or(std::string_view());
  PutU32(buf + 2, static_cast<uint32_t>(value.size()));
  hasher->Update(buf, 6);
  hasher->Update(value);
  return hasher->Finish();
}

}  // namespace itslog
