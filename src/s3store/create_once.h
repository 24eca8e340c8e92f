// CreateOnce: a create-only PUT (If-None-Match: *) that tells this writer's object from
// another's by a writer token kept in the object's metadata, so that a PUT whose answer was
// lost and was sent again (by the S3 client's retries, or by a later request of the same
// writer) is recognised as the writer's own. Shared by storage: s3 (s3store/s3_event_store.h)
// and unique_scope: bucket (s3store/bucket_uniques.h).
#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "s3/s3_client.h"

namespace itslog {

// Object metadata (x-amz-meta-<name>): who wrote the object, and the hash of the idempotency
// key it was sent with (s3store/object_keys.h IdempotencyHash).
inline constexpr char kWriterMeta[] = "itslog-writer";
inline constexpr char kIdempotencyMeta[] = "itslog-idempotency";

// The value of a metadata entry, "" when absent.
std::string MetaOf(const S3ObjectInfo& info, const std::string& name);

// PUTs body at key with If-None-Match: * and put's other options; put.metadata must hold
// kWriterMeta = token. Empty when the object is this writer's: created now, or by an earlier
// attempt with the same token. Otherwise (412) the HEAD of the object another writer created
// first. Fails as S3Client::PutObject and HeadObject do (kUnavailable when S3 cannot be
// reached). Blocks for one or two requests (and their retries).
Result<std::optional<S3ObjectInfo>> CreateOnce(S3Client* s3, const std::string& key,
                                               const std::string& body, const S3PutOptions& put,
                                               const std::string& token);

}  // namespace itslog
