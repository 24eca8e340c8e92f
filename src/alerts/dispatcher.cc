#include "alerts/dispatcher.h"

#include <algorithm>
#include <cctype>
#include <random>

#include "alerts/webhook_signature.h"
#include "core/json_writer.h"
#include "event/json_value.h"

namespace itslog {

namespace {

constexpr int64_t kMicros = 1000000;

bool Retryable(int status) {
  return status == 0 || status == 408 || status == 429 || status >= 500;
}

// PagerDuty Events API v2: trigger on firing, resolve on resolved, one dedup_key per episode.
std::string PagerDutyBody(const NotificationChannel& channel, const OutboxMessage& m) {
  std::string dedup = m.transition.substr(0, m.transition.find('/', m.transition.find('/') + 1));
  std::string name = m.rule_id, severity = "warning", value = "null", threshold;
  if (Result<JsonValue> p = ParseJsonValue(m.payload); p.ok()) {
    if (const JsonValue* rule = p->Find("rule")) {
      if (const JsonValue* n = rule->Find("name")) {
        name = n->string;
      }
      if (const JsonValue* s = rule->Find("severity")) {
        severity = s->string;
      }
    }
    if (const JsonValue* v = p->Find("value");
        v != nullptr && v->kind == JsonValue::Kind::kNumber) {
      JsonWriter w;
      w.Double(v->number);
      value = w.Take();
    }
    if (const JsonValue* t = p->Find("threshold")) {
      JsonWriter w;
      w.Double(t->number);
      threshold = w.Take();
    }
  }
  JsonWriter w;
  w.BeginObject();
  w.Key("routing_key").String(channel.routing_key);
  w.Key("event_action").String(m.kind == "resolved" ? "resolve" : "trigger");
  w.Key("dedup_key").String(dedup);
  if (m.kind != "resolved") {
    w.Key("payload").BeginObject();
    w.Key("summary").String(name + ": value " + value + ", threshold " + threshold);
    w.Key("source").String("itslog");
    w.Key("severity").String(severity);
    w.Key("custom_details").Raw(m.payload);
    w.EndObject();
  }
  w.EndObject();
  return w.Take();
}

// A channel id as the end of a variable name: upper-cased, other characters than letters and
// digits as '_' ("chn_1a2b" -> "CHN_1A2B").
std::string EnvSuffix(const std::string& id) {
  std::string out;
  for (char ch : id) {
    out += std::isalnum(static_cast<unsigned char>(ch))
               ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch)))
               : '_';
  }
  return out;
}

}  // namespace

int64_t BackoffMicros(const DispatcherOptions& options, int64_t attempts, double jitter) {
  int64_t delay_ms = options.backoff_initial_ms;
  for (int64_t i = 1; i < attempts && delay_ms < options.backoff_max_ms; ++i) {
    delay_ms *= 2;
  }
  delay_ms = std::min(delay_ms, options.backoff_max_ms);
  double jittered = static_cast<double>(delay_ms) * (0.5 + 0.5 * jitter);
  return static_cast<int64_t>(jittered * 1000);
}

Result<OutgoingRequest> BuildRequest(const NotificationChannel& channel,
                                     const OutboxMessage& message, int64_t now_micros) {
  OutgoingRequest req;
  if (channel.channel_type == "pagerduty") {
    req.url = channel.endpoint.empty() ? kPagerDutyEndpoint : channel.endpoint;
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = PagerDutyBody(channel, message);
    return req;
  }
  req.url = channel.url;
  req.body = message.payload;
  int64_t timestamp = now_micros / kMicros;
  Result<std::string> signature =
      SignWebhook(channel.secret, message.message_id, timestamp, req.body);
  if (!signature.ok()) {
    return signature.status();
  }
  // Custom headers cannot be named like ours (checked when the channel was made); ours come
  // last all the same.
  for (const auto& [name, value] : channel.headers) {
    req.headers.emplace_back(name, value);
  }
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("webhook-id", message.message_id);
  req.headers.emplace_back("webhook-timestamp", std::to_string(timestamp));
  req.headers.emplace_back("webhook-signature", *signature);
  return req;
}

