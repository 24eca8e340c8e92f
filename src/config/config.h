// Config: the worker's and the tools' settings as a plain struct, loaded from YAML
// (docs/OPERATIONS.md, "Configuration reference") with ITSLOG_* environment overrides.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/crypto.h"

namespace itslog {

enum Scope : uint32_t {
  kScopeIngest = 1,
  kScopeRead = 2,
  kScopeAdmin = 4,
  kScopeIncidents = 8,  // acknowledge, resolve and comment on incidents
};

// Every scope with the name the config and the admin API use for it.
struct ScopeName {
  Scope scope;
  const char* name;
};
inline constexpr ScopeName kScopeNames[] = {
    {kScopeIngest, "ingest"},
    {kScopeRead, "read"},
    {kScopeAdmin, "admin"},
    {kScopeIncidents, "incidents"},
};

struct ApiKey {
  std::string name;       // shown in logs instead of the key
  Digest sha256{};        // SHA-256 of the key (from key_sha256, or hashed from key_env)
  uint32_t scopes = 0;    // bit set of Scope
  bool all_apps = false;  // apps: ["*"]
  std::vector<std::string> apps;
  // Keys made over HTTP (keys/, docs/API.md "Keys"); a key from the config leaves them be.
  std::string id;                 // "key_<hex>"; empty: from the config
  int64_t rate_limit = 0;         // requests per second across the host; 0: none
  int32_t rate_slot = -1;         // its token bucket in the shared file; -1: none
  int64_t expires_at_micros = 0;  // refused from this instant on (UTC); 0: never
};

struct Limits {
  int64_t max_body_bytes = 1048576;
  int64_t max_batch = 10000;
  int64_t max_event_names_per_app_per_day = 10000;
};

struct S3Config {
  std::string endpoint;
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix;
  bool path_style = false;
  std::string access_key_id;      // only from ITSLOG_S3_ACCESS_KEY_ID
  std::string secret_access_key;  // only from ITSLOG_S3_SECRET_ACCESS_KEY
  std::string session_token;      // only from ITSLOG_S3_SESSION_TOKEN
  int64_t connect_timeout_ms = 5000;
  int64_t timeout_ms = 60000;
  int64_t retries = 3;
};

struct ShipConfig {
  bool delete_local = true;
  int64_t multipart_threshold_bytes = 64 * 1024 * 1024;
};

// The archive cache: shipped day files fetched for reading (archive/archive_cache.h).
struct ArchiveConfig {
  std::string cache_dir;  // "" = <data_dir>/archive
  int64_t cache_max_bytes = 1073741824;
};

// alerts: the alerts service (itslog alerts).
struct AlertsConfig {
  int64_t interval_seconds = 30;
  int64_t repeat_seconds = 14400;
  int64_t retry_for_seconds = 86400;
  int64_t backoff_initial_ms = 5000;  // the first retry of a failed notification
  int64_t timeout_ms = 10000;         // one notification request, connection included
};

enum class Durability { kNormal, kFull };
enum class StorageKind { kSqlite, kS3 };
// log: where the worker logs; kAuto picks syslog when stderr goes nowhere useful.
enum class LogTarget { kAuto, kStderr, kSyslog };
// unique_scope: a unique event once per day per host, or once per day across every host of
// the bucket (docs/OPERATIONS.md, "Running several hosts").
enum class UniqueScope { kHost, kBucket };

struct Config {
  std::string source;  // the file it came from, for messages
  std::string data_dir;
  std::string timezone = "UTC";
  Durability durability = Durability::kNormal;
  StorageKind storage = StorageKind::kSqlite;
  Limits limits;
  bool auth_required = true;
  std::vector<ApiKey> keys;
  S3Config s3;
  ShipConfig ship;
  ArchiveConfig archive;
  int64_t retention_days = 0;
  int64_t lock_timeout_ms = 5000;  // how long a writer waits for the day file's lock
  int64_t tail_max_seconds = 300;  // how long one GET /v1/tail may hold a worker
  LogTarget log = LogTarget::kAuto;
  AlertsConfig alerts;
  // Names this host's day files (meta.host, the seal, the bucket's hosts/<host_id>/ folder).
  // The loader fills it: host_id, ITSLOG_HOST_ID, or the hostname lower-cased.
  std::string host_id;
  UniqueScope unique_scope = UniqueScope::kHost;
};

}  // namespace itslog
