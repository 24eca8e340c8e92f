// S3Client: the few S3 operations its-log needs (PUT, conditional PUT, HEAD, GET, DELETE,
// ListObjectsV2, multipart upload), over libcurl with its built-in SigV4 signing
// (docs/DEPENDENCIES.md: curl 7.88 and its four rules). Path-style or virtual-hosted
// addressing, connect and transfer timeouts, retries with exponential backoff and jitter for
// network failures, 5xx, 429 and S3's transient codes.
//
// Failures (reasons from s3/s3_xml.h): kUnavailable kS3Unavailable (network, timeout, 5xx
// after the retries), kUnavailable kS3AuthFailed (401/403: credentials, region, policy; not
// retried), kNotFound kS3NoSuchBucket / kS3NotFound, kUnprocessable kS3ObjectExists (412 on a
// create-only PUT), kInternal kS3RequestFailed (any other refusal). Messages name the operation
// and s3://bucket/key, never a credential.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/md5.h"
#include "core/result.h"
#include "s3/s3_xml.h"

namespace itslog {

struct S3ObjectInfo {
  int64_t size = 0;
  std::string etag;                             // without quotes
  std::map<std::string, std::string> metadata;  // x-amz-meta-<name> (name lower-case) -> value
};

struct S3PutOptions {
  std::string content_type = "application/octet-stream";
  bool if_none_match = false;  // send If-None-Match: * (create only; 412 -> kS3ObjectExists)
  std::vector<std::pair<std::string, std::string>> metadata;  // sent as x-amz-meta-<name>
};

struct S3PutResult {
  std::string etag;  // as the server computed it, without quotes
  int attempts = 1;  // > 1 when an earlier attempt failed (it may still have been stored)
};

// A byte range of an open file: the body of a streaming upload. The file is read with
// pread(2) as curl sends it, so memory does not grow with the range. fd stays the caller's.
struct S3FileBody {
  int fd = -1;
  int64_t offset = 0;
  int64_t length = 0;
  std::string sha256_hex;        // of the range, for x-amz-content-sha256; "" = UNSIGNED-PAYLOAD
  std::optional<Md5Digest> md5;  // sent as Content-MD5 (the server checks it) when set
};

struct S3Part {
  int number = 0;
  std::string etag;  // as UploadPart returned it
};

struct S3ClientOptions {
  // How retries wait; default: the thread really sleeps. Tests pass a fake.
  std::function<void(int64_t ms)> sleep;
  // Where a retry is reported (one line per failed attempt); default: nowhere.
  std::function<void(std::string_view)> log;
  int64_t backoff_base_ms = 200;   // first wait; doubles each attempt, with jitter
  int64_t backoff_max_ms = 10000;  // cap of one wait
};

// Not thread-safe: one client per thread. Keeps its connection open between requests.
class S3Client {
 public:
  // Checks config (ValidateS3Config: kInvalid "invalid_s3_config") and sets libcurl up
  // (kInternal if it cannot). Does no I/O.
  static Result<std::unique_ptr<S3Client>> Create(const S3Config& config,
                                                  S3ClientOptions options = {});
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3Config& config() const { return config_; }
  // "s3://<bucket>/<key>", for messages.
  std::string Describe(std::string_view key) const;

  // PUT of a body held in memory, with Content-MD5 and its SHA-256 as x-amz-content-sha256.
  Result<S3PutResult> PutObject(std::string_view key, std::string_view body,
                                const S3PutOptions& options);
  // PUT streaming a file range. Blocks for the whole transfer.
  Result<S3PutResult> PutObjectFromFile(std::string_view key, const S3FileBody& body,
                                        const S3PutOptions& options);
  // HEAD: size, ETag and user metadata. kNotFound kS3NotFound when there is no such object.
  Result<S3ObjectInfo> HeadObject(std::string_view key);
  // GET into memory; fails kInternal kS3RequestFailed for an object above max_bytes.
  Result<std::string> GetObject(std::string_view key, int64_t max_bytes);
  // GET of the bytes [offset, offset + length) of key (length > 0), written to fd at the same
  // offsets with pwrite(2), so a retried attempt rewrites the same bytes. Streams: memory
  // does not grow with length. Fails as GetObject; kUnavailable kS3Unavailable when the
  // server sends other than exactly length bytes, "storage_unavailable" when fd refuses them.
  Status GetObjectRangeToFile(std::string_view key, int64_t offset, int64_t length, int fd);
  // DELETE (S3 answers success also for a missing key).
  Status DeleteObject(std::string_view key);

  // One page of ListObjectsV2 (keys under prefix, in key order).
  Result<S3ListPage> ListObjectsPage(std::string_view prefix, std::string_view continuation,
                                     int max_keys = 1000);
  // Every key under prefix, page by page; stops at the first non-OK Status visit returns.
  Status ListObjects(std::string_view prefix,
                     const std::function<Status(const S3ListedObject&)>& visit);

  // Multipart upload: create (returns the upload id), parts (1..10000, each but the last at
  // least 5 MiB; returns the part's ETag), complete (returns the object's ETag), abort.
  Result<std::string> CreateMultipartUpload(std::string_view key, const S3PutOptions& options);
  Result<std::string> UploadPart(std::string_view key, std::string_view upload_id, int part_number,
                                 const S3FileBody& body);
  // if_none_match: If-None-Match: * (412 -> kS3ObjectExists when the key holds an object).
  Result<S3PutResult> CompleteMultipartUpload(std::string_view key, std::string_view upload_id,
                                              const std::vector<S3Part>& parts,
                                              bool if_none_match = false);
  // kNotFound kS3NotFound when the upload is already gone (completed or aborted).
  Status AbortMultipartUpload(std::string_view key, std::string_view upload_id);

 private:
  struct Impl;
  S3Client(const S3Config& config, S3ClientOptions options, std::unique_ptr<Impl> impl);
  S3Config config_;
  S3ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

// The body of a CompleteMultipartUpload request. Pure.
std::string CompleteMultipartXml(const std::vector<S3Part>& parts);

}  // namespace itslog
