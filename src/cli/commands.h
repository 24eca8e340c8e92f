// The subcommands, one file each, and what they share. Each returns an exit code (cli.h).
#pragma once

#include <string>
#include <vector>

#include "cli/args.h"
#include "config/config.h"
#include "core/env.h"

namespace itslog {

using Args = std::vector<std::string>;

int RunFcgiCommand(const Args& args, Env* env);
int RunCheckConfigCommand(const Args& args, Env* env);
int RunPruneCommand(const Args& args, Env* env);
int RunAlertsCommand(const Args& args, Env* env);
int RunKeysCommand(const Args& args, Env* env);

// Loads the config named by --config / $ITSLOG_CONFIG / the default path. On problems prints
// them to stderr as file:line:column: message and returns nullopt (exit 2).
std::optional<Config> LoadConfigOrReport(const ParsedArgs& args, Env* env);

}  // namespace itslog
