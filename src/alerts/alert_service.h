// AlertService: `itslog alerts`. Evaluates every active rule each alerts.interval_seconds
// (alerts/evaluator.h) and, on a thread of its own, delivers the outbox as messages fall due
// (alerts/dispatcher.h), so that a slow receiver never delays an evaluation. Each of the two
// has its own connection to control.sqlite. One service per data_dir (a lock file).
#pragma once

#include <atomic>
#include <memory>

#include "alerts/dispatcher.h"
#include "alerts/evaluator.h"
#include "config/config.h"
#include "core/env.h"
#include "core/log.h"

namespace itslog {

struct AlertServiceOptions {
  EvaluatorOptions evaluator;
  DispatcherOptions dispatcher;
  HttpPostOptions http;
};

AlertServiceOptions AlertServiceOptionsFrom(const Config& config);

// One pass, then one attempt at every message due. Fails when control.sqlite cannot be used.
Status RunAlertsOnce(Env* env, const Config& config, Logger* log, const PostFn& post);

// Runs until *stop becomes true (checked at least every 100 ms). Fails at once with
// kUnavailable "already_running" when another service holds <data_dir>/.itslog-alerts.lock,
// or when control.sqlite cannot be opened.
Status RunAlertsService(Env* env, const Config& config, Logger* log, const PostFn& post,
                        const std::atomic<bool>* stop);

// The real PostFn: HttpPost with the service's timeouts.
PostFn RealPost(const HttpPostOptions& options);

}  // namespace itslog
