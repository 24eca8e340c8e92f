// The command line: `itslog <command> [options]` (docs/OPERATIONS.md). Exit codes: 0 success,
// 1 the work failed, 2 bad usage or config.
#pragma once

#include <string_view>
#include <vector>

#include "core/env.h"

namespace itslog {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Runs the command named by argv[1]. Never throws.
int RunCli(int argc, char** argv, Env* env);

// A row of the command table as `itslog --help` shows it; the man page and the shell
// completion are generated from these (src/docgen/).
struct CommandHelp {
  std::string_view name;     // "verify"
  std::string_view usage;    // "itslog verify FILE|DAY... [--seal SEAL] [--config PATH]"
  std::string_view summary;  // one line
};

// Every subcommand, in the order of `itslog --help`.
std::vector<CommandHelp> CommandHelps();

}  // namespace itslog
