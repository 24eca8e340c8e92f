// The read-side subcommands: `itslog verify`, `export`, `stats` and `tail` (docs/OPERATIONS.md,
// docs/ANALYSIS.md), and what they share. Each returns an exit code (cli.h).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "config/config.h"
#include "core/env.h"

namespace itslog {

int RunVerifyCommand(const Args& args, Env* env);
int RunExportCommand(const Args& args, Env* env);
int RunStatsCommand(const Args& args, Env* env);
int RunTailCommand(const Args& args, Env* env);

// FILE|DAY: a "YYYY-MM-DD" names <data_dir>/YYYY-MM-DD-v1.itslog of the configuration (loaded
// from --config, $ITSLOG_CONFIG or the default path); anything else is a file path. Prints
// problems to stderr and returns nullopt (exit 2) when the configuration is needed and bad.
std::optional<std::string> ResolveDayFile(const std::string& arg, const ParsedArgs& args, Env* env);

struct TailOptions {
  bool follow = false;               // -f
  std::optional<std::string> app;    // --app
  std::optional<std::string> event;  // --event
  bool json = false;                 // --json: one JSON object per line
  int64_t lines = 10;                // -n: rows shown before following
  int64_t poll_micros = 250000;      // how often -f looks for new rows
};

// The options of `itslog tail` from its parsed arguments (-f/--follow, -n, --app, --event,
// --json). Prints the problem to stderr and returns nullopt (exit 2) on bad usage.
std::optional<TailOptions> TailOptionsFrom(const ParsedArgs& parsed);

// The work of `itslog tail`: prints the last rows of today's file, then (follow) new rows as
// they come, moving on to the next day's file at midnight. sleep waits (tests move a FakeEnv's
// clock); keep_going is asked before each wait and ends the loop when false. Returns an exit
// code.
int RunTail(const Config& config, const TailOptions& options, Env* env, FILE* out,
            const std::function<void(int64_t micros)>& sleep,
            const std::function<bool()>& keep_going);

}  // namespace itslog
