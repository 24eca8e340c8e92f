// itslog verify FILE|DAY... [--seal SEAL]: re-checks day files (store/verify.h) and names the
// first bad seq and what was done to the file. Exit 0 when every file is intact, 1 when one is
// not (or cannot be read), 2 for bad usage.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "cli/read_commands.h"
#include "store/reader.h"
#include "store/verify.h"

namespace itslog {

std::optional<std::string> ResolveDayFile(const std::string& arg, const ParsedArgs& args,
                                          Env* env) {
  if (!IsDayName(arg)) {
    return arg;
  }
  std::optional<Config> config = LoadConfigOrReport(args, env);
  if (!config) {
    return std::nullopt;
  }
  return DayFilePath(config->data_dir, arg);
}

int RunVerifyCommand(const Args& args, Env* env) {
  Result<ParsedArgs> parsed = ParseArgs(args, {"--config", "--seal"}, {"--no-integrity-check"});
  if (!parsed.ok() || parsed->positional.empty()) {
    std::fprintf(
        stderr, "itslog verify: %s\nusage: itslog verify FILE|DAY... [--seal SEAL]\n",
        parsed.ok() ? "name a day file or a day (YYYY-MM-DD)" : parsed.status().message().c_str());
    return kExitUsage;
  }
  VerifyOptions options;
  options.integrity_check = !parsed->Has("--no-integrity-check");
  if (std::optional<std::string> seal_path = parsed->Get("--seal")) {
    if (parsed->positional.size() != 1) {
      std::fprintf(stderr, "itslog verify: --seal goes with exactly one file\n");
      return kExitUsage;
    }
    std::ifstream in(*seal_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      std::fprintf(stderr, "itslog verify: cannot read the seal %s\n", seal_path->c_str());
      return kExitUsage;
    }
    Result<Seal> seal = ParseSeal(text.str());
    if (!seal.ok()) {
      std::fprintf(stderr, "itslog verify: %s: %s\n", seal_path->c_str(),
                   seal.status().message().c_str());
      return kExitUsage;
    }
    options.seal = *seal;
  }
  int exit_code = kExitOk;
  for (const std::string& arg : parsed->positional) {
    std::optional<std::string> path = ResolveDayFile(arg, *parsed, env);
    if (!path) {
      return kExitUsage;
    }
    Result<VerifyReport> report = VerifyDayFile(*path, options);
    if (!report.ok()) {
      std::printf("%s: FAILED: %s\n", path->c_str(), report.status().message().c_str());
      exit_code = kExitFailure;
      continue;
    }
    if (report->ok()) {
      std::printf("%s: ok, %lld rows, last hash %s%s%s\n", path->c_str(),
                  static_cast<long long>(report->rows), HexEncode(report->last_hash).c_str(),
                  report->sealed ? ", sealed" : "", options.seal ? ", matches the seal" : "");
      continue;
    }
    exit_code = kExitFailure;
    for (const Problem& p : report->problems) {
      std::printf("%s: %s: %s\n", path->c_str(), std::string(DamageName(p.kind)).c_str(),
                  p.message.c_str());
    }
    const Problem& first = report->problems.front();
    if (first.seq > 0) {
      std::printf("%s: FAILED: first bad seq %lld (%s)\n", path->c_str(),
                  static_cast<long long>(first.seq), std::string(DamageName(first.kind)).c_str());
    } else {
      std::printf("%s: FAILED (%s)\n", path->c_str(), std::string(DamageName(first.kind)).c_str());
    }
  }
  std::fflush(stdout);
  return exit_code;
}

}  // namespace itslog
