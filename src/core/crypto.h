// SHA-256 (OpenSSL), hex encoding and constant-time comparison.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace itslog {

using Digest = std::array<uint8_t, 32>;

// An incremental SHA-256 (OpenSSL). Not thread-safe; one per thread.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Reset();
  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  Digest Finish();  // then Reset() before reuse

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Digest Sha256Of(std::string_view data);

std::string HexEncode(const uint8_t* data, size_t size);
inline std::string HexEncode(const Digest& d) {
  return HexEncode(d.data(), d.size());
}
// Decodes exactly 64 hex digits (either case) into a digest.
std::optional<Digest> DigestFromHex(std::string_view hex);

// Fills out with size bytes from the system's CSPRNG (OpenSSL RAND_bytes, seeded by the
// kernel). False when the generator failed; out is then not to be used.
[[nodiscard]] bool RandomBytes(uint8_t* out, size_t size);

// Compares two digests in time independent of where they differ.
bool ConstantTimeEqual(const Digest& a, const Digest& b);

}  // namespace itslog
