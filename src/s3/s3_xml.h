// S3's XML answers (errors, listings, multipart uploads) read with a small tag scanner, and the
// mapping of S3 failures to Status. S3 answers are flat and attribute-free where we read
// them, so no XML library is needed. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace itslog {

// Reasons of the Statuses the S3 client returns (Status::reason()).
inline constexpr char kS3Unavailable[] = "s3_unavailable";  // network, timeout, 5xx, 429
inline constexpr char kS3AuthFailed[] = "s3_auth_failed";   // 401/403: credentials, policy
inline constexpr char kS3NoSuchBucket[] = "s3_no_such_bucket";
inline constexpr char kS3NotFound[] = "s3_not_found";          // no such key or upload
inline constexpr char kS3ObjectExists[] = "s3_object_exists";  // 412 on If-None-Match: *
// 409 ConditionalRequestConflict: a concurrent write got in the way of a conditional one; the
// request (for a multipart upload: the whole upload) is to be made again.
inline constexpr char kS3ConditionalConflict[] = "s3_conditional_conflict";
inline constexpr char kS3RequestFailed[] = "s3_request_failed";  // any other refusal

// The decoded text of the first <tag>...</tag> in xml (nullopt when absent; "" for <tag/>).
std::optional<std::string> XmlFirst(std::string_view xml, std::string_view tag);
// The raw (undecoded) content of every <tag>...</tag>, in order.
std::vector<std::string_view> XmlAll(std::string_view xml, std::string_view tag);
// Decodes &amp; &lt; &gt; &quot; &apos; and numeric references (&#NN; &#xHH;).
std::string XmlUnescape(std::string_view text);
// Escapes & < > " ' for element text.
std::string XmlEscape(std::string_view text);

struct S3ListedObject {
  std::string key;
  int64_t size = 0;
  std::string etag;  // without the surrounding quotes
};

struct S3ListPage {
  std::vector<S3ListedObject> objects;
  bool truncated = false;
  std::string next_token;  // NextContinuationToken when truncated
};

// A ListObjectsV2 result. Fails kInternal "s3_request_failed" when it is not one.
Result<S3ListPage> ParseListObjectsV2(std::string_view xml);

// An S3 <Error> body's Code and Message ("" when the body has none, e.g. for HEAD).
struct S3ErrorBody {
  std::string code;
  std::string message;
};
S3ErrorBody ParseS3Error(std::string_view xml);

// An ETag without surrounding double quotes (S3 quotes them; some servers do not).
std::string UnquoteEtag(std::string_view etag);

// The Status for an S3 answer that was not a success (http_status >= 300). what names the
// operation and object, e.g. "PUT s3://bucket/key". Mapping:
//   401, 403                     -> kUnavailable kS3AuthFailed (a retry will not help)
//   404 NoSuchBucket             -> kNotFound kS3NoSuchBucket
//   other 404                    -> kNotFound kS3NotFound
//   412                          -> kUnprocessable kS3ObjectExists
//   409 ConditionalRequestConflict -> kUnavailable kS3ConditionalConflict (retried)
//   408, 429, 5xx, and 400/409 with a transient S3 code (RequestTimeout, BadDigest,
//   OperationAborted, ConditionalRequestConflict, SlowDown)
//                                -> kUnavailable kS3Unavailable (retried)
//   anything else                -> kInternal kS3RequestFailed
Status S3StatusFor(int http_status, const S3ErrorBody& error, std::string_view what);

// Whether S3StatusFor's answer for this response is worth another attempt.
bool S3Retryable(int http_status, const S3ErrorBody& error);

}  // namespace itslog
