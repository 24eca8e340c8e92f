// Loads a Config from YAML text, checks every key and value, and applies ITSLOG_* overrides.
// Reports problems as "file:line:column: message" (1-based), as `itslog check-config` prints.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/result.h"

namespace itslog {

struct ConfigProblem {
  int line = 0;    // 1-based; 0 when not tied to a place in the file (e.g. an env variable)
  int column = 0;  // 1-based
  std::string message;
};

// Reads an environment variable; nullopt when unset.
using GetVarFn = std::function<std::optional<std::string>(const std::string&)>;

// Parses and validates YAML text. On success returns the Config (problems is empty). On any
// problem returns kInvalid (reason "invalid_config") whose message is the first problem as
// "file:line:column: message", and fills *problems with all of them (if problems != nullptr).
// Never throws.
Result<Config> LoadConfigFromString(std::string_view yaml, const std::string& filename,
                                    const GetVarFn& get_var, std::vector<ConfigProblem>* problems);

// Reads the file, then as LoadConfigFromString. A missing or unreadable file is kInvalid with
// reason "config_unreadable".
Result<Config> LoadConfigFile(const std::string& path, const GetVarFn& get_var,
                              std::vector<ConfigProblem>* problems);

// The path to use: --config if given, else $ITSLOG_CONFIG, else /etc/itslog/itslog.yaml.
std::string ResolveConfigPath(const std::optional<std::string>& flag, const GetVarFn& get_var);

// "file:line:column: message" (or "file: message" when line is 0).
std::string FormatProblem(const std::string& filename, const ConfigProblem& p);

// The variable whose value replaces a key's key_sha256: "ITSLOG_KEY_" + the name upper-cased
// with every character but letters and digits as '_' + "_SHA256" ("bb2-prod" ->
// "ITSLOG_KEY_BB2_PROD_SHA256").
std::string KeyOverrideVariable(std::string_view key_name);

}  // namespace itslog
