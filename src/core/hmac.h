// HMAC-SHA256 (OpenSSL) and random bytes from the kernel, for signing webhooks and making ids.
#pragma once

#include <string>
#include <string_view>

namespace itslog {

// The 32-byte HMAC-SHA256 of data under key, as raw bytes.
std::string HmacSha256Bytes(std::string_view key, std::string_view data);

// Compares two byte strings in time independent of where they differ (lengths may leak).
bool ConstantTimeEqualBytes(std::string_view a, std::string_view b);

// n random bytes from getrandom(2), as 2n lower-case hex digits. Blocks only before the
// kernel's pool is first seeded.
std::string RandomHex(size_t n);

}  // namespace itslog
