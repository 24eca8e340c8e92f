#include "core/crypto.h"

// SHA-256 through OpenSSL's direct SHA256_* functions rather than EVP: an EVP fetch loads
// OpenSSL's provider machinery, which costs every worker process about 2.3 MiB of resident
// memory and is no faster for the short messages hashed here (both use the CPU's SHA
// instructions). The functions are deprecated in OpenSSL 3 but kept; the suppression below is
// the documented way to go on using them.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace itslog {

struct Sha256::Impl {
  SHA256_CTX ctx;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  Reset();
}

Sha256::~Sha256() = default;

void Sha256::Reset() {
  SHA256_Init(&impl_->ctx);
}

void Sha256::Update(const void* data, size_t size) {
  SHA256_Update(&impl_->ctx, data, size);
}

Digest Sha256::Finish() {
  Digest d;
  SHA256_Final(d.data(), &impl_->ctx);
  return d;
}

Digest Sha256Of(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

std::string HexEncode(const uint8_t* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xf];
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}
}  // namespace

std::optional<Digest> DigestFromHex(std::string_view hex) {
  Digest d;
  if (hex.size() != d.size() * 2) {
    return std::nullopt;
  }
  for (size_t i = 0; i < d.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    d[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return d;
}

bool ConstantTimeEqual(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool RandomBytes(uint8_t* out, size_t size) {
  return RAND_bytes(out, static_cast<int>(size)) == 1;
}

}  // namespace itslog
