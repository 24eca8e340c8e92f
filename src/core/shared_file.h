// SharedFile: a small file under data_dir that every process of the host maps and updates with
// atomic operations (the metrics' counters, the keys' generation and rate limit buckets). Its
// first 8 bytes are a magic number naming the layout; the rest starts as zeros.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/result.h"

namespace itslog {

class SharedFile {
 public:
  // Maps path read-write, creating it with mode and extending an empty file to size. label
  // names the file in messages ("metrics file"). Fails kUnavailable "storage_unavailable" when
  // it cannot be created or mapped, has another size ("another layout; remove it" when its
  // magic is ours), or another magic. *created (optional) is set when this call wrote the
  // magic, i.e. the file was new. Blocks briefly (open, mmap).
  static Result<SharedFile> Open(const std::string& path, size_t size, uint64_t magic,
                                 unsigned mode, const std::string& label, bool* created = nullptr);
  SharedFile(SharedFile&& other) noexcept;
  SharedFile& operator=(SharedFile&&) = delete;
  SharedFile(const SharedFile&) = delete;
  ~SharedFile();

  // The mapping, size bytes, starting with the magic. Valid while this object lives.
  void* data() const { return data_; }

 private:
  SharedFile(void* data, size_t size) : data_(data), size_(size) {}
  void* data_;
  size_t size_;
};

}  // namespace itslog
