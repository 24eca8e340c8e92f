// FILE|DAY arguments of the read-side commands: a day's files come from archive/DayLocator.
#include <cstdio>

#include "cli/cli.h"
#include "cli/read_commands.h"
#include "store/day_store.h"
#include "store/reader.h"

namespace itslog {

std::optional<DayArgFiles> ResolveDayFiles(const std::string& arg, const ParsedArgs& args, Env* env,
                                           const char* command, int* exit_code) {
  DayArgFiles out;
  if (!IsDayName(arg)) {
    out.files.push_back(HostDayFile{"", arg, false, arg, ""});
    return out;
  }
  out.is_day = true;
  std::optional<Config> config = LoadConfigOrReport(args, env);
  if (!config) {
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  std::string name = command;
  Result<std::unique_ptr<DayLocator>> locator =
      MakeDayLocator(env, *config, [name](std::string_view line) {
        std::fprintf(stderr, "itslog %s: %.*s\n", name.c_str(), static_cast<int>(line.size()),
                     line.data());
      });
  if (!locator.ok()) {
    std::fprintf(stderr, "itslog %s: %s\n", command, locator.status().message().c_str());
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  out.locator = std::move(*locator);
  Result<DayFiles> files = out.locator->Open(arg);
  if (!files.ok()) {
    const Status& s = files.status();
    if (s.code() == Code::kUnavailable) {
      std::fprintf(stderr, "itslog %s: %s is not (or no longer) local and S3 cannot be read: %s\n",
                   command, arg.c_str(), s.message().c_str());
    } else if (s.code() == Code::kCorrupt) {
      std::fprintf(stderr, "itslog %s: %s: %s: %s\n", command, arg.c_str(), s.reason().c_str(),
                   s.message().c_str());
    } else {
      std::fprintf(stderr, "itslog %s: %s: %s\n", command, arg.c_str(), s.message().c_str());
    }
    *exit_code = s.code() == Code::kInvalid ? kExitUsage : kExitFailure;
    return std::nullopt;
  }
  out.held = std::move(*files);
  out.files = out.held.files();
  if (out.files.empty()) {
    std::string path = DayFilePath(config->data_dir, arg);
    out.files.push_back(HostDayFile{"", path, true, path, ""});
  }
  return out;
}

}  // namespace itslog
