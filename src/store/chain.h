// The hash chain of a day file, exactly as docs/DATA-FORMAT.md, "Hash chain" defines it.
// Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/crypto.h"

namespace itslog {

struct ChainRow {
  int64_t seq = 0;
  int64_t ts = 0;
  std::string_view app;
  std::string_view event;
  int type = 0;
  std::optional<std::string_view> value;  // nullopt for SQL NULL
};

// hash(seq) = SHA-256(hash(seq-1) || u64be(seq) || u64be(ts) || u32be(len app) || app ||
//   u32be(len event) || event || u8(type) || u8(value is NULL ? 0 : 1) || u32be(len value) ||
//   value). hasher is reset and reused (it is faster than one-shot hashing).
Digest ChainHash(Sha256* hasher, const Digest& prev, const ChainRow& row);

}  // namespace itslog
