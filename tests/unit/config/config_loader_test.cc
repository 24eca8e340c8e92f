#include "config/config_loader.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <fstream>
#include <map>
#include <sstream>

#include "config/config_keys.h"
#include "core/host_id.h"
#include "lib/temp_dir.h"

namespace itslog {
namespace {

// printf %s test | sha256sum
constexpr char kTestHash[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
// printf %s other | sha256sum
constexpr char kOtherHash[] = "d9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa";

using Vars = std::map<std::string, std::string>;

GetVarFn VarsFn(const Vars& vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

struct Loaded {
  Result<Config> config = InvalidError("unset", "unset");
  std::vector<ConfigProblem> problems;
};

Loaded Load(std::string_view yaml, const Vars& vars = {}) {
  Loaded out;
  out.config = LoadConfigFromString(yaml, "t.yaml", VarsFn(vars), &out.problems);
  return out;
}

std::string Show(const std::vector<ConfigProblem>& problems) {
  std::string out;
  for (const ConfigProblem& p : problems) {
    out += "\n  " + FormatProblem("t.yaml", p);
  }
  return out;
}

// Every field, so that two configs can be compared in one assertion.
std::string Dump(const Config& c) {
  std::ostringstream o;
  o << c.data_dir << '|' << c.timezone << '|' << static_cast<int>(c.durability) << '|'
    << static_cast<int>(c.storage) << '|' << c.limits.max_body_bytes << '|' << c.limits.max_batch
    << '|' << c.limits.max_event_names_per_app_per_day << '|' << c.auth_required << '|'
    << c.keys.size() << '|' << c.s3.endpoint << '|' << c.s3.region << '|' << c.s3.bucket << '|'
    << c.s3.prefix << '|' << c.s3.path_style << '|' << c.s3.access_key_id << '|'
    << c.s3.secret_access_key << '|' << c.s3.session_token << '|' << c.s3.connect_timeout_ms << '|'
    << c.s3.timeout_ms << '|' << c.s3.retries << '|' << c.ship.delete_local << '|'
    << c.ship.multipart_threshold_bytes << '|' << c.retention_days << '|' << c.lock_timeout_ms
    << '|' << c.tail_max_seconds << '|' << static_cast<int>(c.log) << '|' << c.archive.cache_dir
    << '|' << c.archive.cache_max_bytes << '|' << c.alerts.interval_seconds << '|'
    << c.alerts.repeat_seconds << '|' << c.alerts.retry_for_seconds << '|'
    << c.alerts.backoff_initial_ms << '|' << c.alerts.timeout_ms << '|' << c.host_id << '|'
    << static_cast<int>(c.unique_scope);
  return o.str();
}

TEST(ConfigLoaderTest, MinimalConfigGetsEveryDefault) {
  Loaded l = Load("data_dir: /var/lib/itslog\n");
  ASSERT_TRUE(l.config.ok()) << l.config.status().ToString();
  EXPECT_TRUE(l.problems.empty());
  const Config& c = *l.config;
  EXPECT_EQ(c.source, "t.yaml");
  EXPECT_EQ(c.data_dir, "/var/lib/itslog");
  EXPECT_EQ(c.timezone, "UTC");
  EXPECT_EQ(c.durability, Durability::kNormal);
  EXPECT_EQ(c.storage, StorageKind::kSqlite);
  EXPECT_EQ(c.limits.max_body_bytes, 1048576);
  EXPECT_EQ(c.limits.max_batch, 10000);
  EXPECT_EQ(c.limits.max_event_names_per_app_per_day, 10000);
  EXPECT_TRUE(c.auth_required);
  EXPECT_TRUE(c.keys.empty());
  EXPECT_EQ(c.s3.endpoint, "");
  EXPECT_EQ(c.s3.region, "us-east-1");
  EXPECT_EQ(c.s3.bucket, "");
  EXPECT_EQ(c.s3.prefix, "");
  EXPECT_FALSE(c.s3.path_style);
  EXPECT_EQ(c.s3.access_key_id, "");
  EXPECT_EQ(c.s3.connect_timeout_ms, 5000);
  EXPECT_EQ(c.s3.timeout_ms, 60000);
  EXPECT_EQ(c.s3.retries, 3);
  EXPECT_TRUE(c.ship.delete_local);
  EXPECT_EQ(c.ship.multipart_threshold_bytes, 67108864);
  EXPECT_EQ(c.retention_days, 0);
  EXPECT_EQ(c.lock_timeout_ms, 5000);
  EXPECT_EQ(c.tail_max_seconds, 300);
  EXPECT_EQ(c.log, LogTarget::kAuto);
  EXPECT_EQ(c.alerts.interval_seconds, 30);
  EXPECT_EQ(c.alerts.repeat_seconds, 14400);
  EXPECT_EQ(c.alerts.retry_for_seconds, 86400);
}

// The table's defaults (shown by --help and the docs) are the struct's defaults: writing a key
// with its documented default changes nothing.
TEST(ConfigLoaderTest, TableDefaultsEqualStructDefaults) {
  Loaded base = Load("data_dir: /d\n");
  ASSERT_TRUE(base.config.ok());
  int checked = 0;
  for (const ConfigKey& key : ConfigKeys()) {
    std::string_view path = key.path;
    // host_id's default is computed (the hostname): HostIdDefaultsToTheHostname checks it.
    if (key.required || key.type == ConfigKeyType::kSection || path == "host_id" ||
        key.type == ConfigKeyType::kStringList || path.find("[]") != std::string_view::npos) {
      continue;
    }
    std::string value = key.default_value.empty() ? "\"\"" : std::string(key.default_value);
    std::string yaml = "data_dir: /d\n";
    if (size_t dot = path.find('.'); dot != std::string_view::npos) {
      yaml += std::string(path.substr(0, dot)) + ":\n  " + std::string(path.substr(dot + 1)) +
              ": " + value + "\n";
    } else {
      yaml += std::string(path) + ": " + value + "\n";
    }
    Loaded l = Load(yaml);
    ASSERT_TRUE(l.config.ok()) << yaml << Show(l.problems);
    EXPECT_EQ(Dump(*l.config), Dump(*base.config)) << yaml;
    ++checked;
  }
  EXPECT_EQ(checked, 30);
}

TEST(ConfigLoaderTest, ReadsEveryKey) {
  constexpr char kYaml[] = R"(# every key, none at its default
data_dir: /srv/itslog
timezone: UTC
durability: full
storage: s3
limits: {max_body_bytes: 2048, max_batch: 7, max_event_names_per_app_per_day: 9}
auth:
  required: false
  keys:
    - name: bb2-prod
      key_sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08
      scopes: [ingest, read]
      apps: [gov.hhs.cms.bb2, other_app]
    - name: ops
      key_env: OPS_KEY
      scopes: [admin]
      apps: ["*"]
s3:
  endpoint: http://127.0.0.1:9000
  region: eu-central-1
  bucket: its-log
  prefix: "itslog/"
  path_style: true
  connect_timeout_ms: 100
  timeout_ms: 200
  retries: 0
ship: {delete_local: false, multipart_threshold_bytes: 5242880}
retention_days: 30
lock_timeout_ms: 250
tail:
  max_seconds: 60
log: syslog
unique_scope: bucket
)";
  Loaded l = Load(kYaml, {{"OPS_KEY", "other"}});
  ASSERT_TRUE(l.config.ok()) << Show(l.problems);
  const Config& c = *l.config;
  EXPECT_EQ(c.data_dir, "/srv/itslog");
  EXPECT_EQ(c.durability, Durability::kFull);
  EXPECT_EQ(c.storage, StorageKind::kS3);
  EXPECT_EQ(c.limits.max_body_bytes, 2048);
  EXPECT_EQ(c.limits.max_batch, 7);
  EXPECT_EQ(c.limits.max_event_names_per_app_per_day, 9);
  EXPECT_FALSE(c.auth_required);
  ASSERT_EQ(c.keys.size(), 2u);
  EXPECT_EQ(c.keys[0].name, "bb2-prod");
  EXPECT_EQ(HexEncode(c.keys[0].sha256), kTestHash);
  EXPECT_EQ(c.keys[0].scopes, kScopeIngest | kScopeRead);
  EXPECT_FALSE(c.keys[0].all_apps);
  EXPECT_EQ(c.keys[0].apps, (std::vector<std::string>{"gov.hhs.cms.bb2", "other_app"}));
  EXPECT_EQ(c.keys[1].name, "ops");
  EXPECT_EQ(HexEncode(c.keys[1].sha256), kOtherHash);
  EXPECT_EQ(c.keys[1].scopes, kScopeAdmin);
  EXPECT_TRUE(c.keys[1].all_apps);
  EXPECT_TRUE(c.keys[1].apps.empty());
  EXPECT_EQ(c.s3.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(c.s3.region, "eu-central-1");
  EXPECT_EQ(c.s3.bucket, "its-log");
  EXPECT_EQ(c.s3.prefix, "itslog/");
  EXPECT_TRUE(c.s3.path_style);
  EXPECT_EQ(c.s3.connect_timeout_ms, 100);
  EXPECT_EQ(c.s3.timeout_ms, 200);
  EXPECT_EQ(c.s3.retries, 0);
  EXPECT_FALSE(c.ship.delete_local);
  EXPECT_EQ(c.ship.multipart_threshold_bytes, 5242880);
  EXPECT_EQ(c.retention_days, 30);
  EXPECT_EQ(c.lock_timeout_ms, 250);
  EXPECT_EQ(c.tail_max_seconds, 60);
  EXPECT_EQ(c.log, LogTarget::kSyslog);
  EXPECT_EQ(c.unique_scope, UniqueScope::kBucket);
}

TEST(ConfigLoaderTest, AcceptsOtherGoodShapes) {
  const char* const cases[] = {
      "data_dir: /d\nauth:\n  required: true\n  keys: []\n",  // required with no keys is fine
      "data_dir: /d\nauth:\n",                                // empty sections
      "data_dir: /d\nlimits:\ns3:\nship:\ntail:\nauth: {keys: }\n",
      "---\ndata_dir: /d\n...\n",
      "data_dir: /d\nlog: stderr\ndurability: normal\nstorage: sqlite\nauth: {required: False}\n",
      "data_dir: /d\nlimits: {max_body_bytes: 1073741824, max_batch: 2147483647}\n",
      "data_dir: /d\nship: {multipart_threshold_bytes: 5368709120}\ns3: {retries: 100}\n",
      "data_dir: /d\ns3: {endpoint: \"\", bucket: b, prefix: a/b~c_d.e-f/}\n",
      "data_dir: /d\nstorage: s3\ns3: {bucket: logs}\n",
      "data_dir: /d # a comment\n",
      "data_dir: '/d'\n",
  };
  for (const char* yaml : cases) {
    Loaded l = Load(yaml);
    EXPECT_TRUE(l.config.ok()) << yaml << Show(l.problems);
  }
}

struct BadCase {
  std::string yaml;
  int line;
  int column;
  std::string message;  // a substring of the one problem expected
};

// Four keys, valid; the cases below each break one thing.
const char kKeyHead[] = "data_dir: /d\nauth:\n  keys:\n";

TEST(ConfigLoaderTest, ReadsTheArchiveCache) {
  Loaded l = Load("data_dir: /d\narchive: {cache_dir: /c, cache_max_bytes: 0}\n");
  ASSERT_TRUE(l.config.ok()) << Show(l.problems);
  EXPECT_EQ(l.config->archive.cache_dir, "/c");
  EXPECT_EQ(l.config->archive.cache_max_bytes, 0);
  Loaded rel = Load("data_dir: /d\narchive:\n  cache_dir: cache\n");
  ASSERT_FALSE(rel.config.ok());
  ASSERT_EQ(rel.problems.size(), 1u);
  EXPECT_EQ(rel.problems[0].line, 3);
  EXPECT_NE(rel.problems[0].message.find("archive.cache_dir: expected an absolute path"),
            std::string::npos)
      << Show(rel.problems);
  Loaded neg = Load("data_dir: /d\narchive: {cache_max_bytes: -1}\n");
  EXPECT_FALSE(neg.config.ok());
}

TEST(ConfigLoaderTest, ReportsEachBadConfigAtItsPlace) {
  const std::string sha = std::string("key_sha256: ") + kTestHash;
  const BadCase cases[] = {
      // keys
      {"data_dir: /d\nfoo: 1\n", 2, 1, "unknown key \"foo\"; known keys: data_dir, timezone"},
      {"data_dir: /d\nlimits: {max_bodybytes: 5}\n", 2, 10,
       "unknown key \"max_bodybytes\" in limits; did you mean \"max_body_bytes\"?"},
      {"data_dir: /d\ntimezone: UTC\ndata_dir: /e\n", 3, 1,
       "duplicate key \"data_dir\" (first at line 1)"},
      {"data_dir: /d\nlimits:\n  max_batch: 1\n  max_batch: 2\n", 4, 3,
       "duplicate key \"limits.max_batch\" (first at line 3)"},
      {"data_dir: /d\n? [a]\n: b\n", 2, 3, "expected a key name, got a list"},
      {"data_dir: /d\n<<: {log: auto}\n", 2, 1, "unknown key \"<<\""},
      // required, types, shapes
      {"timezone: UTC\n", 1, 1, "data_dir is required"},
      {"", 1, 1, "data_dir is required"},
      {"# nothing but a comment\n", 1, 1, "data_dir is required"},
      {"data_dir:\n", 1, 1, "data_dir: no value given"},
      {"data_dir: var/lib\n", 1, 11, "data_dir: expected an absolute path, got \"var/lib\""},
      {"data_dir: [/d]\n", 1, 11, "data_dir: expected a string, got a list"},
      {"- data_dir: /d\n", 1, 1, "expected a map of keys such as"},
      {"data_dir: /d\n---\ndata_dir: /e\n", 2, 1, "only one yaml document is allowed"},
      {"data_dir: /d\nlimits: 5\n", 2, 9, "limits: expected a map of keys, got \"5\""},
      {"data_dir: /d\nlimits:\n  max_batch: 0\n", 3, 14,
       "limits.max_batch: \"0\" is out of range; expected 1..2147483647"},
      {"data_dir: /d\nlimits: {max_batch: -1}\n", 2, 21, "\"-1\" is out of range"},
      {"data_dir: /d\nlimits: {max_body_bytes: -5}\n", 2, 26, "\"-5\" is out of range"},
      {"data_dir: /d\nlimits: {max_body_bytes: 1073741825}\n", 2, 26, "out of range"},
      {"data_dir: /d\nlimits: {max_event_names_per_app_per_day: 0}\n", 2, 43, "out of range"},
      {"data_dir: /d\nlimits: {max_batch: 99999999999999999999}\n", 2, 21, "out of range"},
      {"data_dir: /d\nlimits: {max_batch: abc}\n", 2, 21,
       "limits.max_batch: expected an integer 1..2147483647, got \"abc\""},
      {"data_dir: /d\nlimits: {max_batch: 1.5}\n", 2, 21, "expected an integer"},
      {"data_dir: /d\nlimits: {max_batch: 0x10}\n", 2, 21, "expected an integer"},
      {"data_dir: /d\nlimits: {max_batch: \"10\"}\n", 2, 21,
       "expected an integer 1..2147483647, got the quoted string \"10\""},
      {"data_dir: /d\nlimits: {max_batch: [1]}\n", 2, 21, "expected an integer"},
      {"data_dir: /d\nretention_days: -1\n", 2, 17, "retention_days: \"-1\" is out of range"},
      {"data_dir: /d\nlock_timeout_ms: 0\n", 2, 18, "lock_timeout_ms: \"0\" is out of range"},
      {"data_dir: /d\ntail: {max_seconds: 0}\n", 2, 21, "tail.max_seconds: \"0\" is out of range"},
      {"data_dir: /d\ntail: {max_seconds: 86401}\n", 2, 21, "expected 1..86400"},
      {"data_dir: /d\nship: {multipart_threshold_bytes: 1000}\n", 2, 35, "expected 5242880.."},
      {"data_dir: /d\nship: {delete_local: yes}\n", 2, 22,
       "ship.delete_local: expected true or false, got \"yes\""},
      {"data_dir: /d\nauth: {required: \"true\"}\n", 2, 18, "got the quoted string \"true\""},
      {"data_dir: /d\ndurability: fast\n", 2, 13,
       "durability: expected normal or full, got \"fast\""},
      {"data_dir: /d\nstorage: s4\n", 2, 10, "storage: expected sqlite or s3, got \"s4\""},
      {"data_dir: /d\nlog: file\n", 2, 6, "log: expected auto, stderr or syslog, got \"file\""},
      {"data_dir: /d\nstorage: s3\n", 2, 10, "storage: s3 needs s3.bucket"},
      {"data_dir: /d\nstorage: s3\ns3: {bucket: \"\"}\n", 2, 10, "storage: s3 needs s3.bucket"},
      {"data_dir: /d\nstorage: s3\ns3: {bucket: \"a b\"}\n", 3, 14, "is not a bucket name"},
      {"data_dir: /d\nunique_scope: bucket\n", 2, 15, "unique_scope: bucket needs s3.bucket"},
      {"data_dir: /d\nunique_scope: world\n", 2, 15,
       "unique_scope: expected host or bucket, got \"world\""},
      {"data_dir: /d\ntimezone: Mars/Olympus_Mons\n", 2, 11, "unknown time zone"},
      {"data_dir: /d\ntimezone: ../etc/passwd\n", 2, 11, "unknown time zone"},
      // s3
      {"data_dir: /d\ns3:\n  access_key_id: AKIA\n", 3, 3,
       "s3.access_key_id: credentials must not be in the config file; set "
       "ITSLOG_S3_ACCESS_KEY_ID"},
      {"data_dir: /d\ns3: {secret_access_key: x}\n", 2, 6, "set ITSLOG_S3_SECRET_ACCESS_KEY"},
      {"data_dir: /d\ns3: {session_token: x}\n", 2, 6, "set ITSLOG_S3_SESSION_TOKEN"},
      {"data_dir: /d\ns3: {endpoint: ftp://host}\n", 2, 16,
       "s3.endpoint: expected an http:// or https:// URL"},
      {"data_dir: /d\ns3: {region: \"us east\"}\n", 2, 14, "s3.region: expected a region name"},
      {"data_dir: /d\ns3: {bucket: \"a/b\"}\n", 2, 14, "is not a bucket name"},
      {"data_dir: /d\ns3: {prefix: /abs/}\n", 2, 14, "is not a valid prefix"},
      {"data_dir: /d\ns3: {prefix: \"a b/\"}\n", 2, 14, "is not a valid prefix"},
      {"data_dir: /d\ns3: {path_style: 1}\n", 2, 18, "s3.path_style: expected true or false"},
      // keys
      {"data_dir: /d\nauth: {keys: {name: a}}\n", 2, 14, "auth.keys: expected a list of keys"},
      {"data_dir: /d\nauth: {keys: [x]}\n", 2, 15, "auth.keys[0]: expected a map with name"},
      {std::string(kKeyHead) + "    - name: a b\n      " + sha +
           "\n      scopes: [read]\n      apps: [x]\n",
       4, 13, "auth.keys[0].name: \"a b\" is not a valid key name"},
      {std::string(kKeyHead) + "    - " + sha + "\n      scopes: [read]\n      apps: [x]\n", 4, 7,
       "auth.keys[0]: name is required"},
      {std::string(kKeyHead) + "    - name: a\n      scopes: [read]\n      apps: [x]\n", 4, 7,
       "auth.keys[0]: key \"a\" needs key_sha256 or key_env (or ITSLOG_KEY_A_SHA256"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      key_env: K\n      scopes: [read]\n      apps: [x]\n",
       6, 7, "auth.keys[0]: give key_sha256 or key_env, not both"},
      {std::string(kKeyHead) + "    - name: a\n      key_sha256: 9f86d0\n" +
           "      scopes: [read]\n      apps: [x]\n",
       5, 19, "auth.keys[0].key_sha256: expected 64 hex digits (printf %s \"$KEY\" | sha256sum)"},
      {std::string(kKeyHead) + "    - name: a\n      key_sha256: " + std::string(63, 'a') + "g" +
           "\n      scopes: [read]\n      apps: [x]\n",
       5, 19, "expected 64 hex digits"},
      {std::string(kKeyHead) + "    - name: a\n      key_env: UNSET_VAR\n" +
           "      scopes: [read]\n      apps: [x]\n",
       5, 16, "auth.keys[0].key_env: environment variable UNSET_VAR is not set"},
      {std::string(kKeyHead) + "    - name: a\n      key_env: EMPTY_VAR\n" +
           "      scopes: [read]\n      apps: [x]\n",
       5, 16, "environment variable EMPTY_VAR is empty"},
      {std::string(kKeyHead) + "    - name: a\n      key_env: 1BAD\n" +
           "      scopes: [read]\n      apps: [x]\n",
       5, 16, "\"1BAD\" is not an environment variable name"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha + "\n      apps: [x]\n", 4, 7,
       "auth.keys[0]: scopes is required"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha + "\n      scopes: [read]\n", 4, 7,
       "auth.keys[0]: apps is required"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      scopes: [read, write]\n      apps: [x]\n",
       6, 22,
       "auth.keys[0].scopes[1]: unknown scope \"write\"; expected ingest, read, admin or "
       "incidents"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      scopes: [read, read]\n      apps: [x]\n",
       6, 22, "auth.keys[0].scopes[1]: scope read is listed twice"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      scopes: read\n      apps: [x]\n",
       6, 15, "auth.keys[0].scopes: expected a list such as [a, b], got \"read\""},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      scopes: []\n      apps: [x]\n",
       6, 15, "auth.keys[0].scopes: give at least one of ingest, read, admin"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      scopes: [read]\n      apps: []\n",
       7, 13, "auth.keys[0].apps: give at least one app"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      scopes: [read]\n      apps: [x, bad/app]\n",
       7, 17, "auth.keys[0].apps[1]: \"bad/app\" is not an app name"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      scopes: [read]\n      apps: [.x]\n",
       7, 14, "\".x\" is not an app name"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      scopes: [read]\n      apps: [x, \"*\"]\n",
       7, 17, "auth.keys[0].apps[1]: \"*\" (all apps) must be the only entry"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      scopes: [read]\n      apps: [x, x]\n",
       7, 17, "auth.keys[0].apps[1]: app \"x\" is listed twice"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      scopes: [read]\n      apps: [[x]]\n",
       7, 14, "auth.keys[0].apps[0]: expected a string, got a list"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      scopes: [read]\n      apps: [x]\n      app: [y]\n",
       8, 7, "unknown key \"app\" in auth.keys[0]; did you mean \"apps\"?"},
      {std::string(kKeyHead) + "    - {name: a, key_sha256: " + kTestHash +
           ", scopes: [read], apps: [x]}\n    - {name: a, key_sha256: " + kOtherHash +
           ", scopes: [read], apps: [x]}\n",
       5, 14, "auth.keys[1].name: duplicate key name \"a\" (first at line 4)"},
      {std::string(kKeyHead) + "    - {name: bb2-prod, key_sha256: " + kTestHash +
           ", scopes: [read], apps: [x]}\n    - {name: bb2_prod, key_sha256: " + kOtherHash +
           ", scopes: [read], apps: [x]}\n",
       5, 14,
       "auth.keys[1].name: keys \"bb2-prod\" and \"bb2_prod\" would share the variable "
       "ITSLOG_KEY_BB2_PROD_SHA256"},
      {std::string(kKeyHead) + "    - {name: a, key_sha256: " + kTestHash +
           ", scopes: [read], apps: [x]}\n    - {name: b, key_env: TEST_KEY" +
           ", scopes: [read], apps: [x]}\n",
       5, 7, "auth.keys[1]: key \"b\" has the same hash as key \"a\""},
      // syntax
      {"data_dir: [/d\n", 2, 1, "yaml syntax error: end of sequence flow not found"},
      {"data_dir: /d\nauth: a: b\n", 2, 8, "yaml syntax error: illegal map value"},
      {"data_dir: /d\n  timezone: UTC\n", 2, 11, "yaml syntax error"},
      // yaml-cpp itself would take the rest of the file into the string
      {"data_dir: \"/d\ntimezone: UTC\n", 1, 11,
       "yaml syntax error: end of double-quoted string not found"},
      {std::string(kKeyHead) + "    - name: a\n      " + sha +
           "\n      scopes: [read]\n      apps:\n        - \"x\n",
       8, 11, "yaml syntax error: end of double-quoted string not found"},
      {"\"data_dir: /d\n", 1, 1, "end of double-quoted string not found"},
      {"data_dir: \"/d\\\"\n", 1, 11, "end of double-quoted string not found"},
      {"data_dir: /d\nx: *nowhere\n", 2, 4, "yaml syntax error"},
      // yaml-cpp alone would loop forever on these, or end a scalar at the NUL
      {",data_dir: /d\n", 1, 1, "yaml syntax error: unexpected \",\""},
      {"data_dir: /d\n...\n,\n", 3, 1, "yaml syntax error: unexpected \",\""},
      {std::string("data_dir: /d\0/e\n", 17), 1, 13,
       "yaml syntax error: control character 0x00 is not allowed"},
      {"data_dir: /d\ntimezone: U\x1bTC\n", 2, 12, "control character 0x1b"},
      // aliases can make a node its own child (the loader never walks into it); an alias has
      // the place of its anchor
      {"data_dir: /d\nlimits: &a {max_batch: *a}\n", 2, 9,
       "limits.max_batch: expected an integer 1..2147483647, got a map"},
  };
  const Vars vars = {{"EMPTY_VAR", ""}, {"TEST_KEY", "test"}};
  for (const BadCase& c : cases) {
    Loaded l = Load(c.yaml, vars);
    EXPECT_FALSE(l.config.ok()) << c.yaml;
    ASSERT_EQ(l.problems.size(), 1u) << c.yaml << Show(l.problems);
    const ConfigProblem& p = l.problems[0];
    EXPECT_EQ(p.line, c.line) << c.yaml << Show(l.problems);
    EXPECT_EQ(p.column, c.column) << c.yaml << Show(l.problems);
    EXPECT_NE(p.message.find(c.message), std::string::npos) << c.yaml << Show(l.problems);
    EXPECT_EQ(l.config.status().code(), Code::kInvalid);
    EXPECT_EQ(l.config.status().reason(), "invalid_config");
    EXPECT_EQ(l.config.status().message(), FormatProblem("t.yaml", p));
  }
}

TEST(ConfigLoaderTest, CollectsEveryProblemInFileOrder) {
  Loaded l = Load(
      "limits:\n"
      "  max_batch: 0\n"
      "  max_body_bytes: x\n"
      "bogus: 1\n"
      "durability: fast\n"
      "limits: {}\n",
      {{"ITSLOG_AUTH_REQUIRED", "maybe"}});
  ASSERT_FALSE(l.config.ok());
  ASSERT_EQ(l.problems.size(), 7u) << Show(l.problems);
  const struct {
    int line, column;
    const char* message;
  } want[] = {
      {1, 1, "data_dir is required"},
      {2, 14, "limits.max_batch"},
      {3, 19, "limits.max_body_bytes"},
      {4, 1, "unknown key \"bogus\""},
      {5, 13, "durability"},
      {6, 1, "duplicate key \"limits\""},
      {0, 0, "ITSLOG_AUTH_REQUIRED: expected true or false, got \"maybe\""},
  };
  for (size_t i = 0; i < l.problems.size(); ++i) {
    EXPECT_EQ(l.problems[i].line, want[i].line) << i << Show(l.problems);
    EXPECT_EQ(l.problems[i].column, want[i].column) << i << Show(l.problems);
    EXPECT_NE(l.problems[i].message.find(want[i].message), std::string::npos)
        << i << Show(l.problems);
  }
  EXPECT_EQ(l.config.status().message(),
            "t.yaml:1:1: data_dir is required (the directory of "
            "the day files)");
}

TEST(ConfigLoaderTest, NullProblemsPointerStillFails) {
  Result<Config> r = LoadConfigFromString("data_dir: x\n", "f.yaml", nullptr, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "f.yaml:1:11: data_dir: expected an absolute path, got \"x\"");
}

// A raw key pasted where its hash belongs must not end up in a message (they are logged).
TEST(ConfigLoaderTest, NeverEchoesKeyMaterial) {
  const std::string secret = "sk_live_0123456789abcdef";
  Loaded l = Load(std::string(kKeyHead) + "    - {name: a, key_sha256: " + secret +
                      ", scopes: [read], apps: [x]}\n",
                  {{"ITSLOG_KEY_A_SHA256", "another-raw-secret"}});
  ASSERT_EQ(l.problems.size(), 2u) << Show(l.problems);
  for (const ConfigProblem& p : l.problems) {
    EXPECT_EQ(p.message.find("sk_live"), std::string::npos) << p.message;
    EXPECT_EQ(p.message.find("raw-secret"), std::string::npos) << p.message;
  }
  EXPECT_EQ(l.problems[1].line, 0);
  EXPECT_NE(l.problems[1].message.find("ITSLOG_KEY_A_SHA256: expected 64 hex digits"),
            std::string::npos);
}

TEST(ConfigLoaderTest, KeyEnvIsHashedAtLoad) {
  Loaded l = Load(std::string(kKeyHead) +
                      "    - {name: bb2-prod, key_env: ITSLOG_KEY_BB2_PROD, scopes: [ingest], "
                      "apps: [gov.hhs.cms.bb2]}\n",
                  {{"ITSLOG_KEY_BB2_PROD", "test"}});
  ASSERT_TRUE(l.config.ok()) << Show(l.problems);
  ASSERT_EQ(l.config->keys.size(), 1u);
  EXPECT_EQ(HexEncode(l.config->keys[0].sha256), kTestHash);
  EXPECT_EQ(l.config->keys[0].scopes, kScopeIngest);
}

TEST(ConfigLoaderTest, KeyOverrideVariableNames) {
  EXPECT_EQ(KeyOverrideVariable("bb2-prod"), "ITSLOG_KEY_BB2_PROD_SHA256");
  EXPECT_EQ(KeyOverrideVariable("a.b_C9"), "ITSLOG_KEY_A_B_C9_SHA256");
}

TEST(ConfigLoaderTest, EnvironmentOverridesTheFile) {
  const std::string file = std::string("data_dir: /from/file\n") +
                           "auth:\n  required: true\n  keys:\n"
                           "    - {name: bb2-prod, key_sha256: " +
                           kTestHash +
                           ", scopes: [read], apps: [x]}\n"
                           "    - {name: ops, scopes: [admin], apps: [\"*\"]}\n"
                           "s3: {endpoint: \"https://s3.example\"}\n";
  Loaded l = Load(file, {
                            {"ITSLOG_DATA_DIR", "/from/env"},
                            {"ITSLOG_AUTH_REQUIRED", "false"},
                            {"ITSLOG_KEY_BB2_PROD_SHA256", kOtherHash},
                            {"ITSLOG_KEY_OPS_SHA256", kTestHash},
                            {"ITSLOG_S3_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                            {"ITSLOG_S3_SECRET_ACCESS_KEY", "wJalrXUtnFEMI"},
                            {"ITSLOG_S3_SESSION_TOKEN", "tok"},
                            {"ITSLOG_S3_ENDPOINT", "http://127.0.0.1:4568"},
                        });
  ASSERT_TRUE(l.config.ok()) << Show(l.problems);
  const Config& c = *l.config;
  EXPECT_EQ(c.data_dir, "/from/env");
  EXPECT_FALSE(c.auth_required);
  ASSERT_EQ(c.keys.size(), 2u);
  EXPECT_EQ(HexEncode(c.keys[0].sha256), kOtherHash);
  // A key may have no hash in the file when its variable gives one.
  EXPECT_EQ(HexEncode(c.keys[1].sha256), kTestHash);
  EXPECT_EQ(c.s3.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(c.s3.secret_access_key, "wJalrXUtnFEMI");
  EXPECT_EQ(c.s3.session_token, "tok");
  EXPECT_EQ(c.s3.endpoint, "http://127.0.0.1:4568");
}

TEST(ConfigLoaderTest, DataDirMayComeFromTheEnvironmentOnly) {
  Loaded l = Load("timezone: UTC\n", {{"ITSLOG_DATA_DIR", "/env"}});
  ASSERT_TRUE(l.config.ok()) << Show(l.problems);
  EXPECT_EQ(l.config->data_dir, "/env");
}

TEST(ConfigLoaderTest, EmptyOverrideCountsAsUnset) {
  Loaded l = Load("data_dir: /d\n", {{"ITSLOG_DATA_DIR", ""},
                                     {"ITSLOG_AUTH_REQUIRED", ""},
                                     {"ITSLOG_S3_SESSION_TOKEN", ""},
                                     {"ITSLOG_S3_ENDPOINT", ""}});
  ASSERT_TRUE(l.config.ok()) << Show(l.problems);
  EXPECT_EQ(l.config->data_dir, "/d");
  EXPECT_TRUE(l.config->auth_required);
  EXPECT_EQ(l.config->s3.endpoint, "");
}

TEST(ConfigLoaderTest, RejectsBadOverridesWithoutAPlace) {
  const struct {
    Vars vars;
    std::string message;
  } cases[] = {
      {{{"ITSLOG_DATA_DIR", "relative"}}, "ITSLOG_DATA_DIR: expected an absolute path"},
      {{{"ITSLOG_AUTH_REQUIRED", "1"}}, "ITSLOG_AUTH_REQUIRED: expected true or false, got \"1\""},
      {{{"ITSLOG_S3_ENDPOINT", "s3.example"}}, "ITSLOG_S3_ENDPOINT: expected an http://"},
      {{{"ITSLOG_S3_ACCESS_KEY_ID", "a"}},
       "ITSLOG_S3_ACCESS_KEY_ID is set but ITSLOG_S3_SECRET_ACCESS_KEY is not"},
      {{{"ITSLOG_S3_SECRET_ACCESS_KEY", "a"}},
       "ITSLOG_S3_SECRET_ACCESS_KEY is set but ITSLOG_S3_ACCESS_KEY_ID is not"},
      {{{"ITSLOG_S3_SESSION_TOKEN", "a"}}, "ITSLOG_S3_SESSION_TOKEN is set but"},
      {{{"ITSLOG_KEY_K_SHA256", "abc"}}, "ITSLOG_KEY_K_SHA256: expected 64 hex digits"},
  };
  const std::string file = std::string(kKeyHead) + "    - {name: k, key_sha256: " + kTestHash +
                           ", scopes: [read], apps: [x]}\n";
  for (const auto& c : cases) {
    Loaded l = Load(file, c.vars);
    EXPECT_FALSE(l.config.ok());
    ASSERT_EQ(l.problems.size(), 1u) << c.message << Show(l.problems);
    EXPECT_EQ(l.problems[0].line, 0);
    EXPECT_EQ(l.problems[0].column, 0);
    EXPECT_NE(l.problems[0].message.find(c.message), std::string::npos) << Show(l.problems);
    EXPECT_EQ(l.config.status().message(), "t.yaml: " + l.problems[0].message);
  }
}

TEST(ConfigLoaderTest, LoadsAnIanaTimeZone) {
  // TimeZone::Load sets TZ for the process; put it back for the tests that follow.
  const char* old = getenv("TZ");
  std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  Loaded l = Load("data_dir: /d\ntimezone: Europe/Berlin\n");
  if (saved) {
    setenv("TZ", saved->c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
  ASSERT_TRUE(l.config.ok()) << Show(l.problems);
  EXPECT_EQ(l.config->timezone, "Europe/Berlin");
}

TEST(ConfigLoaderTest, SurvivesHostileInput) {
  const std::string cases[] = {
      std::string(100000, '['),
      std::string(5000, '{') + "a: b",
      "data_dir: /d\nlimits: &a [*a, *a]\n",
      "&a [*a]",
      std::string("data_dir: /d\0\n", 14),
      "\xff\xfe\x00\x00",
      "data_dir: !!binary aGVsbG8=\n",
      "!<tag:yaml.org,2002:map> {data_dir: /d}\n",
  };
  for (const std::string& yaml : cases) {
    Loaded l = Load(yaml);
    if (!l.config.ok()) {
      EXPECT_FALSE(l.problems.empty());
    }
  }
}

TEST(ConfigLoaderTest, FormatsProblems) {
  EXPECT_EQ(FormatProblem("a.yaml", {3, 7, "bad"}), "a.yaml:3:7: bad");
  EXPECT_EQ(FormatProblem("a.yaml", {0, 0, "bad"}), "a.yaml: bad");
}

TEST(ConfigLoaderTest, ResolvesTheConfigPath) {
  EXPECT_EQ(ResolveConfigPath("/flag.yaml", VarsFn({{"ITSLOG_CONFIG", "/env.yaml"}})),
            "/flag.yaml");
  EXPECT_EQ(ResolveConfigPath(std::nullopt, VarsFn({{"ITSLOG_CONFIG", "/env.yaml"}})), "/env.yaml");
  EXPECT_EQ(ResolveConfigPath(std::nullopt, VarsFn({})), "/etc/itslog/itslog.yaml");
  EXPECT_EQ(ResolveConfigPath(std::nullopt, nullptr), "/etc/itslog/itslog.yaml");
}

TEST(ConfigLoaderTest, LoadsAFile) {
  TempDir dir;
  std::string path = dir.path() + "/itslog.yaml";
  std::ofstream(path) << "data_dir: /d\nlog: stderr\n";
  std::vector<ConfigProblem> problems;
  Result<Config> r = LoadConfigFile(path, VarsFn({}), &problems);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source, path);
  EXPECT_EQ(r->log, LogTarget::kStderr);

  std::ofstream(path) << "data_dir: /d\nlog: nowhere\n";
  r = LoadConfigFile(path, VarsFn({}), &problems);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "invalid_config");
  EXPECT_EQ(r.status().message(),
            path + ":2:6: log: expected auto, stderr or syslog, got \"nowhere\"");
  ASSERT_EQ(problems.size(), 1u);
}

TEST(ConfigLoaderTest, MissingOrUnreadableFileIsConfigUnreadable) {
  TempDir dir;
  std::vector<ConfigProblem> problems;
  for (const std::string& path : {dir.path() + "/missing.yaml", dir.path()}) {
    Result<Config> r = LoadConfigFile(path, VarsFn({}), &problems);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().code(), Code::kInvalid);
    EXPECT_EQ(r.status().reason(), "config_unreadable");
    EXPECT_EQ(r.status().message().rfind(path + ": cannot ", 0), 0u) << r.status().message();
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].line, 0);
  }
}

// The example config shipped in etc/ loads as it is (tests run from the repository root).
TEST(ConfigLoaderTest, ExampleConfigLoads) {
  std::vector<ConfigProblem> problems;
  Result<Config> r = LoadConfigFile("etc/itslog.yaml", VarsFn({}), &problems);
  ASSERT_TRUE(r.ok()) << r.status().ToString() << Show(problems);
  EXPECT_EQ(r->data_dir, "/var/lib/itslog");
  EXPECT_EQ(Dump(*r), Dump(*Load("data_dir: /var/lib/itslog\n").config))
      << "the example shows the defaults";
}

// Uncommenting the example key in etc/itslog.yaml gives a config whose only problem is the
// placeholder where the hash goes.
TEST(ConfigLoaderTest, ExampleKeyNeedsOnlyItsHash) {
  std::ifstream in("etc/itslog.yaml");
  ASSERT_TRUE(in.good()) << "run from the repository root";
  std::string out;
  std::string line;
  bool in_block = false;
  int hash_line = 0;
  int n = 0;
  while (std::getline(in, line)) {
    if (line == "  keys: []") {
      continue;  // replaced by the example
    }
    if (line == "  # keys:") {
      in_block = true;
    } else if (in_block && line.rfind("  # ", 0) != 0) {
      in_block = false;
    }
    if (in_block) {
      line = "  " + line.substr(4);
    }
    ++n;
    if (line.find("key_sha256:") != std::string::npos && in_block) {
      hash_line = n;
    }
    out += line + "\n";
  }
  ASSERT_GT(hash_line, 0);
  Loaded l = Load(out);
  ASSERT_EQ(l.problems.size(), 1u) << out << Show(l.problems);
  EXPECT_EQ(l.problems[0].line, hash_line);
  EXPECT_NE(l.problems[0].message.find("auth.keys[0].key_sha256: expected 64 hex digits"),
            std::string::npos);
}

TEST(ConfigLoaderTest, HostIdDefaultsToTheHostname) {
  std::string host = DefaultHostId();
  Loaded l = Load("data_dir: /d\n");
  if (!IsValidHostId(host)) {  // a machine whose hostname cannot name a host: a clear error
    ASSERT_FALSE(l.config.ok());
    EXPECT_NE(l.config.status().message().find("set host_id"), std::string::npos);
    GTEST_SKIP() << "this machine's hostname " << host << " is not a valid host_id";
  }
  ASSERT_TRUE(l.config.ok()) << Show(l.problems);
  EXPECT_EQ(l.config->host_id, host);
  for (char c : l.config->host_id) {
    EXPECT_FALSE(c >= 'A' && c <= 'Z') << l.config->host_id;
  }
}

TEST(ConfigLoaderTest, HostIdFromTheFileAndTheEnvironment) {
  Loaded l = Load("data_dir: /d\nhost_id: vm-a.example\n");
  ASSERT_TRUE(l.config.ok()) << Show(l.problems);
  EXPECT_EQ(l.config->host_id, "vm-a.example");
  l = Load("data_dir: /d\nhost_id: vm-a\n", {{"ITSLOG_HOST_ID", "vm-b"}});
  ASSERT_TRUE(l.config.ok()) << Show(l.problems);
  EXPECT_EQ(l.config->host_id, "vm-b");
  l = Load("data_dir: /d\nhost_id: 0\n");  // a number is still a name
  ASSERT_TRUE(l.config.ok()) << Show(l.problems);
  EXPECT_EQ(l.config->host_id, "0");
  l = Load("data_dir: /d\nhost_id: " + std::string(63, 'a') + "\n");
  ASSERT_TRUE(l.config.ok()) << Show(l.problems);
}

TEST(ConfigLoaderTest, InvalidHostIdsAreRefusedNamingTheKey) {
  const std::string bad[] = {"VM-A", "-vm",  ".vm",     "vm_a",
                             "vm/a", "vm a", "vm\\x00", std::string(64, 'a'),
                             "\"\"", "[a]",  "{a: b}"};
  for (const std::string& v : bad) {
    Loaded l = Load("data_dir: /d\nhost_id: " + v + "\n");
    ASSERT_FALSE(l.config.ok()) << v;
    ASSERT_EQ(l.problems.size(), 1u) << v << Show(l.problems);
    EXPECT_EQ(l.problems[0].line, 2) << v;
    EXPECT_EQ(l.problems[0].message.rfind("host_id: ", 0), 0u) << l.problems[0].message;
  }
  Loaded l = Load("data_dir: /d\n", {{"ITSLOG_HOST_ID", "Not Valid"}});
  ASSERT_FALSE(l.config.ok());
  ASSERT_EQ(l.problems.size(), 1u) << Show(l.problems);
  EXPECT_NE(l.problems[0].message.find("ITSLOG_HOST_ID: \"Not Valid\" is not a valid host_id"),
            std::string::npos)
      << l.problems[0].message;
}

TEST(HostIdTest, ValidatesTheContractsPattern) {
  EXPECT_TRUE(IsValidHostId("a"));
  EXPECT_TRUE(IsValidHostId("0"));
  EXPECT_TRUE(IsValidHostId("vm-a.example.org"));
  EXPECT_TRUE(IsValidHostId("a-"));
  EXPECT_TRUE(IsValidHostId(std::string(63, 'z')));
  EXPECT_FALSE(IsValidHostId(""));
  EXPECT_FALSE(IsValidHostId(std::string(64, 'z')));
  EXPECT_FALSE(IsValidHostId("-a"));
  EXPECT_FALSE(IsValidHostId(".a"));
  EXPECT_FALSE(IsValidHostId("A"));
  EXPECT_FALSE(IsValidHostId("a_b"));
  EXPECT_FALSE(IsValidHostId("a/b"));
  EXPECT_FALSE(IsValidHostId(".."));
  EXPECT_FALSE(IsValidHostId(std::string("a\0b", 3)));
  EXPECT_FALSE(IsValidHostId("\xc3\xa9"));
}

TEST(ConfigKeysTest, MarkdownListsEveryKeyAndVariable) {
  std::string md = ConfigKeysMarkdown();
  for (const ConfigKey& key : ConfigKeys()) {
    EXPECT_NE(md.find("| `" + std::string(key.path) + "` |"), std::string::npos) << key.path;
  }
  for (const ConfigEnvVar& var : kConfigEnvVars) {
    EXPECT_NE(md.find("| `" + std::string(var.name) + "` |"), std::string::npos) << var.name;
  }
  EXPECT_NE(md.find("| `limits.max_batch` | integer 1..2147483647 | `10000` |"), std::string::npos);
  EXPECT_NE(md.find("| `durability` | normal \\| full | `normal` |"), std::string::npos);
  EXPECT_NE(md.find("| `data_dir` | string | `(required)` |"), std::string::npos);
  EXPECT_NE(md.find("set `ITSLOG_S3_ACCESS_KEY_ID` instead"), std::string::npos);
}

TEST(ConfigKeysTest, FindsKeysByPath) {
  ASSERT_NE(FindConfigKey("auth.keys[].scopes"), nullptr);
  EXPECT_EQ(FindConfigKey("auth.keys[].scopes")->type, ConfigKeyType::kStringList);
  EXPECT_EQ(FindConfigKey("limits"), FindConfigKey("limits"));
  EXPECT_EQ(FindConfigKey("nope"), nullptr);
}

}  // namespace
}  // namespace itslog
