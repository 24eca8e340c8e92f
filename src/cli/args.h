// A small parser for "--name value", "--name=value" and boolean "--flag" options, and
// positional arguments, shared by the subcommands.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"

namespace itslog {

struct ParsedArgs {
  std::map<std::string, std::string> values;  // "--config" -> "x.yaml"
  std::set<std::string> flags;                // "-f", "--json"
  std::vector<std::string> positional;

  std::optional<std::string> Get(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  bool Has(const std::string& flag) const { return flags.count(flag) != 0; }
};

// with_value: options that take a value; flags: options that don't. Anything else starting
// with '-' is an error (kInvalid "unknown_option"), as is a missing value.
Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                             const std::set<std::string>& with_value,
                             const std::set<std::string>& flags);

}  // namespace itslog
