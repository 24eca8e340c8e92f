#include "core/status.h"

namespace itslog {

std::string Status::ToString() const {
  if (ok()) {
    return "ok";
  }
  std::string out = reason_ + ": " + message_;
  if (!field_.empty()) {
    out += " (field " + field_ + ")";
  }
  return out;
}

std::string Quote(std::string_view value) {
  constexpr size_t kMaxBytes = 64;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  size_t n = value.size() < kMaxBytes ? value.size() : kMaxBytes;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (value.size() > kMaxBytes) {
    out += "...";
  }
  return out;
}

}  // namespace itslog
