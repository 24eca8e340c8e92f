// MD5 (OpenSSL), only for what S3 speaks in it: the Content-MD5 header and ETags. Never a
// security check of its own: its-log's integrity rests on SHA-256 (core/crypto.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace itslog {

using Md5Digest = std::array<uint8_t, 16>;

// An incremental MD5. Not thread-safe; one per thread.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void Reset();
  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  Md5Digest Finish();  // then Reset() before reuse

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Md5Digest Md5Of(std::string_view data);

}  // namespace itslog
