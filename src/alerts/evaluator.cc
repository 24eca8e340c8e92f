#include "alerts/evaluator.h"

#include "alerts/incidents.h"
#include "core/json_writer.h"
#include "core/time_util.h"

namespace itslog {

namespace {

constexpr int64_t kMicros = 1000000;

std::string FormatNumber(double v) {
  JsonWriter w;
  w.Double(v);
  return w.Take();
}

// The webhook body of the contract (docs/API.md, "Notifications").
std::string Payload(const std::string& kind, const AlertRule& rule, const AlertState& state,
                    const Incident* incident, int64_t now) {
  JsonWriter w;
  w.BeginObject();
  w.Key("type").String("alert." + kind);
  w.Key("rule").BeginObject();
  w.Key("id").String(rule.id).Key("name").String(rule.name).Key("severity").String(rule.severity);
  w.EndObject();
  w.Key("value");
  if (state.value) {
    w.Double(*state.value);
  } else {
    w.Null();
  }
  w.Key("threshold").Double(rule.threshold);
  w.Key("window").BeginObject();
  w.Key("from").String(FormatIso8601Micros(now - rule.window_seconds * kMicros));
  w.Key("to").String(FormatIso8601Micros(now));
  w.EndObject();
  w.Key("incident");
  if (incident != nullptr) {
    w.BeginObject().Key("id").String(incident->id).Key("status").String(incident->status);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("time").String(FormatIso8601Micros(now));
  w.EndObject();
  return w.Take();
}

}  // namespace

std::optional<double> RuleValue(const AlertRule& rule, const WindowAggregate& agg) {
  if (rule.aggregate == "count") {
    return static_cast<double>(agg.count);
  }
  if (rule.aggregate == "sum") {
    return agg.sum;
  }
  if (agg.numeric == 0) {
    return std::nullopt;
  }
  if (rule.aggregate == "min") {
    return agg.min;
  }
  if (rule.aggregate == "max") {
    return agg.max;
  }
  return agg.sum / static_cast<double>(agg.numeric);  // avg
}

bool ConditionMet(const AlertRule& rule, std::optional<double> value) {
  if (!value) {
    return false;
  }
  const std::string& c = rule.comparator;
  return c == ">="   ? *value >= rule.threshold
         : c == ">"  ? *value > rule.threshold
         : c == "<=" ? *value <= rule.threshold
                     : *value < rule.threshold;
}

Status Evaluator::RunPass(PassStats* stats) {
  *stats = PassStats{};
  int64_t started = env_->MonotonicMicros();
  int64_t now = env_->NowMicros();
  Result<std::map<std::string, int64_t>> counters = tables_.Counters();
  if (!counters.ok()) {
    return counters.status();
  }
  int64_t interval = options_.interval_seconds * kMicros;
  if (auto it = counters->find("last_pass_at"); it != counters->end() && it->second > 0) {
    int64_t gap = now - it->second;
    // A pass is missed when a whole interval went by without one (the service was down or a
    // pass overran); those are skipped, not replayed.
    if (gap >= 2 * interval) {
      stats->missed = gap / interval - 1;
    }
  }
  Result<std::vector<AlertRule>> rules = tables_.ListRules(AppFilter{});
  if (!rules.ok()) {
    return rules.status();
  }
  source_->BeginPass(now);
  // The aggregates first (reading day files), then every rule's transition in one write
  // transaction, each rule inside a savepoint so that one that fails leaves the others.
  std::vector<std::pair<const AlertRule*, std::optional<double>>> evaluated;
  for (const AlertRule& rule : *rules) {
    if (!rule.is_active) {
      continue;
    }
    ++stats->rules;
    Result<std::optional<double>> value = ValueOf(rule, now);
    if (!value.ok()) {
      ++stats->errors;
      log_->Error("alerts: rule " + rule.id + " (" + Quote(rule.name) +
                  ") not evaluated: " + value.status().ToString());
      continue;
    }
    evaluated.emplace_back(&rule, *value);
  }
  return db_->InTransaction([&]() -> Status {
    for (const auto& [rule, value] : evaluated) {
      if (Status s = ExecSql(db_->db(), "SAVEPOINT rule", "cannot write " + db_->path()); !s.ok()) {
        return s;
      }
      Status applied = ApplyRule(*rule, value, now, stats);
      const char* end = applied.ok() ? "RELEASE rule" : "ROLLBACK TO rule; RELEASE rule";
      if (Status s = ExecSql(db_->db(), end, "cannot write " + db_->path()); !s.ok()) {
        return s;
      }
      if (!applied.ok()) {
        ++stats->errors;
        log_->Error("alerts: rule " + rule->id + " (" + Quote(rule->name) +
                    ") not evaluated: " + applied.ToString());
      }
    }
    stats->micros = env_->MonotonicMicros() - started;
    for (auto [name, delta] : {std::pair<const char*, int64_t>{"evaluations_total", 1},
                               {"evaluations_missed_total", stats->missed},
                               {"evaluation_errors_total", stats->errors},
                               {"evaluation_micros_sum", stats->micros}}) {
      if (Status s = tables_.AddCounter(name, delta); !s.ok()) {
        return s;
      }
    }
    if (Status s = tables_.SetCounter("evaluation_micros_last", stats->micros); !s.ok()) {
      return s;
    }
    return tables_.SetCounter("last_pass_at", now);
  });
}

Status Evaluator::Queue(const AlertRule& rule, const AlertState& state, const std::string& kind,
                        const std::string& transition, const Incident* incident, int64_t now,
                        PassStats* stats) {
  std::string payload = Payload(kind, rule, state, incident, now);
  for (const std::string& channel_id : rule.channels) {
    Result<std::optional<NotificationChannel>> channel = tables_.GetChannel(channel_id);
    if (!channel.ok()) {
      return channel.status();
    }
    if (!*channel || (*channel)->disabled_at) {
      continue;  // deleted, or disabled after a 410: nothing to send to
    }
    OutboxMessage m;
    m.message_id = NewId("msg_");
    m.channel_id = channel_id;
    m.rule_id = rule.id;
    m.transition = transition;
    m.kind = kind;
    m.payload = payload;
    m.incident_id = incident != nullptr ? incident->id : "";
    m.created_at = now;
    m.next_attempt = now;
    m.deadline = now + options_.retry_for_seconds * kMicros;
    Result<bool> queued = tables_.Enqueue(m);
    if (!queued.ok()) {
      return queued.status();
    }
    stats->queued += *queued ? 1 : 0;
  }
  return Status::Ok();
}

Result<std::optional<Incident>> Evaluator::IncidentOf(const AlertState& state) {
  if (state.incident_id.empty()) {
    return std::optional<Incident>();
  }
  return tables_.GetIncident(state.incident_id);
}

Result<std::optional<double>> Evaluator::ValueOf(const AlertRule& rule, int64_t now) {
  Result<WindowAggregate> agg = source_->Aggregate(
      rule.app, rule.event, now - rule.window_seconds * kMicros, now, rule.aggregate != "count");
  if (!agg.ok()) {
    return agg.status();
  }
  return RuleValue(rule, *agg);
}

Status Evaluator::ApplyRule(const AlertRule& rule, std::optional<double> value, int64_t now,
                            PassStats* stats) {
  bool met = ConditionMet(rule, value);
  {
    Result<std::optional<AlertState>> stored = tables_.GetState(rule.id);
    if (!stored.ok()) {
      return stored.status();
    }
    AlertState state;
    if (*stored) {
      state = **stored;
    } else {
      state.rule_id = rule.id;
      state.since = now;
    }
    state.value = value;
    state.last_evaluated = now;
    std::string episode = rule.id + "/" + std::to_string(state.fired_at) + "/";
    if (met && state.state == "ok" && rule.for_seconds > 0) {
      state.state = "pending";
      state.since = now;
    } else if (met && (state.state == "ok" || (state.state == "pending" &&
                                               now - state.since >= rule.for_seconds * kMicros))) {
      state.state = "firing";
      state.since = now;
      state.fired_at = now;
      state.last_notified = now;
      state.repeats = 0;
      state.incident_id.clear();
      std::optional<Incident> incident;
      if (rule.create_incident) {
        Result<std::optional<Incident>> open = tables_.OpenIncidentForRule(rule.id);
        if (!open.ok()) {
          return open.status();
        }
        incident = *open;
        if (!incident) {
          Incident fresh;
          fresh.title = rule.name;
          fresh.severity = rule.severity;
          fresh.app = rule.app;
          fresh.rule_id = rule.id;
          if (Status s = OpenIncident(&tables_, &fresh, kServiceActor, now); !s.ok()) {
            return s;
          }
          incident = fresh;
        }
        state.incident_id = incident->id;
      }
      std::string transition = rule.id + "/" + std::to_string(now) + "/firing";
      if (Status s =
              Queue(rule, state, "firing", transition, incident ? &*incident : nullptr, now, stats);
          !s.ok()) {
        return s;
      }
    } else if (met && state.state == "firing") {
      // Repeat while firing and not acknowledged.
      Result<std::optional<Incident>> found = IncidentOf(state);
      if (!found.ok()) {
        return found.status();
      }
      std::optional<Incident> incident = *found;
      bool acknowledged = incident && incident->status != "triggered";
      if (!acknowledged && now - state.last_notified >= options_.repeat_seconds * kMicros) {
        state.last_notified = now;
        ++state.repeats;
        std::string transition = episode + "repeat/" + std::to_string(state.repeats);
        if (Status s = Queue(rule, state, "firing", transition, incident ? &*incident : nullptr,
                             now, stats);
            !s.ok()) {
          return s;
        }
      }
    } else if (!met && state.state == "pending") {
      state.state = "ok";
      state.since = now;
    } else if (!met && state.state == "firing") {
      state.state = "ok";
      state.since = now;
      Result<std::optional<Incident>> found = IncidentOf(state);
      if (!found.ok()) {
        return found.status();
      }
      std::optional<Incident> incident = *found;
      {
        if (incident && incident->status != "resolved") {
          std::string content = "the rule resolved: " + rule.aggregate + " is " +
                                (value ? FormatNumber(*value) : std::string("null"));
          if (Status s = ChangeIncidentStatus(&tables_, &*incident, "resolved", kServiceActor,
                                              content, now);
              !s.ok()) {
            return s;
          }
        }
      }
      if (Result<int64_t> n = tables_.SupersedeFiring(rule.id, state.fired_at, now); !n.ok()) {
        return n.status();
      }
      if (Status s = Queue(rule, state, "resolved", episode + "resolved",
                           incident ? &*incident : nullptr, now, stats);
          !s.ok()) {
        return s;
      }
      state.incident_id.clear();
    }
    return tables_.PutState(state);
  }
}

}  // namespace itslog
