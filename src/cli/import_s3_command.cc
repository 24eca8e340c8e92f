// itslog import-s3: one summary line on stdout, problems on stderr, then exit 0/1/2.
#include "cli/import_s3_command.h"

#include <cstdio>

#include "cli/cli.h"
#include "core/time_util.h"
#include "s3/s3_client.h"
#include "s3/s3_url.h"
#include "s3store/day_import.h"
#include "s3store/object_keys.h"

namespace itslog {

int RunImportS3Command(const Args& args, Env* env) {
  Result<ParsedArgs> parsed = ParseArgs(args, {"--config"}, {});
  if (!parsed.ok()) {
    std::fprintf(stderr, "itslog import-s3: %s\n", parsed.status().message().c_str());
    return kExitUsage;
  }
  if (parsed->positional.size() != 1 || !ParseDay(parsed->positional[0])) {
    std::fprintf(stderr,
                 "itslog import-s3: name one day YYYY-MM-DD; usage: itslog import-s3 DAY "
                 "[--config PATH]\n");
    return kExitUsage;
  }
  const std::string day = parsed->positional[0];
  std::optional<Config> config = LoadConfigOrReport(*parsed, env);
  if (!config) {
    return kExitUsage;
  }
  if (Status s = ValidateS3Config(config->s3); !s.ok()) {
    std::fprintf(stderr, "itslog import-s3: %s: %s\n", config->source.c_str(), s.message().c_str());
    return kExitUsage;
  }
  Result<TimeZone> zone = TimeZone::Load(config->timezone);
  if (!zone.ok()) {
    std::fprintf(stderr, "itslog import-s3: %s\n", zone.status().message().c_str());
    return kExitUsage;
  }
  S3Config s3_config = config->s3;
  S3ClientFactory make_client = [&s3_config]() {
    S3ClientOptions client_options;
    client_options.log = [](std::string_view line) {
      std::fprintf(stderr, "itslog import-s3: %.*s\n", static_cast<int>(line.size()), line.data());
    };
    return S3Client::Create(s3_config, client_options);
  };

  ImportOptions options;
  options.data_dir = config->data_dir;
  options.zone = *zone;
  options.prefix = config->s3.prefix;
  options.bucket = config->s3.bucket;
  options.lock_timeout_ms = static_cast<int>(config->lock_timeout_ms);
  options.host = config->host_id;
  Result<ImportSummary> r = ImportDayFromS3(env, options, make_client, day);
  const std::string source = "s3://" + config->s3.bucket + "/" + DayPrefix(config->s3.prefix, day);
  if (!r.ok()) {
    std::fprintf(stderr, "itslog import-s3: %s: failed: %s\n", day.c_str(),
                 r.status().ToString().c_str());
    return kExitFailure;
  }
  for (const std::string& key : r->skipped) {
    std::fprintf(stderr, "itslog import-s3: skipped s3://%s/%s: not an event object's name\n",
                 config->s3.bucket.c_str(), key.c_str());
  }
  if (day >= zone->DayOf(env->NowMicros())) {
    std::fprintf(stderr,
                 "itslog import-s3: %s is not over: the file holds the events stored so far\n",
                 day.c_str());
  }
  std::printf(
      "%s: imported %lld events (%lld unique, %lld with an idempotency key) from %s into "
      "%s\n",
      day.c_str(), static_cast<long long>(r->events), static_cast<long long>(r->unique),
      static_cast<long long>(r->idempotent), source.c_str(), r->path.c_str());
  return kExitOk;
}

}  // namespace itslog
