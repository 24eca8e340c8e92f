// libFuzzer target for the config loader: the input is the YAML text. Besides crashes, hangs
// and sanitizer reports (and any exception, which must never leave the loader), it checks the
// loader's promises: OK exactly when no problem was found, the status message is the first
// problem, places are 1-based and inside the text, messages are lower-case, and what is
// accepted lies within the documented ranges.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_keys.h"
#include "config/config_loader.h"

namespace itslog {
namespace {

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "config_fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

std::optional<std::string> FixedEnv(const std::string& name) {
  // Lets key_env and the overrides be reached without depending on the real environment.
  if (name == "TEST_KEY") {
    return "test";
  }
  if (name == "EMPTY") {
    return "";
  }
  return std::nullopt;
}

bool InRange(const char* path, int64_t v) {
  const ConfigKey* key = FindConfigKey(path);
  return key != nullptr && v >= key->min && v <= key->max;
}

void Check(std::string_view yaml) {
  std::vector<ConfigProblem> problems;
  Result<Config> r = LoadConfigFromString(yaml, "f.yaml", FixedEnv, &problems);
  Require(r.ok() == problems.empty(), "ok exactly when there is no problem");
  int lines = 1;
  for (char c : yaml) {
    lines += c == '\n' || c == '\r' ? 1 : 0;
  }
  for (const ConfigProblem& p : problems) {
    Require(p.line >= 0 && p.line <= lines + 1, "line inside the text");
    Require((p.line == 0) == (p.column == 0), "a place has a line and a column");
    Require(p.column >= 0, "column not negative");
    Require(!p.message.empty(), "message not empty");
    Require(!(p.message[0] >= 'A' && p.message[0] <= 'Z') || p.message.rfind("ITSLOG_", 0) == 0,
            "message is lower-case");
  }
  if (!r.ok()) {
    Require(r.status().code() == Code::kInvalid, "code kInvalid");
    Require(r.status().reason() == "invalid_config", "reason invalid_config");
    Require(r.status().message() == FormatProblem("f.yaml", problems.front()),
            "message is the first problem");
    // The same text gives the same answer.
    std::vector<ConfigProblem> again;
    Result<Config> r2 = LoadConfigFromString(yaml, "f.yaml", FixedEnv, &again);
    Require(!r2.ok() && again.size() == problems.size(), "deterministic");
    for (size_t i = 0; i < again.size(); ++i) {
      Require(again[i].line == problems[i].line && again[i].column == problems[i].column &&
                  again[i].message == problems[i].message,
              "deterministic problems");
    }
    return;
  }
  const Config& c = *r;
  Require(c.source == "f.yaml", "source is the file name");
  Require(!c.data_dir.empty() && c.data_dir[0] == '/', "data_dir absolute");
  Require(InRange("limits.max_body_bytes", c.limits.max_body_bytes), "max_body_bytes in range");
  Require(InRange("limits.max_batch", c.limits.max_batch), "max_batch in range");
  Require(
      InRange("limits.max_event_names_per_app_per_day", c.limits.max_event_names_per_app_per_day),
      "max_event_names in range");
  Require(InRange("s3.connect_timeout_ms", c.s3.connect_timeout_ms), "connect timeout in range");
  Require(InRange("s3.timeout_ms", c.s3.timeout_ms), "timeout in range");
  Require(InRange("s3.retries", c.s3.retries), "retries in range");
  Require(InRange("ship.multipart_threshold_bytes", c.ship.multipart_threshold_bytes),
          "multipart threshold in range");
  Require(InRange("retention_days", c.retention_days), "retention in range");
  Require(InRange("lock_timeout_ms", c.lock_timeout_ms), "lock timeout in range");
  Require(InRange("tail.max_seconds", c.tail_max_seconds), "tail seconds in range");
  Require(c.storage != StorageKind::kS3 || !c.s3.bucket.empty(), "s3 storage has a bucket");
  Require(c.s3.access_key_id.empty(), "no credentials from the file");
  for (size_t i = 0; i < c.keys.size(); ++i) {
    const ApiKey& k = c.keys[i];
    Require(!k.name.empty(), "key has a name");
    Require(k.scopes != 0 && (k.scopes & ~7u) == 0, "key has known scopes");
    Require(k.all_apps != !k.apps.empty(), "key has apps or all apps");
    for (size_t j = 0; j < i; ++j) {
      Require(c.keys[j].name != k.name, "key names unique");
      Require(c.keys[j].sha256 != k.sha256, "key hashes unique");
    }
  }
}

}  // namespace
}  // namespace itslog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  itslog::Check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
