#include "cli/cli.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/import_s3_command.h"
#include "cli/read_commands.h"
#include "cli/ship_command.h"
#include "config/config_loader.h"
#include "core/version.h"

namespace itslog {

namespace {

struct Command {
  const char* name;
  const char* usage;
  const char* summary;
  int (*run)(const Args& args, Env* env);
};

// The command table: read by dispatch and by --help.
constexpr Command kCommands[] = {
    {"fcgi", "itslog fcgi [--config PATH] [--listen ADDR] [--threads N (4)] [--workers N (1)]",
     "serve the HTTP API as a FastCGI responder (or as plain CGI when started as one)",
     RunFcgiCommand},
    {"check-config", "itslog check-config [--config PATH]",
     "check the configuration; print problems as file:line:column: message", RunCheckConfigCommand},
    {"verify", "itslog verify FILE|DAY... [--seal SEAL] [--no-integrity-check] [--config PATH]",
     "re-check day files: schema, dense seq, hash chain, seal, integrity; name the first bad seq",
     RunVerifyCommand},
    {"export",
     "itslog export FILE|DAY [--format jsonl|csv] [--app A] [--event E] [--no-header] "
     "[--config PATH]",
     "write a day's events to stdout as JSON lines or CSV", RunExportCommand},
    {"stats", "itslog stats [DAY|FILE] [--json] [--top N] [--config PATH]",
     "summarise a day file (default: today's): rows, apps, events, top events, times, size",
     RunStatsCommand},
    {"tail", "itslog tail [-f|--follow] [-n N] [--app A] [--event E] [--json] [--config PATH]",
     "show the newest events of today; with -f follow them, across midnight", RunTailCommand},
    {"ship", "itslog ship [--day D] [--config PATH]",
     "copy every closed day to S3, seal it, prove the copy, then (delete_local) remove it",
     RunShipCommand},
    {"import-s3", "itslog import-s3 DAY [--config PATH]",
     "write a day that storage: s3 kept in S3 into a local day file, for verify and export",
     RunImportS3Command},
    {"prune", "itslog prune [--config PATH]",
     "remove local day files older than retention_days (when shipping: only shipped ones)",
     RunPruneCommand},
    {"alerts", "itslog alerts [--once] [--config PATH]",
     "evaluate the alert rules every alerts.interval_seconds and send their notifications",
     RunAlertsCommand},
    {"keys",
     "itslog keys add --name N --scopes S,.. --apps A,..|'*' [--rate-limit N] [--expires-at T] "
     "[--json] | list [--json] | revoke ID [--config PATH]",
     "make, list and revoke the keys kept in the control database, also while workers run",
     RunKeysCommand},
};

void PrintHelp(FILE* out) {
  std::fprintf(
      out,
      "itslog %s: a small, self-hosted event logger that keeps one SQLite file per day.\n\n"
      "usage: itslog <command> [options]\n\ncommands:\n",
      kVersion);
  for (const Command& c : kCommands) {
    std::fprintf(out, "  %-14s %s\n  %-14s   %s\n", c.name, c.summary, "", c.usage);
  }
  std::fprintf(out,
               "\nThe configuration is read from --config PATH, else $ITSLOG_CONFIG, else\n"
               "/etc/itslog/itslog.yaml. Exit codes: 0 success, 1 the work failed, 2 bad usage\n"
               "or configuration. `itslog <command> --help` describes one command.\n");
}

int Dispatch(int argc, char** argv, Env* env) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  if (args.empty()) {
    // Started by a web server as a CGI program, without arguments: serve that one request.
    if (env->GetVar("GATEWAY_INTERFACE")) {
      return RunFcgiCommand({}, env);
    }
    PrintHelp(stderr);
    return kExitUsage;
  }
  const std::string& name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintHelp(stdout);
    return kExitOk;
  }
  if (name == "--version" || name == "version") {
    std::printf("itslog %s\n", kVersion);
    return kExitOk;
  }
  for (const Command& c : kCommands) {
    if (name == c.name) {
      Args rest(args.begin() + 1, args.end());
      for (const std::string& a : rest) {
        if (a == "--help" || a == "-h") {
          std::printf("%s\n\n%s\n", c.usage, c.summary);
          return kExitOk;
        }
      }
      return c.run(rest, env);
    }
  }
  std::fprintf(stderr, "itslog: unknown command %s; see itslog --help\n", Quote(name).c_str());
  return kExitUsage;
}

}  // namespace

std::vector<CommandHelp> CommandHelps() {
  std::vector<CommandHelp> out;
  for (const Command& c : kCommands) {
    out.push_back({c.name, c.usage, c.summary});
  }
  return out;
}

std::optional<Config> LoadConfigOrReport(const ParsedArgs& args, Env* env) {
  GetVarFn get_var = [env](const std::string& n) { return env->GetVar(n); };
  std::string path = ResolveConfigPath(args.Get("--config"), get_var);
  std::vector<ConfigProblem> problems;
  Result<Config> config = LoadConfigFile(path, get_var, &problems);
  if (config.ok()) {
    return std::move(config).value();
  }
  if (problems.empty()) {
    std::fprintf(stderr, "%s\n", config.status().message().c_str());
  }
  for (const ConfigProblem& p : problems) {
    std::fprintf(stderr, "%s\n", FormatProblem(path, p).c_str());
  }
  return std::nullopt;
}

int RunCli(int argc, char** argv, Env* env) {
  try {
    return Dispatch(argc, argv, env);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "itslog: internal error (a bug): %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "itslog: internal error (a bug)\n");
  }
  return kExitFailure;
}

}  // namespace itslog
