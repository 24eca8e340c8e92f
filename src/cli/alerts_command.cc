// itslog alerts: the alerts service (alerts/alert_service.h). Runs until SIGTERM or SIGINT;
// --once evaluates every rule once, attempts the notifications due, and exits. Exit 0, 1 when
// the control database cannot be used or another service runs, 2 for bad usage or config.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>

#include "alerts/alert_service.h"
#include "cli/cli.h"
#include "cli/commands.h"

namespace itslog {

namespace {

std::atomic<bool> g_stop{false};  // set by the signal handler only

extern "C" void OnStopSignal(int) {
  g_stop.store(true);
}

}  // namespace

int RunAlertsCommand(const Args& args, Env* env) {
  Result<ParsedArgs> parsed = ParseArgs(args, {"--config"}, {"--once"});
  if (!parsed.ok() || !parsed->positional.empty()) {
    std::fprintf(stderr, "itslog alerts: %s\nusage: itslog alerts [--once] [--config PATH]\n",
                 parsed.ok() ? "takes no arguments" : parsed.status().message().c_str());
    return kExitUsage;
  }
  std::optional<Config> config = LoadConfigOrReport(*parsed, env);
  if (!config) {
    return kExitUsage;
  }
  StderrLogger log;
  AlertServiceOptions options = AlertServiceOptionsFrom(*config);
  PostFn post = RealPost(options.http);
  Status s;
  if (parsed->Has("--once")) {
    s = RunAlertsOnce(env, *config, &log, post);
  } else {
    struct sigaction sa = {};
    sa.sa_handler = OnStopSignal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    s = RunAlertsService(env, *config, &log, post, &g_stop);
  }
  if (!s.ok()) {
    std::fprintf(stderr, "itslog alerts: %s\n", s.ToString().c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace itslog
