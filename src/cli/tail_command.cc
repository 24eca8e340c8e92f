// itslog tail [-f] [-n N] [--app A] [--event E] [--json]: the last rows of today's file, and
// with -f every new row as it is committed, moving on to the next day's file at midnight
// without losing or repeating a row (store/reader.h, DayFollower).
#include <chrono>
#include <cstdio>
#include <deque>
#include <thread>

#include "cli/cli.h"
#include "cli/read_commands.h"
#include "event/event.h"
#include "store/export.h"
#include "store/reader.h"

namespace itslog {

namespace {

bool Wanted(const TailOptions& o, const EventName& n) {
  return (!o.app || n.app == *o.app) && (!o.event || n.name == *o.event);
}

// "2025-03-01T12:00:00.000000Z  app  event  value", control bytes in the value as \xNN.
void AppendText(std::string* out, const RowView& row, IsoTimeFormatter* time) {
  time->Append(out, row.ts);
  *out += "  ";
  *out += row.name->app;
  *out += "  ";
  *out += row.name->name;
  if (row.value) {
    *out += "  ";
    for (char ch : *row.value) {
      unsigned char c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\x%02x", c);
        *out += buf;
      } else {
        out->push_back(ch);
      }
    }
  }
  *out += '\n';
}

}  // namespace

int RunTail(const Config& config, const TailOptions& options, Env* env, FILE* out,
            const std::function<void(int64_t micros)>& sleep,
            const std::function<bool()>& keep_going) {
  Result<TimeZone> zone = TimeZone::Load(config.timezone);
  if (!zone.ok()) {
    std::fprintf(stderr, "itslog tail: %s\n", zone.status().message().c_str());
    return kExitUsage;
  }
  const std::string today = zone->DayOf(env->NowMicros());
  IsoTimeFormatter time;
  std::string buf;
  auto emit = [&](const std::string& day, const RowView& row) {
    if (options.json) {
      AppendEventJson(&buf, day, row, &time);
      buf += '\n';
    } else {
      AppendText(&buf, row, &time);
    }
  };
  // The last `lines` wanted rows of today's file, found by reading backwards in windows.
  int64_t start_seq = 0;
  Result<std::unique_ptr<DayReader>> reader = DayReader::Open(DayFilePath(config.data_dir, today));
  if (!reader.ok() && reader.status().code() != Code::kNotFound) {
    std::fprintf(stderr, "itslog tail: %s\n", reader.status().message().c_str());
    return kExitFailure;
  }
  if (reader.ok()) {
    DayReader& r = **reader;
    Status s = r.BeginSnapshot();
    Result<int64_t> last = s.ok() ? r.LastSeq() : Result<int64_t>(s);
    if (!last.ok()) {
      std::fprintf(stderr, "itslog tail: %s\n", last.status().message().c_str());
      return kExitFailure;
    }
    start_seq = *last;
    std::deque<Row> shown;
    int64_t window = std::max<int64_t>(options.lines, 1000);
    for (int64_t hi = *last + 1; hi > 1 && static_cast<int64_t>(shown.size()) < options.lines;
         hi -= window) {
      int64_t lo = std::max<int64_t>(0, hi - 1 - window);
      std::deque<Row> part;
      s = r.ScanRows(lo, hi, nullptr, [&](const RowView& row) {
        if (Wanted(options, *row.name)) {
          part.push_back(CopyRow(today, row));
          if (static_cast<int64_t>(part.size()) > options.lines) {
            part.pop_front();
          }
        }
        return true;
      });
      if (!s.ok()) {
        std::fprintf(stderr, "itslog tail: %s\n", s.message().c_str());
        return kExitFailure;
      }
      while (!part.empty() && static_cast<int64_t>(shown.size()) < options.lines) {
        shown.push_front(std::move(part.back()));
        part.pop_back();
      }
    }
    r.EndSnapshot();
    for (const Row& row : shown) {
      EventName name{row.app, row.event};
      RowView v;
      v.seq = row.seq;
      v.ts = row.ts;
      v.name = &name;
      v.type = row.type;
      if (row.value) {
        v.value = std::string_view(*row.value);
      }
      v.is_unique = row.is_unique;
      emit(today, v);
    }
    reader->reset();
  }
  std::fwrite(buf.data(), 1, buf.size(), out);
  std::fflush(out);
  buf.clear();
  if (!options.follow) {
    return kExitOk;
  }
  DayFollower follower(env, config.data_dir, *zone, today, start_seq);
  while (keep_going()) {
    Result<int64_t> got = follower.Poll(10000, [&](const std::string& day, const RowView& row) {
      if (Wanted(options, *row.name)) {
        emit(day, row);
      }
      return true;
    });
    if (!got.ok()) {
      std::fprintf(stderr, "itslog tail: %s\n", got.status().message().c_str());
      return kExitFailure;
    }
    if (!buf.empty()) {
      if (std::fwrite(buf.data(), 1, buf.size(), out) != buf.size() || std::fflush(out) != 0) {
        return kExitFailure;  // the reader went away (a closed pipe)
      }
      buf.clear();
    }
    if (*got < 10000) {
      sleep(options.poll_micros);
    }
  }
  return kExitOk;
}

std::optional<TailOptions> TailOptionsFrom(const ParsedArgs& parsed) {
  TailOptions options;
  options.follow = parsed.Has("-f") || parsed.Has("--follow");
  options.json = parsed.Has("--json");
  options.app = parsed.Get("--app");
  options.event = parsed.Get("--event");
  if (options.app && !ValidateAppName(*options.app).ok()) {
    std::fprintf(stderr, "itslog tail: --app %s is not an app name\n", Quote(*options.app).c_str());
    return std::nullopt;
  }
  if (options.event && !ValidateEventName(*options.event).ok()) {
    std::fprintf(stderr, "itslog tail: --event %s is not an event name\n",
                 Quote(*options.event).c_str());
    return std::nullopt;
  }
  if (std::optional<std::string> n = parsed.Get("-n")) {
    char* end = nullptr;
    long long v = std::strtoll(n->c_str(), &end, 10);
    if (n->empty() || *end != '\0' || v < 0 || v > 1000000) {
      std::fprintf(stderr, "itslog tail: -n takes a number from 0 to 1000000\n");
      return std::nullopt;
    }
    options.lines = v;
  }
  return options;
}

int RunTailCommand(const Args& args, Env* env) {
  Result<ParsedArgs> parsed =
      ParseArgs(args, {"--config", "--app", "--event", "-n"}, {"-f", "--follow", "--json"});
  if (!parsed.ok() || !parsed->positional.empty()) {
    std::fprintf(
        stderr,
        "itslog tail: %s\nusage: itslog tail [-f] [-n N] [--app A] [--event E] "
        "[--json]\n",
        parsed.ok() ? "takes no arguments but options" : parsed.status().message().c_str());
    return kExitUsage;
  }
  std::optional<TailOptions> options = TailOptionsFrom(*parsed);
  if (!options) {
    return kExitUsage;
  }
  std::optional<Config> config = LoadConfigOrReport(*parsed, env);
  if (!config) {
    return kExitUsage;
  }
  return RunTail(
      *config, *options, env, stdout,
      [](int64_t micros) { std::this_thread::sleep_for(std::chrono::microseconds(micros)); },
      [] { return true; });
}

}  // namespace itslog
