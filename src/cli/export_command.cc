// itslog export FILE|DAY [--format jsonl|csv] [--app A] [--event E]: streams a day's rows to
// stdout (store/export.h), in constant memory. Exit 1 when the file cannot be read or stdout
// refuses the data, 2 for bad usage.
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "cli/cli.h"
#include "cli/read_commands.h"
#include "event/event.h"
#include "store/export.h"

namespace itslog {

int RunExportCommand(const Args& args, Env* env) {
  const char* usage =
      "usage: itslog export FILE|DAY [--format jsonl|csv] [--app A] [--event E] [--no-header]";
  Result<ParsedArgs> parsed =
      ParseArgs(args, {"--config", "--format", "--app", "--event"}, {"--no-header"});
  if (!parsed.ok() || parsed->positional.size() != 1) {
    std::fprintf(
        stderr, "itslog export: %s\n%s\n",
        parsed.ok() ? "name one day file or day (YYYY-MM-DD)" : parsed.status().message().c_str(),
        usage);
    return kExitUsage;
  }
  ExportOptions options;
  std::string format = parsed->Get("--format").value_or("jsonl");
  if (format == "csv") {
    options.format = ExportFormat::kCsv;
  } else if (format != "jsonl" && format != "json") {
    std::fprintf(stderr, "itslog export: --format is jsonl or csv, not %s\n",
                 Quote(format).c_str());
    return kExitUsage;
  }
  options.csv_header = !parsed->Has("--no-header");
  options.app = parsed->Get("--app");
  options.event = parsed->Get("--event");
  if (options.app && !ValidateAppName(*options.app).ok()) {
    std::fprintf(stderr, "itslog export: --app %s is not an app name\n",
                 Quote(*options.app).c_str());
    return kExitUsage;
  }
  if (options.event && !ValidateEventName(*options.event).ok()) {
    std::fprintf(stderr, "itslog export: --event %s is not an event name\n",
                 Quote(*options.event).c_str());
    return kExitUsage;
  }
  int exit_code = kExitOk;
  std::optional<DayArgFiles> day =
      ResolveDayFiles(parsed->positional[0], *parsed, env, "export", &exit_code);
  if (!day) {
    return exit_code;
  }
  std::fflush(stdout);
  Result<int64_t> rows = 0;
  if (day->files.size() == 1) {
    rows = ExportDayFile(day->files.front().path, options, STDOUT_FILENO);
  } else if (!day->files.empty()) {
    // A day of several hosts: one log in time order (as the read API gives it), each row
    // naming its host.
    std::vector<ExportInput> files;
    for (const HostDayFile& f : day->files) {
      files.push_back(ExportInput{f.host, f.path});
    }
    rows = ExportDayFiles(files, options, STDOUT_FILENO);
  }
  if (!rows.ok()) {
    std::fprintf(stderr, "itslog export: %s\n", rows.status().message().c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace itslog
