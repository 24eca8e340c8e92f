#include "s3/file_upload.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>

namespace itslog {

int64_t ChoosePartSize(int64_t size) {
  constexpr int64_t kMiB = 1 << 20;
  int64_t part = 8 * kMiB;
  if ((size + part - 1) / part > kMaxParts) {
    part = (size + kMaxParts - 1) / kMaxParts;
    part = (part + kMiB - 1) / kMiB * kMiB;
  }
  return part;
}

Result<FileDigests> DigestFile(int fd, int64_t part_size) {
  constexpr size_t kBuffer = 1 << 20;
  auto buffer = std::make_unique<char[]>(kBuffer);
  FileDigests d;
  d.part_size = part_size;
  Sha256 sha;
  Md5 md5;
  Md5 part_md5;
  int64_t in_part = 0;
  int64_t offset = 0;
  for (;;) {
    size_t want = kBuffer;
    if (part_size > 0) {
      want = static_cast<size_t>(std::min<int64_t>(want, part_size - in_part));
    }
    ssize_t n = pread(fd, buffer.get(), want, offset);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return UnavailableError("storage_unavailable",
                              std::string("cannot read the day file: ") + std::strerror(errno));
    }
    if (n == 0) {
      break;
    }
    sha.Update(buffer.get(), static_cast<size_t>(n));
    md5.Update(buffer.get(), static_cast<size_t>(n));
    offset += n;
    if (part_size > 0) {
      part_md5.Update(buffer.get(), static_cast<size_t>(n));
      in_part += n;
      if (in_part == part_size) {
        d.part_md5.push_back(part_md5.Finish());
        part_md5.Reset();
        in_part = 0;
      }
    }
  }
  if (part_size > 0 && (in_part > 0 || d.part_md5.empty())) {
    d.part_md5.push_back(part_md5.Finish());  // the last, shorter part (or the only, empty one)
  }
  d.size = offset;
  d.sha256 = sha.Finish();
  d.md5 = md5.Finish();
  return d;
}

std::string MultipartEtag(const std::vector<Md5Digest>& part_md5) {
  Md5 md5;
  for (const Md5Digest& p : part_md5) {
    md5.Update(p.data(), p.size());
  }
  Md5Digest all = md5.Finish();
  return HexEncode(all.data(), all.size()) + "-" + std::to_string(part_md5.size());
}

bool EtagMatchesFile(std::string_view etag, const FileDigests& digests) {
  auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  if (same(etag, HexEncode(digests.md5.data(), digests.md5.size()))) {
    return true;
  }
  return digests.part_size > 0 && same(etag, MultipartEtag(digests.part_md5));
}

Result<UploadFileResult> UploadFile(S3Client* s3, std::string_view key, int fd,
                                    const FileDigests& digests, const UploadFileOptions& options) {
  if (digests.part_size == 0) {
    S3FileBody body{fd, 0, digests.size, HexEncode(digests.sha256), digests.md5};
    Result<S3PutResult> put = s3->PutObjectFromFile(key, body, options.put);
    if (!put.ok()) {
      return put.status();
    }
    return UploadFileResult{put->etag, 0};
  }
  Result<std::string> upload_id = s3->CreateMultipartUpload(key, options.put);
  if (!upload_id.ok()) {
    return upload_id.status();
  }
  auto abort = [&](Status s) -> Status {
    // Best effort: a server without AbortMultipartUpload (or an unreachable one) leaves the
    // parts to the bucket's lifecycle rule; the next run aborts the recorded id again.
    (void)s3->AbortMultipartUpload(key, *upload_id);
    return s;
  };
  if (options.on_multipart_started) {
    if (Status s = options.on_multipart_started(*upload_id); !s.ok()) {
      return abort(s);
    }
  }
  std::vector<S3Part> parts;
  parts.reserve(digests.part_md5.size());
  for (size_t i = 0; i < digests.part_md5.size(); ++i) {
    const int64_t offset = static_cast<int64_t>(i) * digests.part_size;
    const int64_t length = std::min(digests.part_size, digests.size - offset);
    // Parts are signed as UNSIGNED-PAYLOAD: their integrity rests on Content-MD5, which the
    // server checks, so the file is read once for the digests and once to send it.
    S3FileBody body{fd, offset, length, "", digests.part_md5[i]};
    const int number = static_cast<int>(i) + 1;
    Result<std::string> etag = s3->UploadPart(key, *upload_id, number, body);
    if (!etag.ok()) {
      return abort(etag.status());
    }
    parts.push_back(S3Part{number, *etag});
  }
  Result<S3PutResult> done =
      s3->CompleteMultipartUpload(key, *upload_id, parts, options.put.if_none_match);
  if (!done.ok()) {
    return abort(done.status());
  }
  return UploadFileResult{done->etag, static_cast<int>(parts.size())};
}

}  // namespace itslog
