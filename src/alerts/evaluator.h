// Evaluator: one evaluation pass of every active alert rule (docs/API.md, "Evaluation"): the
// aggregate over [t - window, t) compared with the threshold; ok -> pending (for_seconds > 0)
// -> firing -> ok. The rules' transitions, their incidents and the notifications they decide
// are written in one transaction per pass, so a notification once decided is in the outbox
// (durable) and a transition is queued once (UNIQUE(transition, channel)). Time only via Env.
#pragma once

#include <cstdint>

#include "alerts/window_source.h"
#include "control/alert_tables.h"
#include "core/env.h"
#include "core/log.h"

namespace itslog {

struct EvaluatorOptions {
  int64_t interval_seconds = 30;
  int64_t repeat_seconds = 14400;
  int64_t retry_for_seconds = 86400;
};

struct PassStats {
  int64_t rules = 0;   // active rules evaluated
  int64_t errors = 0;  // rules whose evaluation failed (logged; state unchanged)
  int64_t queued = 0;  // messages put in the outbox
  int64_t missed = 0;  // passes skipped since the previous one (counted, not replayed)
  int64_t micros = 0;  // how long the pass took (monotonic clock)
};

// The aggregate a rule compares: nullopt when the window holds no value to aggregate (min,
// max, avg of no numeric rows); count and sum of nothing are 0.
std::optional<double> RuleValue(const AlertRule& rule, const WindowAggregate& agg);
// value <comparator> threshold; false for nullopt.
bool ConditionMet(const AlertRule& rule, std::optional<double> value);

class Evaluator {
 public:
  Evaluator(Env* env, ControlDb* db, WindowSource* source, Logger* log, EvaluatorOptions options)
      : env_(env), db_(db), tables_(db), source_(source), log_(log), options_(options) {}

  // Evaluates every active rule at env's now. Also records the pass in the counters
  // (evaluations, missed passes since the last recorded pass, duration). Fails only when the
  // control database cannot be read; a rule that fails is logged and counted in stats.
  Status RunPass(PassStats* stats);

 private:
  // The rule's aggregate at now (nullopt: no value to compare).
  Result<std::optional<double>> ValueOf(const AlertRule& rule, int64_t now);
  // The rule's transition for value, inside the caller's transaction.
  Status ApplyRule(const AlertRule& rule, std::optional<double> value, int64_t now,
                   PassStats* stats);
  // The incident the state's firing episode opened, if any.
  Result<std::optional<Incident>> IncidentOf(const AlertState& state);
  // Queues kind ("firing" or "resolved") for every usable channel of rule.
  Status Queue(const AlertRule& rule, const AlertState& state, const std::string& kind,
               const std::string& transition, const Incident* incident, int64_t now,
               PassStats* stats);

  Env* env_;
  ControlDb* db_;
  AlertTables tables_;
  WindowSource* source_;
  Logger* log_;
  EvaluatorOptions options_;
};

}  // namespace itslog
