#include "core/shared_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

namespace itslog {

Result<SharedFile> SharedFile::Open(const std::string& path, size_t size, uint64_t magic,
                                    unsigned mode, const std::string& label, bool* created) {
  auto fail = [&](const char* what) {
    return UnavailableError("storage_unavailable", std::string("cannot ") + what + " the " + label +
                                                       " " + path + ": " + std::strerror(errno));
  };
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) {
    return fail("open");
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return fail("stat");
  }
  // Only an empty file (just created, here or by another process) is ours to size; any other
  // size is someone else's file, or another layout, and is left as it is.
  if (st.st_size != 0 && static_cast<size_t>(st.st_size) != size) {
    uint64_t seen = 0;
    bool ours =
        pread(fd, &seen, sizeof(seen), 0) == static_cast<ssize_t>(sizeof(seen)) && seen == magic;
    close(fd);
    return UnavailableError("storage_unavailable", "the " + label + " " + path +
                                                       (ours ? " has another layout; remove it"
                                                             : " is not an its-log " + label));
  }
  // Every process extends it to the same size: harmless if two do it at once.
  if (st.st_size == 0 && ftruncate(fd, static_cast<off_t>(size)) != 0) {
    close(fd);
    return fail("size");
  }
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) {
    return fail("map");
  }
  uint64_t expected = 0;
  std::atomic_ref<uint64_t> word(*static_cast<uint64_t*>(p));
  bool wrote = word.compare_exchange_strong(expected, magic);
  if (!wrote && expected != magic) {
    munmap(p, size);
    return UnavailableError("storage_unavailable",
                            "the " + label + " " + path + " is not an its-log " + label);
  }
  if (created != nullptr) {
    *created = wrote;
  }
  return SharedFile(p, size);
}

SharedFile::SharedFile(SharedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(other.size_) {}

SharedFile::~SharedFile() {
  if (data_ != nullptr) {
    munmap(data_, size_);
  }
}

}  // namespace itslog
