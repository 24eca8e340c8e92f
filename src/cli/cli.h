// The command line: `itslog <command> [options]` (docs/OPERATIONS.md). Exit codes: 0 success,
// 1 the work failed, 2 bad usage or config.
#pragma once

#include "core/env.h"

namespace itslog {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Runs the command named by argv[1]. Never throws.
int RunCli(int argc, char** argv, Env* env);

}  // namespace itslog
