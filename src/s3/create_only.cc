#include "s3/create_only.h"

#include <optional>

#include "core/crypto.h"

namespace itslog {

namespace {

constexpr int kMaxUploads = 3;  // 409 ConditionalRequestConflict starts the upload again

std::string MetaOf(const S3ObjectInfo& object, const std::string& name) {
  auto it = object.metadata.find(name);
  return it == object.metadata.end() ? std::string() : it->second;
}

// The object at key, or nullopt when there is none.
Result<std::optional<S3ObjectInfo>> HeadIfAny(S3Client* s3, std::string_view key) {
  Result<S3ObjectInfo> head = s3->HeadObject(key);
  if (head.ok()) {
    return std::optional<S3ObjectInfo>(std::move(head).value());
  }
  if (head.status().code() == Code::kNotFound && head.status().reason() == kS3NotFound) {
    return std::optional<S3ObjectInfo>();
  }
  return head.status();
}

// Ours (the same bytes) or a conflict.
Result<CreateOnlyResult> Compare(S3Client* s3, std::string_view key, const S3ObjectInfo& object,
                                 const FileDigests& digests, CreateOnlyResult out) {
  if (ObjectHoldsBytes(object, digests)) {
    out.created = false;
    return out;
  }
  return Status(Code::kConflict, kS3ObjectConflict,
                s3->Describe(key) + " already holds another object (" + DescribeObject(object) +
                    "; ours has " + std::to_string(digests.size) + " bytes, SHA-256 " +
                    HexEncode(digests.sha256) + "); it is left as it is");
}

Result<CreateOnlyResult> CreateOnly(S3Client* s3, std::string_view key, const FileDigests& digests,
                                    const std::function<Result<UploadFileResult>()>& upload) {
  CreateOnlyResult out;
  for (;;) {
    Result<std::optional<S3ObjectInfo>> existing = HeadIfAny(s3, key);
    if (!existing.ok()) {
      return existing.status();
    }
    if (*existing) {
      return Compare(s3, key, **existing, digests, out);
    }
    ++out.attempts;
    Result<UploadFileResult> up = upload();
    if (up.ok()) {
      out.created = true;
      out.parts = up->parts;
      return out;
    }
    const Status& s = up.status();
    if (s.reason() == kS3ConditionalConflict && out.attempts < kMaxUploads) {
      continue;  // from the HEAD again: the other write may have created the object
    }
    // 412: someone created it meanwhile (or our own earlier attempt whose answer was lost).
    // A completion whose upload is gone: a lost answer's first attempt may have completed it.
    const bool exists = s.reason() == kS3ObjectExists || s.reason() == kS3NotFound;
    if (!exists) {
      return s;
    }
    Result<std::optional<S3ObjectInfo>> after = HeadIfAny(s3, key);
    if (!after.ok()) {
      return after.status();
    }
    if (!*after) {
      return s;
    }
    return Compare(s3, key, **after, digests, out);
  }
}

}  // namespace

FileDigests DigestsOf(std::string_view body) {
  FileDigests d;
  d.size = static_cast<int64_t>(body.size());
  d.sha256 = Sha256Of(body);
  d.md5 = Md5Of(body);
  return d;
}

bool ObjectHoldsBytes(const S3ObjectInfo& object, const FileDigests& digests) {
  if (object.size != digests.size || !EtagMatchesFile(object.etag, digests)) {
    return false;
  }
  const std::string claimed = MetaOf(object, kSha256Meta);
  return claimed.empty() || claimed == HexEncode(digests.sha256);
}

std::string DescribeObject(const S3ObjectInfo& object) {
  std::string out = std::to_string(object.size) + " bytes, ETag " + Quote(object.etag);
  const std::string claimed = MetaOf(object, kSha256Meta);
  out += claimed.empty() ? ", no SHA-256 recorded" : ", SHA-256 " + Quote(claimed);
  return out;
}

Result<CreateOnlyResult> UploadFileCreateOnly(S3Client* s3, std::string_view key, int fd,
                                              const FileDigests& digests,
                                              const UploadFileOptions& options) {
  UploadFileOptions create = options;
  create.put.if_none_match = true;
  create.put.metadata.emplace_back(kSha256Meta, HexEncode(digests.sha256));
  return CreateOnly(s3, key, digests, [&]() { return UploadFile(s3, key, fd, digests, create); });
}

Result<CreateOnlyResult> PutObjectCreateOnly(S3Client* s3, std::string_view key,
                                             std::string_view body, const S3PutOptions& options) {
  const FileDigests digests = DigestsOf(body);
  S3PutOptions create = options;
  create.if_none_match = true;
  create.metadata.emplace_back(kSha256Meta, HexEncode(digests.sha256));
  return CreateOnly(s3, key, digests, [&]() -> Result<UploadFileResult> {
    Result<S3PutResult> put = s3->PutObject(key, body, create);
    if (!put.ok()) {
      return put.status();
    }
    return UploadFileResult{put->etag, 0};
  });
}

}  // namespace itslog
