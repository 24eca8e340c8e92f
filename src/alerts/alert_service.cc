#include "alerts/alert_service.h"

#include <time.h>

#include <algorithm>
#include <thread>

#include "archive/day_files.h"
#include "control/control_db.h"

namespace itslog {

namespace {

constexpr int64_t kMicros = 1000000;

// Sleeps up to micros of real time, in slices, returning early once *stop is set.
void SleepUnlessStopped(int64_t micros, const std::atomic<bool>* stop) {
  while (micros > 0 && !stop->load()) {
    int64_t slice = std::min<int64_t>(micros, 100000);
    timespec ts{static_cast<time_t>(slice / kMicros), static_cast<long>(slice % kMicros) * 1000};
    nanosleep(&ts, nullptr);
    micros -= slice;
  }
}

// The day files rules are evaluated over: the read API's locator (archive/day_files.h), so a
// day is what the read API answers for it. The one place to give the evaluator another source.
Result<std::unique_ptr<DayLocator>> DayFilesOf(Env* env, const Config& config, Logger* log) {
  return MakeDayLocator(env, config, [log](std::string_view line) { log->Info(line); });
}

Result<std::unique_ptr<ControlDb>> OpenControl(const Config& config) {
  return ControlDb::Open(ControlDbPath(config.data_dir));
}

}  // namespace

AlertServiceOptions AlertServiceOptionsFrom(const Config& config) {
  AlertServiceOptions o;
  o.evaluator.interval_seconds = config.alerts.interval_seconds;
  o.evaluator.repeat_seconds = config.alerts.repeat_seconds;
  o.evaluator.retry_for_seconds = config.alerts.retry_for_seconds;
  o.dispatcher.backoff_initial_ms = config.alerts.backoff_initial_ms;
  o.http.timeout_ms = config.alerts.timeout_ms;
  o.http.connect_timeout_ms = std::min<int64_t>(config.alerts.timeout_ms, 5000);
  return o;
}

PostFn RealPost(const HttpPostOptions& options) {
  return [options](const std::string& url, const Headers& headers, const std::string& body) {
    return HttpPost(url, headers, body, options);
  };
}

Status RunAlertsOnce(Env* env, const Config& config, Logger* log, const PostFn& post) {
  Result<TimeZone> zone = TimeZone::Load(config.timezone);
  if (!zone.ok()) {
    return zone.status();
  }
  Result<std::unique_ptr<ControlDb>> db = OpenControl(config);
  if (!db.ok()) {
    return db.status();
  }
  AlertServiceOptions options = AlertServiceOptionsFrom(config);
  Result<std::unique_ptr<DayLocator>> files = DayFilesOf(env, config, log);
  if (!files.ok()) {
    return files.status();
  }
  DayFilesWindow source(files->get(), *zone);
  Evaluator evaluator(env, db->get(), &source, log, options.evaluator);
  PassStats pass;
  if (Status s = evaluator.RunPass(&pass); !s.ok()) {
    return s;
  }
  Dispatcher dispatcher(env, db->get(), log, post, options.dispatcher);
  DeliveryStats delivery;
  return dispatcher.DeliverDue(&delivery, 1000);
}

Status RunAlertsService(Env* env, const Config& config, Logger* log, const PostFn& post,
                        const std::atomic<bool>* stop) {
  Result<TimeZone> zone = TimeZone::Load(config.timezone);
  if (!zone.ok()) {
    return zone.status();
  }
  Result<FileLock> lock = env->LockExclusive(config.data_dir + "/.itslog-alerts.lock", 0);
  if (!lock.ok()) {
    return UnavailableError("already_running",
                            "another itslog alerts is running for " + config.data_dir);
  }
  Result<std::unique_ptr<ControlDb>> eval_db = OpenControl(config);
  if (!eval_db.ok()) {
    return eval_db.status();
  }
  Result<std::unique_ptr<ControlDb>> send_db = OpenControl(config);
  if (!send_db.ok()) {
    return send_db.status();
  }
  AlertServiceOptions options = AlertServiceOptionsFrom(config);
  log->Info("itslog alerts: evaluating every " +
            std::to_string(options.evaluator.interval_seconds) + " s");

  std::thread sender([&] {
    Dispatcher dispatcher(env, send_db->get(), log, post, options.dispatcher);
    AlertTables tables(send_db->get());
    while (!stop->load()) {
      DeliveryStats stats;
      if (Status s = dispatcher.DeliverDue(&stats); !s.ok()) {
        log->Error("itslog alerts: delivering: " + s.ToString());
      }
      // New messages are picked up within 200 ms; retries when they fall due.
      int64_t wait = 200000;
      if (Result<std::optional<int64_t>> next = tables.NextDue(); next.ok() && *next) {
        wait = std::clamp<int64_t>(**next - env->NowMicros(), 0, wait);
      }
      SleepUnlessStopped(std::max<int64_t>(wait, 10000), stop);
    }
  });

  Result<std::unique_ptr<DayLocator>> files = DayFilesOf(env, config, log);
  if (!files.ok()) {
    return files.status();
  }
  DayFilesWindow source(files->get(), *zone);
  Evaluator evaluator(env, eval_db->get(), &source, log, options.evaluator);
  const int64_t interval = options.evaluator.interval_seconds * kMicros;
  int64_t next_pass = env->NowMicros();
  while (!stop->load()) {
    int64_t now = env->NowMicros();
    if (now >= next_pass) {
      PassStats stats;
      if (Status s = evaluator.RunPass(&stats); !s.ok()) {
        log->Error("itslog alerts: evaluation pass failed: " + s.ToString());
      } else if (stats.missed > 0) {
        log->Warning("itslog alerts: " + std::to_string(stats.missed) +
                     " evaluation passes were missed (skipped, not replayed)");
      }
      next_pass += interval;
      now = env->NowMicros();
      while (next_pass <= now) {
        next_pass += interval;  // an overrun skips passes; the next RunPass counts them
      }
    }
    SleepUnlessStopped(next_pass - env->NowMicros(), stop);
  }
  sender.join();
  return Status::Ok();
}

}  // namespace itslog
