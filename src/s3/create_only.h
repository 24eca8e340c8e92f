// Create-only uploads: an object is written only where there is none, and never replaces
// another (docs/OPERATIONS.md, "Running several hosts"). Every request carries
// If-None-Match: * (PutObject, CompleteMultipartUpload), so a server that honours it refuses a
// second writer with 412; a HEAD before the upload keeps a server that ignores it (s3rver)
// from replacing an object that was there before (a writer racing in between the HEAD and the
// PUT is not caught there).
//
// What is trusted to say "these are our bytes": the size and the ETag, which the server
// computes from what it received (MD5 of the object, or of its parts), never the uploader's
// x-amz-meta-itslog-sha256 alone, which anyone who may write the bucket can set. The SHA-256
// claim is checked when the object carries one: an object whose ETag matches but which claims
// another SHA-256 is not ours either.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "s3/file_upload.h"
#include "s3/s3_client.h"

namespace itslog {

// x-amz-meta-itslog-sha256: hex SHA-256 of the object, set on every create-only upload.
inline constexpr char kSha256Meta[] = "itslog-sha256";
// The reason of the Status when another object holds the key (Code::kConflict).
inline constexpr char kS3ObjectConflict[] = "s3_object_conflict";

// Size, SHA-256 and MD5 of a body held in memory (part_size 0: it goes up in one PUT). Pure.
FileDigests DigestsOf(std::string_view body);

// Whether the object a HEAD described holds exactly the bytes of digests: its size, the
// server's ETag (EtagMatchesFile), and its itslog-sha256 metadata when it has one. Pure.
bool ObjectHoldsBytes(const S3ObjectInfo& object, const FileDigests& digests);

// A sentence about the object's size, ETag and claimed SHA-256, for a conflict's message.
std::string DescribeObject(const S3ObjectInfo& object);

struct CreateOnlyResult {
  bool created = false;  // false: the same bytes were there already (an earlier upload of ours)
  int parts = 0;         // multipart: how many parts were sent
  int attempts = 0;      // uploads started (> 1 after a 409 ConditionalRequestConflict)
};

// Uploads the file fd (digests by DigestFile; it must not change meanwhile) to key, unless an
// object is there: HEAD first, then UploadFile with If-None-Match: * (on PutObject and
// CompleteMultipartUpload) and x-amz-meta-itslog-sha256. When an object is there (found by the
// HEAD, or a 412, or a completion whose upload is gone because a lost answer's first attempt
// completed it) it is compared (ObjectHoldsBytes): the same bytes succeed with created false;
// anything else fails kConflict kS3ObjectConflict naming the key and what it holds, and nothing
// is written. A 409 ConditionalRequestConflict starts the upload again (up to 3 uploads).
// Otherwise fails as S3Client.
Result<CreateOnlyResult> UploadFileCreateOnly(S3Client* s3, std::string_view key, int fd,
                                              const FileDigests& digests,
                                              const UploadFileOptions& options);

// The same for a small body held in memory (one PutObject).
Result<CreateOnlyResult> PutObjectCreateOnly(S3Client* s3, std::string_view key,
                                             std::string_view body, const S3PutOptions& options);

}  // namespace itslog
