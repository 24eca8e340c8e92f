// Reads a command's usage line ("itslog tail [-f|--follow] [-n N] [--config PATH]") as the
// command table writes it, for the man page and the shell completion.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace itslog {

struct UsageOption {
  std::string name;   // "--config", "-n"
  std::string value;  // what follows it: "PATH", "N", "jsonl|csv"; empty for a flag
};

struct Usage {
  std::vector<UsageOption> options;     // in the order of the usage line
  std::vector<std::string> positional;  // "FILE|DAY...", "[DAY|FILE]", "DAY"
};

// Splits "itslog <command> <arguments>" into its options and positional arguments. Brackets
// mark optional parts; "-f|--follow" names one flag twice; "(4)" after a value is its default
// and is dropped.
Usage ParseUsage(std::string_view usage);

}  // namespace itslog
