// The configuration keys and ITSLOG_* environment variables its-log knows, declared once as
// data: the loader checks files against it, and --help and the docs render it.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

namespace itslog {

enum class ConfigKeyType {
  kSection,     // a map of further keys; "name:" with nothing after it is an empty section
  kKeyList,     // a list of maps (auth.keys)
  kString,      // any scalar
  kInteger,     // a plain decimal integer in [min, max]
  kBool,        // true or false
  kChoice,      // one of the words in `choices` ("normal|full")
  kStringList,  // a list of scalars; of the words in `choices` when that is set
};

struct ConfigKey {
  // Dotted path; members of list items as "auth.keys[].name".
  std::string_view path;
  ConfigKeyType type;
  // As YAML text; empty when there is none (the struct's default is then empty too).
  std::string_view default_value;
  std::string_view description;   // one line
  std::string_view choices = {};  // kChoice, kStringList: allowed words separated by '|'
  int64_t min = 0;                // kInteger
  int64_t max = std::numeric_limits<int32_t>::max();  // kInteger
  bool required = false;  // must be given (data_dir; name, scopes and apps of a key)
};

inline constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// docs/DESIGN.md "Configuration (contract)", plus lock_timeout_ms, tail and log.
inline constexpr ConfigKey kConfigKeys[] = {
    {"data_dir",
     ConfigKeyType::kString,
     "",
     "directory of the day files (an absolute path)",
     {},
     0,
     0,
     true},
    {"timezone", ConfigKeyType::kString, "UTC",
     "which calendar day an event belongs to: UTC or an IANA zone name such as Europe/Berlin"},
    {"durability", ConfigKeyType::kChoice, "normal",
     "SQLite synchronous mode: normal, or full for an fsync per commit", "normal|full"},
    {"storage", ConfigKeyType::kChoice, "sqlite",
     "where events go: sqlite day files, or s3 (one JSON object per event)", "sqlite|s3"},
    {"limits", ConfigKeyType::kSection, "", "request limits"},
    {"limits.max_body_bytes",
     ConfigKeyType::kInteger,
     "1048576",
     "largest request body accepted (413 above)",
     {},
     1,
     1073741824},
    {"limits.max_batch",
     ConfigKeyType::kInteger,
     "10000",
     "most events in one batch (413 above)",
     {},
     1,
     kInt32Max},
    {"limits.max_event_names_per_app_per_day",
     ConfigKeyType::kInteger,
     "10000",
     "distinct event names an app may use per day (422 above)",
     {},
     1,
     kInt32Max},
    {"auth", ConfigKeyType::kSection, "", "API keys"},
    {"auth.required", ConfigKeyType::kBool, "true",
     "whether requests need a key; false only for local experiments"},
    {"auth.keys", ConfigKeyType::kKeyList, "[]", "the API keys"},
    {"auth.keys[].name",
     ConfigKeyType::kString,
     "",
     "shown in logs instead of the key; letters, digits, '.', '_', '-'",
     {},
     0,
     0,
     true},
    {"auth.keys[].key_sha256", ConfigKeyType::kString, "",
     "hex SHA-256 of the key (printf %s \"$KEY\" | sha256sum); or key_env"},
    {"auth.keys[].key_env", ConfigKeyType::kString, "",
     "name of an environment variable holding the key itself; or key_sha256"},
    {"auth.keys[].scopes", ConfigKeyType::kStringList, "",
     "what the key may do: ingest, read, admin, incidents", "ingest|read|admin|incidents", 0, 0,
     true},
    {"auth.keys[].apps",
     ConfigKeyType::kStringList,
     "",
     "the apps the key may touch, or [\"*\"] for all",
     {},
     0,
     0,
     true},
    {"s3", ConfigKeyType::kSection, "",
     "S3 for storage: s3 and for shipping (credentials only from the environment)"},
    {"s3.endpoint", ConfigKeyType::kString, "",
     "http:// or https:// URL of the S3 service; empty for AWS in s3.region"},
    {"s3.region", ConfigKeyType::kString, "us-east-1", "region used in request signatures"},
    {"s3.bucket", ConfigKeyType::kString, "", "bucket name (needed with storage: s3)"},
    {"s3.prefix", ConfigKeyType::kString, "", "prepended to every object name, e.g. \"itslog/\""},
    {"s3.path_style", ConfigKeyType::kBool, "false",
     "address the bucket in the path (most S3-compatible servers) rather than the host name"},
    {"s3.connect_timeout_ms",
     ConfigKeyType::kInteger,
     "5000",
     "how long to wait for a connection to S3",
     {},
     1,
     kInt32Max},
    {"s3.timeout_ms",
     ConfigKeyType::kInteger,
     "60000",
     "how long one S3 request may take",
     {},
     1,
     kInt32Max},
    {"s3.retries", ConfigKeyType::kInteger, "3", "retries of a failed S3 request", {}, 0, 100},
    {"ship", ConfigKeyType::kSection, "", "itslog ship: closed day files to S3"},
    {"ship.delete_local", ConfigKeyType::kBool, "true",
     "remove a day file once its upload has been verified"},
    {"ship.multipart_threshold_bytes",
     ConfigKeyType::kInteger,
     "67108864",
     "files at least this large are uploaded in parts (S3's minimum part is 5 MiB)",
     {},
     5242880,
     5368709120},
    {"archive", ConfigKeyType::kSection, "",
     "the cache of shipped day files fetched from S3 for reading"},
    {"archive.cache_dir", ConfigKeyType::kString, "",
     "where fetched day files are kept (an absolute path; default <data_dir>/archive)"},
    {"archive.cache_max_bytes",
     ConfigKeyType::kInteger,
     "1073741824",
     "the cache's size bound; least recently used files go first, never one being read",
     {},
     0,
     std::numeric_limits<int64_t>::max()},
    {"retention_days",
     ConfigKeyType::kInteger,
     "0",
     "itslog prune removes local day files older than this; 0 keeps them forever",
     {},
     0,
     kInt32Max},
    {"lock_timeout_ms",
     ConfigKeyType::kInteger,
     "5000",
     "how long a writer waits for the day file's lock before answering 503",
     {},
     1,
     kInt32Max},
    {"tail", ConfigKeyType::kSection, "", "GET /v1/tail"},
    {"tail.max_seconds",
     ConfigKeyType::kInteger,
     "300",
     "how long one GET /v1/tail may hold a worker",
     {},
     1,
     86400},
    {"host_id", ConfigKeyType::kString, "(the hostname, lower-cased)",
     "names this host's day files in meta.host, their seals and the bucket; "
     "[a-z0-9][a-z0-9.-]{0,62}, unique per host sharing a bucket"},
    {"log", ConfigKeyType::kChoice, "auto",
     "where the worker logs: stderr, syslog, or auto (syslog when stderr goes nowhere)",
     "auto|stderr|syslog"},
    {"alerts", ConfigKeyType::kSection, "", "itslog alerts: alert rules and notifications"},
    {"alerts.interval_seconds",
     ConfigKeyType::kInteger,
     "30",
     "how often every active rule is evaluated",
     {},
     1,
     86400},
    {"alerts.repeat_seconds",
     ConfigKeyType::kInteger,
     "14400",
     "repeat a firing alert's notification this often while it is not acknowledged",
     {},
     60,
     kInt32Max},
    {"alerts.retry_for_seconds",
     ConfigKeyType::kInteger,
     "86400",
     "how long a notification that fails is retried",
     {},
     1,
     kInt32Max},
    {"alerts.backoff_initial_ms",
     ConfigKeyType::kInteger,
     "5000",
     "delay before the first retry of a notification; doubled (with jitter) for each next one",
     {},
     100,
     3600000},
    {"alerts.timeout_ms",
     ConfigKeyType::kInteger,
     "10000",
     "how long one notification request may take (redirects are never followed)",
     {},
     100,
     600000},
    {"unique_scope", ConfigKeyType::kChoice, "host",
     "a unique event once per day per host, or once per day across every host of the bucket "
     "(bucket needs s3.bucket)",
     "host|bucket"},
};

// Keys that must not be in the file because they are secrets, and the variable to use instead.
struct EnvOnlyKey {
  std::string_view path;
  std::string_view variable;
};
inline constexpr EnvOnlyKey kEnvOnlyKeys[] = {
    {"s3.access_key_id", "ITSLOG_S3_ACCESS_KEY_ID"},
    {"s3.secret_access_key", "ITSLOG_S3_SECRET_ACCESS_KEY"},
    {"s3.session_token", "ITSLOG_S3_SESSION_TOKEN"},
};

// The environment variables read after the file, which take precedence over it.
struct ConfigEnvVar {
  std::string_view name;
  std::string_view description;
};
inline constexpr ConfigEnvVar kConfigEnvVars[] = {
    {"ITSLOG_CONFIG", "the config file, when --config is not given"},
    {"ITSLOG_DATA_DIR", "replaces data_dir"},
    {"ITSLOG_AUTH_REQUIRED", "replaces auth.required: true or false"},
    {"ITSLOG_KEY_<NAME>_SHA256",
     "replaces key_sha256 of the key named NAME (upper-cased, other characters than letters and "
     "digits as '_')"},
    {"ITSLOG_S3_ACCESS_KEY_ID", "S3 access key id (never in the file)"},
    {"ITSLOG_S3_SECRET_ACCESS_KEY", "S3 secret access key (never in the file)"},
    {"ITSLOG_S3_SESSION_TOKEN", "S3 session token, for temporary credentials"},
    {"ITSLOG_S3_ENDPOINT", "replaces s3.endpoint"},
    {"ITSLOG_HOST_ID", "replaces host_id"},
    {"ITSLOG_WEBHOOK_SECRET_<CHANNEL>",
     "read by itslog alerts: replaces the secret of the webhook channel with id CHANNEL "
     "(upper-cased, other characters than letters and digits as '_')"},
    {"ITSLOG_PAGERDUTY_ROUTING_KEY_<CHANNEL>",
     "read by itslog alerts: replaces the routing key of the PagerDuty channel with id CHANNEL"},
};

// Every known key, in the order above.
inline std::span<const ConfigKey> ConfigKeys() {
  return kConfigKeys;
}

// The key with this path ("limits.max_batch", "auth.keys[].name"), or nullptr.
const ConfigKey* FindConfigKey(std::string_view path);

// "string", "integer 1..10000", "normal | full", ... as the docs show a key's type.
std::string ConfigKeyTypeText(const ConfigKey& key);

// The keys and environment variables as Markdown tables, for docs/OPERATIONS.md and --help.
std::string ConfigKeysMarkdown();

}  // namespace itslog
