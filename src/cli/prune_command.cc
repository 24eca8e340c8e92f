// itslog prune: removes local day files past retention_days (store/prune.h). One line per day
// on stdout (removed) or stderr (kept, and why). Exit 0 unless data_dir cannot be read (1) or
// the usage or configuration is bad (2).
#include <cstdio>

#include "cli/cli.h"
#include "cli/commands.h"
#include "store/prune.h"

namespace itslog {

int RunPruneCommand(const Args& args, Env* env) {
  Result<ParsedArgs> parsed = ParseArgs(args, {"--config"}, {});
  if (!parsed.ok() || !parsed->positional.empty()) {
    std::fprintf(stderr, "itslog prune: %s\nusage: itslog prune [--config PATH]\n",
                 parsed.ok() ? "takes no arguments" : parsed.status().message().c_str());
    return kExitUsage;
  }
  std::optional<Config> config = LoadConfigOrReport(*parsed, env);
  if (!config) {
    return kExitUsage;
  }
  if (config->retention_days == 0) {
    std::printf("itslog prune: retention_days is 0: every day file is kept\n");
    return kExitOk;
  }
  Result<TimeZone> zone = TimeZone::Load(config->timezone);
  if (!zone.ok()) {
    std::fprintf(stderr, "itslog prune: %s\n", zone.status().message().c_str());
    return kExitUsage;
  }
  PruneOptions options;
  options.data_dir = config->data_dir;
  options.zone = *zone;
  options.retention_days = config->retention_days;
  options.require_shipped = !config->s3.bucket.empty();
  options.lock_timeout_ms = static_cast<int>(config->lock_timeout_ms);
  Result<std::vector<PruneDay>> days = PruneDays(env, options);
  if (!days.ok()) {
    std::fprintf(stderr, "itslog prune: %s\n", days.status().message().c_str());
    return kExitFailure;
  }
  int removed = 0;
  for (const PruneDay& d : *days) {
    std::fprintf(d.removed ? stdout : stderr, "%s: %s\n", d.day.c_str(), d.note.c_str());
    removed += d.removed ? 1 : 0;
  }
  std::printf("itslog prune: %d day file(s) removed, %zu kept (retention_days %lld)\n", removed,
              days->size() - static_cast<size_t>(removed),
              static_cast<long long>(config->retention_days));
  return kExitOk;
}

}  // namespace itslog