Status Dispatcher::DeliverDue(DeliveryStats* stats, int max_messages) {
  Result<std::vector<OutboxMessage>> due = tables_.DueMessages(env_->NowMicros(), max_messages);
  if (!due.ok()) {
    return due.status();
  }
  for (OutboxMessage& m : *due) {
    if (Status s = Deliver(std::move(m), stats); !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

Status Dispatcher::Deliver(OutboxMessage m, DeliveryStats* stats) {
  Result<std::optional<NotificationChannel>> channel = tables_.GetChannel(m.channel_id);
  if (!channel.ok()) {
    return channel.status();
  }
  HttpPostResult res;
  bool attempted = false;
  std::string channel_name = *channel ? (*channel)->name : m.channel_id;
  if (!*channel) {
    res.error = "the channel was deleted";
  } else if ((*channel)->disabled_at) {
    res.error = "the channel is disabled: " + (*channel)->disabled_reason;
  } else {
    // The environment may hold the secret instead of control.sqlite (docs/OPERATIONS.md,
    // "Channels and delivery").
    NotificationChannel& c = **channel;
    std::string suffix = EnvSuffix(c.id);
    if (std::optional<std::string> v = env_->GetVar("ITSLOG_WEBHOOK_SECRET_" + suffix);
        v && !v->empty()) {
      c.secret = *v;
    }
    if (std::optional<std::string> v = env_->GetVar("ITSLOG_PAGERDUTY_ROUTING_KEY_" + suffix);
        v && !v->empty()) {
      c.routing_key = *v;
    }
    Result<OutgoingRequest> req = BuildRequest(c, m, env_->NowMicros());
    if (!req.ok()) {
      res.error = req.status().message();
    } else {
      res = post_(req->url, req->headers, req->body);
      attempted = true;
    }
  }
  int64_t now = env_->NowMicros();
  if (attempted) {
    ++m.attempts;
  }
  m.updated_at = now;
  m.http_status = res.status != 0 ? std::optional<int64_t>(res.status) : std::nullopt;
  bool disable = false;
  if (attempted && res.status >= 200 && res.status < 300) {
    m.status = "delivered";
    m.error.clear();
  } else if (attempted && res.status == 410) {
    m.status = "failed";
    m.error = "the endpoint answered 410 Gone; the channel is disabled";
    disable = true;
  } else if (attempted && !res.refused_address && Retryable(res.status)) {
    int64_t delay;
    if (res.retry_after_seconds) {
      delay = std::min(*res.retry_after_seconds, options_.backoff_max_ms / 1000) * kMicros;
    } else {
      static thread_local std::mt19937_64 rng{std::random_device{}()};
      delay = BackoffMicros(options_, m.attempts,
                            std::uniform_real_distribution<double>(0.0, 1.0)(rng));
    }
    m.error = res.status != 0 ? "HTTP " + std::to_string(res.status) : res.error;
    if (now + delay > m.deadline) {
      m.status = "failed";
      m.error = "gave up after " + std::to_string(m.attempts) + " attempts; last: " + m.error;
    } else {
      m.status = "pending";
      m.next_attempt = now + delay;
    }
  } else {
    m.status = "failed";
    if (res.status >= 300 && res.status < 400) {
      m.error = "HTTP " + std::to_string(res.status) + ": redirects are not followed";
    } else if (res.status != 0) {
      m.error = "HTTP " + std::to_string(res.status);
    } else {
      m.error = res.error;
    }
  }
  if (m.status == "delivered") {
    ++stats->delivered;
  } else if (m.status == "pending") {
    ++stats->retried;
  } else {
    ++stats->failed;
  }
  if (m.status != "delivered") {
    log_->Warning("alerts: message " + m.message_id + " to channel " + m.channel_id + ": " +
                  m.error + (m.status == "pending" ? " (will retry)" : ""));
  }
  return db_->InTransaction([&]() -> Status {
    // A resolved message may have superseded this one during the attempt: a failure then
    // keeps that verdict.
    Result<std::optional<OutboxMessage>> current = tables_.GetMessage(m.id);
    if (!current.ok()) {
      return current.status();
    }
    if (!*current || ((*current)->status != "pending" && m.status != "delivered")) {
      return Status::Ok();
    }
    if (Status s = tables_.UpdateMessage(m); !s.ok()) {
      return s;
    }
    std::string outcome = m.status == "pending" ? "retried" : m.status;
    if (Status s = tables_.AddCounter("deliveries_" + outcome + "_total", 1); !s.ok()) {
      return s;
    }
    if (disable) {
      if (Status s = tables_.DisableChannel(m.channel_id, now, "the endpoint answered 410 Gone");
          !s.ok()) {
        return s;
      }
    }
    if (!m.incident_id.empty() && m.status != "pending") {
      bool ok = m.status == "delivered";
      TimelineEntry e{ok ? "notified" : "notify_failed",
                      "alert." + m.kind + " to " + channel_name + " (" + m.message_id + ")" +
                          (ok ? "" : ": " + m.error),
                      "itslog", now};
      Result<std::optional<Incident>> inc = tables_.GetIncident(m.incident_id);
      if (!inc.ok()) {
        return inc.status();
      }
      if (*inc) {
        return tables_.AppendTimeline(m.incident_id, e);
      }
    }
    return Status::Ok();
  });
}

}  // namespace itslog
