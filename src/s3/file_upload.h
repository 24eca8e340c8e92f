// Uploading one local file to S3 in bounded memory: a single streaming PUT up to a size
// threshold, a multipart upload above it (parts streamed from the file). Every request carries
// Content-MD5, so the server checks what it received, and the ETag the server computes can be
// compared with the file's digests afterwards (EtagMatchesFile).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"
#include "core/md5.h"
#include "core/result.h"
#include "s3/s3_client.h"

namespace itslog {

inline constexpr int64_t kMinPartBytes = 5 << 20;  // S3's minimum for all but the last part
inline constexpr int64_t kMaxParts = 10000;

// The part size for a multipart upload of size bytes: 8 MiB, or more (a whole number of MiB)
// when 8 MiB parts would exceed 10,000 parts.
int64_t ChoosePartSize(int64_t size);

struct FileDigests {
  int64_t size = 0;
  Digest sha256{};
  Md5Digest md5{};
  int64_t part_size = 0;            // 0: the file goes up in one PUT
  std::vector<Md5Digest> part_md5;  // one per part when part_size > 0
};

// Reads fd from offset 0 to its end once, with a fixed 1 MiB buffer, computing SHA-256 and MD5
// of the whole and MD5 of each part_size part (part_size 0: no parts). Fails kUnavailable
// "storage_unavailable" on a read error.
Result<FileDigests> DigestFile(int fd, int64_t part_size);

// The ETag S3 gives a multipart object: hex MD5 of the parts' binary MD5s, "-", part count.
std::string MultipartEtag(const std::vector<Md5Digest>& part_md5);

// Whether a server's ETag (unquoted) is one computed from exactly these bytes: the MD5 of the
// whole file (a single PUT, and some servers' multipart objects) or the multipart ETag of its
// parts. Compared case-insensitively.
bool EtagMatchesFile(std::string_view etag, const FileDigests& digests);

struct UploadFileOptions {
  S3PutOptions put;
  // Called with the upload id right after a multipart upload is created, before any part is
  // sent, so that a crashed run's upload can be aborted by the next one. A non-OK Status
  // aborts the upload and is returned.
  std::function<Status(const std::string& upload_id)> on_multipart_started;
};

struct UploadFileResult {
  std::string etag;  // the server's, unquoted
  int parts = 0;     // 0 for a single PUT
};

// Uploads the file fd (whose digests DigestFile computed; the file must not change meanwhile)
// to key: one PUT when digests.part_size is 0, else a multipart upload of those parts, aborted
// (best effort) when a part or the completion fails. options.put.if_none_match goes on the PUT
// or on the CompleteMultipartUpload. Blocks; memory use does not depend on the
// file's size. Fails as S3Client.
Result<UploadFileResult> UploadFile(S3Client* s3, std::string_view key, int fd,
                                    const FileDigests& digests, const UploadFileOptions& options);

}  // namespace itslog
