// The read-side subcommands: `itslog verify`, `export`, `stats` and `tail` (docs/OPERATIONS.md,
// docs/ANALYSIS.md), and what they share. Each returns an exit code (cli.h).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archive/day_files.h"
#include "cli/commands.h"
#include "config/config.h"
#include "core/env.h"

namespace itslog {

int RunVerifyCommand(const Args& args, Env* env);
int RunExportCommand(const Args& args, Env* env);
int RunStatsCommand(const Args& args, Env* env);
int RunTailCommand(const Args& args, Env* env);

// The files named by a FILE|DAY argument of verify, export and stats.
struct DayArgFiles {
  bool is_day = false;             // the argument was a day
  std::vector<HostDayFile> files;  // a path: itself (host ""); a day: one file per host
  DayFiles held;                   // keeps the day's cached files from eviction
  std::unique_ptr<DayLocator> locator;
};

// FILE|DAY: a path names itself; a "YYYY-MM-DD" names the day's files of every host
// (archive/day_files.h): this host's local file, and the shipped files of every host fetched
// from S3 into the archive cache and checked against their seals. A day no file holds names its
// (missing) local file, so that the command reports it as before. On failure prints
// "itslog <command>: ..." to stderr and returns nullopt with *exit_code: 2 for a bad
// configuration, 1 when S3 cannot be reached or a shipped file is corrupt.
std::optional<DayArgFiles> ResolveDayFiles(const std::string& arg, const ParsedArgs& args, Env* env,
                                           const char* command, int* exit_code);

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
