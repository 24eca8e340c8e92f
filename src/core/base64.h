// Strict standard base64 (RFC 4648 section 4, with '=' padding), as the BLOB type requires.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace itslog {

// The decoded bytes, or nullopt for anything but canonical padded base64 (no whitespace,
// no URL-safe alphabet, length a multiple of 4, unused bits zero).
std::optional<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view bytes);

}  // namespace itslog
