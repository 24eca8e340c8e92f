// itslog check-config: loads the configuration as the worker would and reports every problem.
#include <cstdio>

#include "cli/cli.h"
#include "cli/commands.h"

namespace itslog {

int RunCheckConfigCommand(const Args& args, Env* env) {
  Result<ParsedArgs> parsed = ParseArgs(args, {"--config"}, {});
  if (!parsed.ok()) {
    std::fprintf(stderr, "itslog check-config: %s\n", parsed.status().message().c_str());
    return kExitUsage;
  }
  std::optional<Config> config = LoadConfigOrReport(*parsed, env);
  if (!config) {
    return kExitUsage;
  }
  std::printf("%s: ok (%zu key%s, data_dir %s)\n", config->source.c_str(), config->keys.size(),
              config->keys.size() == 1 ? "" : "s", config->data_dir.c_str());
  return kExitOk;
}

}  // namespace itslog
