// itslog ship: one line per day on stdout (shipped) or stderr (failed), then exit 0/1/2.
#include "cli/ship_command.h"

#include <cstdio>

#include "cli/cli.h"
#include "core/time_util.h"
#include "http/metrics.h"
#include "s3/s3_url.h"
#include "ship/shipper.h"

namespace itslog {

int RunShipCommand(const Args& args, Env* env) {
  Result<ParsedArgs> parsed = ParseArgs(args, {"--config", "--day"}, {});
  if (!parsed.ok()) {
    std::fprintf(stderr, "itslog ship: %s\n", parsed.status().message().c_str());
    return kExitUsage;
  }
  if (!parsed->positional.empty()) {
    std::fprintf(stderr, "itslog ship: unexpected argument %s; usage: itslog ship [--day D]\n",
                 Quote(parsed->positional[0]).c_str());
    return kExitUsage;
  }
  std::optional<std::string> day = parsed->Get("--day");
  if (day && !ParseDay(*day)) {
    std::fprintf(stderr, "itslog ship: --day %s is not a date YYYY-MM-DD\n", Quote(*day).c_str());
    return kExitUsage;
  }
  std::optional<Config> config = LoadConfigOrReport(*parsed, env);
  if (!config) {
    return kExitUsage;
  }
  if (Status s = ValidateS3Config(config->s3); !s.ok()) {
    std::fprintf(stderr, "itslog ship: %s: %s\n", config->source.c_str(), s.message().c_str());
    return kExitUsage;
  }
  Result<TimeZone> zone = TimeZone::Load(config->timezone);
  if (!zone.ok()) {
    std::fprintf(stderr, "itslog ship: %s\n", zone.status().message().c_str());
    return kExitUsage;
  }
  S3ClientOptions client_options;
  client_options.log = [](std::string_view line) {
    std::fprintf(stderr, "itslog ship: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  Result<std::unique_ptr<S3Client>> s3 = S3Client::Create(config->s3, client_options);
  if (!s3.ok()) {
    std::fprintf(stderr, "itslog ship: %s\n", s3.status().message().c_str());
    return s3.status().code() == Code::kInvalid ? kExitUsage : kExitFailure;
  }

  ShipOptions options;
  options.data_dir = config->data_dir;
  options.zone = *zone;
  options.prefix = config->s3.prefix;
  options.host = config->host_id;
  options.delete_local = config->ship.delete_local;
  options.multipart_threshold_bytes = config->ship.multipart_threshold_bytes;
  options.lock_timeout_ms = static_cast<int>(config->lock_timeout_ms);
  Shipper shipper(env, s3->get(), options, [](std::string_view line) {
    std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
    std::fflush(stdout);
  });

  std::vector<ShipDayOutcome> outcomes;
  if (day) {
    outcomes.push_back(shipper.ShipDay(*day, /*force=*/true));
  } else {
    outcomes = shipper.ShipAll();
  }
  int failed = 0;
  for (const ShipDayOutcome& o : outcomes) {
    const char* label = o.day.empty() ? "ship" : o.day.c_str();
    if (o.status.ok()) {
      std::printf("%s: %s\n", label, o.summary.c_str());
    } else {
      ++failed;
      std::fprintf(stderr, "itslog ship: %s: failed: %s\n", label, o.summary.c_str());
    }
  }
  std::fflush(stdout);
  if (outcomes.empty()) {
    std::printf("nothing to ship in %s\n", config->data_dir.c_str());
  }
  if (failed > 0) {
    std::fprintf(stderr, "itslog ship: %d of %zu day%s failed; their local files are kept\n",
                 failed, outcomes.size(), outcomes.size() == 1 ? "" : "s");
    return kExitFailure;
  }
  // GET /metrics reports when shipping last succeeded (every day this run took on is in the
  // bucket, also when nothing was left to ship), from the counters file the workers share
  // (docs/OPERATIONS.md, "Shipping to S3"). Without that file the ship still succeeded.
  Result<std::unique_ptr<Metrics>> metrics = Metrics::Open(config->data_dir);
  if (metrics.ok()) {
    (*metrics)->RecordShip(env->NowMicros() / kMicrosPerSecond);
  } else {
    std::fprintf(stderr, "itslog ship: the time of this ship is not recorded for /metrics: %s\n",
                 metrics.status().message().c_str());
  }
  return kExitOk;
}

}  // namespace itslog
