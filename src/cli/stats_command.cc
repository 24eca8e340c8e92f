// itslog stats [DAY|FILE] [--json]: rows, apps, distinct events, top events, first and last
// time and the file's size (store/stats.h). Without an argument: today's file.
#include <charconv>
#include <cstdio>

#include "cli/cli.h"
#include "cli/read_commands.h"
#include "core/json_writer.h"
#include "core/time_util.h"
#include "store/reader.h"
#include "store/stats.h"

namespace itslog {

namespace {

std::string TimeOrDash(const std::optional<int64_t>& ts) {
  return ts ? FormatIso8601Micros(*ts) : "-";
}

void PrintJson(const std::string& path, const DayStats& s, const std::string* host) {
  JsonWriter w;
  w.BeginObject();
  if (host != nullptr) {
    w.Key("host").String(*host);
  }
  w.Key("file").String(path).Key("day").String(s.day);
  w.Key("timezone").String(s.timezone).Key("rows").Int(s.rows).Key("last_seq").Int(s.last_seq);
  w.Key("apps").Int(s.apps).Key("events").Int(s.events).Key("unique_events").Int(s.unique_events);
  w.Key("first_time");
  s.first_ts ? w.String(FormatIso8601Micros(*s.first_ts)) : w.Null();
  w.Key("last_time");
  s.last_ts ? w.String(FormatIso8601Micros(*s.last_ts)) : w.Null();
  w.Key("file_bytes").Int(s.file_bytes).Key("wal_bytes").Int(s.wal_bytes);
  w.Key("sealed").Bool(s.sealed);
  w.Key("per_app").BeginArray();
  for (const EventCount& c : s.per_app) {
    w.BeginObject().Key("app").String(c.app).Key("count").Int(c.count).EndObject();
  }
  w.EndArray().Key("top_events").BeginArray();
  for (const EventCount& c : s.top) {
    w.BeginObject().Key("app").String(c.app).Key("event").String(c.event);
    w.Key("count").Int(c.count).EndObject();
  }
  w.EndArray().EndObject();
  std::printf("%s\n", w.str().c_str());
}

void PrintText(const std::string& path, const DayStats& s) {
  std::printf("file          %s\n", path.c_str());
  std::printf("day           %s (%s)%s\n", s.day.c_str(), s.timezone.c_str(),
              s.sealed ? ", sealed" : "");
  std::printf("size          %lld bytes (+ %lld bytes of WAL)\n",
              static_cast<long long>(s.file_bytes), static_cast<long long>(s.wal_bytes));
  std::printf("rows          %lld\n", static_cast<long long>(s.rows));
  std::printf("apps          %lld\n", static_cast<long long>(s.apps));
  std::printf("events        %lld distinct (app, event) names\n", static_cast<long long>(s.events));
  std::printf("unique events %lld\n", static_cast<long long>(s.unique_events));
  std::printf("first         %s\n", TimeOrDash(s.first_ts).c_str());
  std::printf("last          %s\n", TimeOrDash(s.last_ts).c_str());
  if (!s.per_app.empty()) {
    std::printf("rows per app:\n");
    for (const EventCount& c : s.per_app) {
      std::printf("  %12lld  %s\n", static_cast<long long>(c.count), c.app.c_str());
    }
  }
  if (!s.top.empty()) {
    std::printf("top events:\n");
    for (const EventCount& c : s.top) {
      std::printf("  %12lld  %s  %s\n", static_cast<long long>(c.count), c.app.c_str(),
                  c.event.c_str());
    }
  }
}

}  // namespace

int RunStatsCommand(const Args& args, Env* env) {
  Result<ParsedArgs> parsed = ParseArgs(args, {"--config", "--top"}, {"--json"});
  if (!parsed.ok() || parsed->positional.size() > 1) {
    std::fprintf(stderr, "itslog stats: %s\nusage: itslog stats [DAY|FILE] [--json] [--top N]\n",
                 parsed.ok() ? "at most one day" : parsed.status().message().c_str());
    return kExitUsage;
  }
  int top = 10;
  if (std::optional<std::string> t = parsed->Get("--top")) {
    auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), top);
    if (t->empty() || ec != std::errc() || end != t->data() + t->size() || top < 1 || top > 10000) {
      std::fprintf(stderr, "itslog stats: --top takes a number from 1 to 10000\n");
      return kExitUsage;
    }
  }
  std::string arg;
  if (parsed->positional.empty()) {
    std::optional<Config> config = LoadConfigOrReport(*parsed, env);
    if (!config) {
      return kExitUsage;
    }
    Result<TimeZone> zone = TimeZone::Load(config->timezone);
    if (!zone.ok()) {
      std::fprintf(stderr, "itslog stats: %s\n", zone.status().message().c_str());
      return kExitUsage;
    }
    arg = zone->DayOf(env->NowMicros());
  } else {
    arg = parsed->positional[0];
  }
  int exit_code = kExitOk;
  std::optional<DayArgFiles> day = ResolveDayFiles(arg, *parsed, env, "stats", &exit_code);
  if (!day) {
    return exit_code;
  }
  // A day of several hosts: one summary per host (JSON: one object per line, with "host").
  const bool several = day->files.size() > 1;
  for (const HostDayFile& f : day->files) {
    Result<DayStats> stats = ReadDayStats(f.path, top);
    if (!stats.ok()) {
      std::fprintf(stderr, "itslog stats: %s\n", stats.status().message().c_str());
      return kExitFailure;
    }
    const std::string shown = f.own_local || f.host.empty() ? f.path : f.source;
    if (parsed->Has("--json")) {
      PrintJson(shown, *stats, several ? &f.host : nullptr);
    } else {
      if (several) {
        std::printf("%shost          %s\n", &f == &day->files.front() ? "" : "\n", f.host.c_str());
      }
      PrintText(shown, *stats);
    }
  }
  return kExitOk;
}

}  // namespace itslog
