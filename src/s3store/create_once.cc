#include "s3store/create_once.h"

namespace itslog {

std::string MetaOf(const S3ObjectInfo& info, const std::string& name) {
  auto it = info.metadata.find(name);
  return it == info.metadata.end() ? std::string() : it->second;
}

Result<std::optional<S3ObjectInfo>> CreateOnce(S3Client* s3, const std::string& key,
                                               const std::string& body, const S3PutOptions& put,
                                               const std::string& token) {
  Result<S3PutResult> r = s3->PutObject(key, body, put);
  if (r.ok()) {
    return std::optional<S3ObjectInfo>();
  }
  if (r.status().code() != Code::kUnprocessable || r.status().reason() != kS3ObjectExists) {
    return r.status();
  }
  Result<S3ObjectInfo> head = s3->HeadObject(key);
  if (!head.ok()) {
    return head.status();
  }
  if (MetaOf(*head, kWriterMeta) == token) {
    return std::optional<S3ObjectInfo>();
  }
  return std::optional<S3ObjectInfo>(std::move(head).value());
}

}  // namespace itslog
