#include "http/alerts_api.h"

#include <string_view>
#include <vector>

#include "alerts/alert_model.h"
#include "alerts/incidents.h"
#include "control/alert_tables.h"
#include "core/json_writer.h"
#include "core/time_util.h"
#include "http/auth.h"
#include "http/error_response.h"
#include "http/query_params.h"
#include "http/router.h"

namespace itslog {

namespace {

Response NotFound(std::string_view what, std::string_view id) {
  return ErrorResponse(
      Status(Code::kNotFound, "not_found", "no " + std::string(what) + " with id " + Quote(id)));
}

AppFilter FilterFor(const ApiKey& key) {
  AppFilter f;
  f.all = key.all_apps;
  f.apps = key.apps;
  return f;
}

// Incidents without an app are seen only by keys for every app.
Status RequireIncidentApp(const ApiKey& key, const Incident& incident) {
  if (key.all_apps) {
    return Status::Ok();
  }
  if (!incident.app) {
    return Status(Code::kForbidden, "app_not_allowed",
                  "key " + Quote(key.name) + " may not see incidents of every app", "app");
  }
  return RequireApp(key, *incident.app);
}

Status RequireAnyScope(const ApiKey& key, Scope a, Scope b) {
  if ((key.scopes & (a | b)) != 0) {
    return Status::Ok();
  }
  return RequireScope(key, a);
}

// Every channel a rule names must exist.
Status CheckChannels(AlertTables* tables, const AlertRule& rule) {
  for (const std::string& id : rule.channels) {
    Result<std::optional<NotificationChannel>> c = tables->GetChannel(id);
    if (!c.ok()) {
      return c.status();
    }
    if (!c.value()) {
      return InvalidError("invalid_field", "no notification channel with id " + Quote(id),
                          "channels");
    }
  }
  return Status::Ok();
}

std::string AlertsJson(const std::vector<AlertListItem>& items) {
  JsonWriter w;
  w.BeginObject().Key("alerts").BeginArray();
  for (const AlertListItem& a : items) {
    w.BeginObject();
    w.Key("rule").BeginObject();
    w.Key("id").String(a.rule.id).Key("name").String(a.rule.name);
    w.Key("severity").String(a.rule.severity).Key("app").String(a.rule.app);
    w.Key("is_active").Bool(a.rule.is_active);
    w.EndObject();
    w.Key("state").String(a.state.state);
    w.Key("since").Raw(TimeJson(a.state.since));
    w.Key("value");
    if (a.state.value) {
      w.Double(*a.state.value);
    } else {
      w.Null();
    }
    w.Key("last_evaluated").Raw(TimeJson(a.state.last_evaluated));
    w.Key("incident_id");
    if (a.state.incident_id.empty()) {
      w.Null();
    } else {
      w.String(a.state.incident_id);
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

std::string DeliveriesJson(const std::vector<OutboxMessage>& messages) {
  JsonWriter w;
  w.BeginObject().Key("deliveries").BeginArray();
  for (const OutboxMessage& m : messages) {
    w.BeginObject();
    w.Key("time").String(FormatIso8601Micros(m.updated_at));
    w.Key("channel").String(m.channel_id);
    w.Key("message_id").String(m.message_id);
    w.Key("rule_id").String(m.rule_id);
    w.Key("type").String("alert." + m.kind);
    w.Key("outcome").String(m.status);
    w.Key("attempts").Int(m.attempts);
    w.Key("http_status");
    if (m.http_status) {
      w.Int(*m.http_status);
    } else {
      w.Null();
    }
    w.Key("error");
    if (m.error.empty()) {
      w.Null();
    } else {
      w.String(m.error);
    }
    w.Key("next_retry");
    if (m.status == "pending") {
      w.String(FormatIso8601Micros(m.next_attempt));
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

}  // namespace

AlertsApi::AlertsApi(const Config* config, Env* env, Logger* log)
    : config_(config), env_(env), log_(log) {}

AlertsApi::~AlertsApi() = default;

Status AlertsApi::EnsureOpen() {
  if (db_ != nullptr) {
    return Status::Ok();
  }
  Result<std::unique_ptr<ControlDb>> opened = ControlDb::Open(ControlDbPath(config_->data_dir));
  if (!opened.ok()) {
    log_->Error("cannot open the control database: " + opened.status().ToString());
    return opened.status().code() == Code::kUnavailable
               ? opened.status()
               : UnavailableError("storage_unavailable", "the control database cannot be used");
  }
  db_ = std::move(opened).value();
  return Status::Ok();
}

std::string AlertsApi::MetricsText() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!EnsureOpen().ok()) {
    return "";
  }
  AlertTables tables(db_.get());
  Result<std::vector<AlertListItem>> alerts = tables.ListAlerts(AppFilter{});
  Result<std::map<std::string, int64_t>> counters = tables.Counters();
  Result<std::map<std::string, int64_t>> outbox = tables.OutboxByStatus();
  if (!alerts.ok() || !counters.ok() || !outbox.ok()) {
    log_->Error("metrics: cannot read the control database");
    db_.reset();
    return "";
  }
  auto label = [](std::string_view v) {
    std::string out;
    for (char c : v) {
      if (c == '\\' || c == '"') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
    }
    return out;
  };
  auto counter = [&](const char* name) {
    auto it = counters->find(name);
    return std::to_string(it == counters->end() ? 0 : it->second);
  };
  std::string out;
  out += "# HELP itslog_alert_state Each alert rule's state: 1 for the state it is in.\n";
  out += "# TYPE itslog_alert_state gauge\n";
  for (const AlertListItem& a : *alerts) {
    for (const char* st : {"ok", "pending", "firing"}) {
      out += "itslog_alert_state{rule=\"" + label(a.rule.id) + "\",name=\"" + label(a.rule.name) +
             "\",state=\"" + st + "\"} " + (a.state.state == st ? "1" : "0") + "\n";
    }
  }
  out += "# HELP itslog_alert_deliveries_total Notification attempts by outcome.\n";
  out += "# TYPE itslog_alert_deliveries_total counter\n";
  for (const char* o : {"delivered", "retried", "failed"}) {
    out += std::string("itslog_alert_deliveries_total{outcome=\"") + o + "\"} " +
           counter((std::string("deliveries_") + o + "_total").c_str()) + "\n";
  }
  out += "# HELP itslog_alert_outbox_messages Notifications in the outbox by status.\n";
  out += "# TYPE itslog_alert_outbox_messages gauge\n";
  for (const char* st : {"pending", "delivered", "failed"}) {
    auto it = outbox->find(st);
    out += std::string("itslog_alert_outbox_messages{status=\"") + st + "\"} " +
           std::to_string(it == outbox->end() ? 0 : it->second) + "\n";
  }
  out += "# HELP itslog_alert_evaluations_total Evaluation passes run.\n";
  out += "# TYPE itslog_alert_evaluations_total counter\n";
  out += "itslog_alert_evaluations_total " + counter("evaluations_total") + "\n";
  out +=
      "# HELP itslog_alert_evaluations_missed_total Evaluation passes skipped (service down or "
      "a pass overran).\n";
  out += "# TYPE itslog_alert_evaluations_missed_total counter\n";
  out += "itslog_alert_evaluations_missed_total " + counter("evaluations_missed_total") + "\n";
  out += "# HELP itslog_alert_evaluation_duration_seconds How long evaluation passes took.\n";
  out += "# TYPE itslog_alert_evaluation_duration_seconds summary\n";
  auto seconds = [&](const char* name) {
    auto it = counters->find(name);
    JsonWriter w;
    w.Double(static_cast<double>(it == counters->end() ? 0 : it->second) / 1e6);
    return w.Take();
  };
  out += "itslog_alert_evaluation_duration_seconds_sum " + seconds("evaluation_micros_sum") + "\n";
  out += "itslog_alert_evaluation_duration_seconds_count " + counter("evaluations_total") + "\n";
  out += "# HELP itslog_alert_last_evaluation_duration_seconds The latest pass's duration.\n";
  out += "# TYPE itslog_alert_last_evaluation_duration_seconds gauge\n";
  out +=
      "itslog_alert_last_evaluation_duration_seconds " + seconds("evaluation_micros_last") + "\n";
  return out;
}

Response AlertsApi::Handle(const Request& request, const ApiKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = EnsureOpen(); !s.ok()) {
    return ErrorResponse(s);
  }
  Response r = Dispatch(request, key);
  if (r.status >= 500) {
    // Drop the connection: the next request opens the file again.
    db_.reset();
  }
  return r;
}

Response AlertsApi::Dispatch(const Request& request, const ApiKey& key) {
  std::vector<std::string_view> s = PathSegments(request.path);  // s[0] == "v1"
  const std::string& m = request.method;
  bool get = m == "GET" || m == "HEAD";
  AlertTables tables(db_.get());
  int64_t now = env_->NowMicros();
  auto fail = [&](const Status& st) {
    if (st.code() == Code::kInternal || st.code() == Code::kCorrupt) {
      log_->Error("alerts api: " + st.ToString());
    }
    return ErrorResponse(st);
  };

  // /v1/alerts
  if (s.size() == 2 && s[1] == "alerts") {
    if (!get) {
      return MethodNotAllowedResponse(request, "GET, HEAD");
    }
    if (Status st = RequireAnyScope(key, kScopeRead, kScopeAdmin); !st.ok()) {
      return fail(st);
    }
    if (Result<QueryParams> q = ParseQuery(request.query, {}); !q.ok()) {
      return fail(q.status());
    }
    Result<std::vector<AlertListItem>> items = tables.ListAlerts(FilterFor(key));
    return items.ok() ? JsonResponse(200, AlertsJson(*items)) : fail(items.status());
  }

  // /v1/alerts/rules[/{id}]
  if (s.size() >= 3 && s[1] == "alerts" && s[2] == "rules" && s.size() <= 4) {
    if (s.size() == 3) {
      if (get) {
        if (Status st = RequireAnyScope(key, kScopeRead, kScopeAdmin); !st.ok()) {
          return fail(st);
        }
        if (Result<QueryParams> q = ParseQuery(request.query, {}); !q.ok()) {
          return fail(q.status());
        }
        Result<std::vector<AlertRule>> rules = tables.ListRules(FilterFor(key));
        if (!rules.ok()) {
          return fail(rules.status());
        }
        std::string body = "{\"rules\":[";
        for (size_t i = 0; i < rules->size(); ++i) {
          body += (i ? "," : "") + RuleJson((*rules)[i]);
        }
        return JsonResponse(200, body + "]}");
      }
      if (m != "POST") {
        return MethodNotAllowedResponse(request, "GET, HEAD, POST");
      }
      if (Status st = RequireScope(key, kScopeAdmin); !st.ok()) {
        return fail(st);
      }
      Result<AlertRule> rule = ParseRuleBody(request.body, nullptr);
      if (!rule.ok()) {
        return fail(rule.status());
      }
      if (Status st = RequireApp(key, rule->app); !st.ok()) {
        return fail(Status(st.code(), st.reason(), st.message(), "query.app"));
      }
      rule->id = NewId("rul_");
      rule->created_at = rule->updated_at = now;
      Status st = db_->InTransaction([&] {
        if (Status c = CheckChannels(&tables, *rule); !c.ok()) {
          return c;
        }
        return tables.InsertRule(*rule);
      });
      return st.ok() ? JsonResponse(201, RuleJson(*rule)) : fail(st);
    }
    std::string id(s[3]);
    bool put = m == "PUT", del = m == "DELETE";
    if (!get && !put && !del) {
      return MethodNotAllowedResponse(request, "GET, HEAD, PUT, DELETE");
    }
    if (Status st =
            get ? RequireAnyScope(key, kScopeRead, kScopeAdmin) : RequireScope(key, kScopeAdmin);
        !st.ok()) {
      return fail(st);
    }
    Result<std::optional<AlertRule>> found = tables.GetRule(id);
    if (!found.ok()) {
      return fail(found.status());
    }
    if (!found.value()) {
      return NotFound("rule", id);
    }
    if (Status st = RequireApp(key, (*found)->app); !st.ok()) {
      return fail(st);
    }
    if (get) {
      return JsonResponse(200, RuleJson(**found));
    }
    if (del) {
      Result<bool> gone = tables.DeleteRule(id);
      return gone.ok() ? NoContentResponse() : fail(gone.status());
    }
    Result<AlertRule> rule = ParseRuleBody(request.body, &**found);
    if (!rule.ok()) {
      return fail(rule.status());
    }
    if (Status st = RequireApp(key, rule->app); !st.ok()) {
      return fail(Status(st.code(), st.reason(), st.message(), "query.app"));
    }
    rule->updated_at = now;
    Status st = db_->InTransaction([&] {
      if (Status c = CheckChannels(&tables, *rule); !c.ok()) {
        return c;
      }
      return tables.UpdateRule(*rule);
    });
    return st.ok() ? JsonResponse(200, RuleJson(*rule)) : fail(st);
  }

  // /v1/notifications/channels[/{id}], /v1/notifications/deliveries
  if (s.size() >= 3 && s[1] == "notifications") {
    if (s[2] == "deliveries" && s.size() == 3) {
      if (!get) {
        return MethodNotAllowedResponse(request, "GET, HEAD");
      }
      if (Status st = RequireScope(key, kScopeAdmin); !st.ok()) {
        return fail(st);
      }
      Result<QueryParams> q = ParseQuery(request.query, {"channel", "limit"});
      if (!q.ok()) {
        return fail(q.status());
      }
      int64_t limit = 100;
      if (std::optional<std::string> l = q->Get("limit")) {
        Result<int64_t> n = ParseIntParam("limit", *l, 1, 1000);
        if (!n.ok()) {
          return fail(n.status());
        }
        limit = *n;
      }
      std::string channel = q->Get("channel").value_or("");
      if (q->Has("channel") && (channel.empty() || channel.size() > 64)) {
        return fail(InvalidError("invalid_parameter", "channel must be a channel id", "channel"));
      }
      Result<std::vector<OutboxMessage>> list = tables.ListDeliveries(channel, limit);
      return list.ok() ? JsonResponse(200, DeliveriesJson(*list)) : fail(list.status());
    }
    if (s[2] != "channels" || s.size() > 4) {
      return ErrorResponse(
          Status(Code::kNotFound, "not_found", "no such endpoint: " + Quote(request.path)));
    }
    if (s.size() == 3) {
      if (!get && m != "POST") {
        return MethodNotAllowedResponse(request, "GET, HEAD, POST");
      }
      if (Status st = RequireScope(key, kScopeAdmin); !st.ok()) {
        return fail(st);
      }
      if (get) {
        if (Result<QueryParams> q = ParseQuery(request.query, {}); !q.ok()) {
          return fail(q.status());
        }
        Result<std::vector<NotificationChannel>> list = tables.ListChannels();
        if (!list.ok()) {
          return fail(list.status());
        }
        std::string body = "{\"channels\":[";
        for (size_t i = 0; i < list->size(); ++i) {
          body += (i ? "," : "") + ChannelJson((*list)[i]);
        }
        return JsonResponse(200, body + "]}");
      }
      Result<NotificationChannel> channel = ParseChannelBody(request.body);
      if (!channel.ok()) {
        return fail(channel.status());
      }
      channel->id = NewId("chn_");
      channel->created_at = now;
      Status st = tables.InsertChannel(*channel);
      return st.ok() ? JsonResponse(201, ChannelJson(*channel)) : fail(st);
    }
    std::string id(s[3]);
    if (m != "DELETE" && !get) {
      return MethodNotAllowedResponse(request, "GET, HEAD, DELETE");
    }
    if (Status st = RequireScope(key, kScopeAdmin); !st.ok()) {
      return fail(st);
    }
    if (get) {
      Result<std::optional<NotificationChannel>> c = tables.GetChannel(id);
      if (!c.ok()) {
        return fail(c.status());
      }
      return *c ? JsonResponse(200, ChannelJson(**c)) : NotFound("channel", id);
    }
    Result<bool> gone = tables.DeleteChannel(id);
    if (!gone.ok()) {
      return fail(gone.status());
    }
    return *gone ? NoContentResponse() : NotFound("channel", id);
  }

  // /v1/incidents[/{id}[/timeline]]
  if (s[1] == "incidents" && s.size() <= 4) {
    if (s.size() == 2) {
      if (get) {
        if (Status st = RequireAnyScope(key, kScopeRead, kScopeAdmin); !st.ok()) {
          return fail(st);
        }
        Result<QueryParams> q = ParseQuery(request.query, {"status"});
        if (!q.ok()) {
          return fail(q.status());
        }
        std::string status = q->Get("status").value_or("");
        if (q->Has("status") && status != "triggered" && status != "acknowledged" &&
            status != "resolved") {
          return fail(InvalidError("invalid_parameter",
                                   "status must be triggered, acknowledged or resolved", "status"));
        }
        Result<std::vector<Incident>> list = tables.ListIncidents(status, FilterFor(key));
        if (!list.ok()) {
          return fail(list.status());
        }
        std::string body = "{\"incidents\":[";
        for (size_t i = 0; i < list->size(); ++i) {
          body += (i ? "," : "") + IncidentJson((*list)[i], nullptr);
        }
        return JsonResponse(200, body + "]}");
      }
      if (m != "POST") {
        return MethodNotAllowedResponse(request, "GET, HEAD, POST");
      }
      if (Status st = RequireAnyScope(key, kScopeIncidents, kScopeAdmin); !st.ok()) {
        return fail(st);
      }
      Result<Incident> incident = ParseIncidentBody(request.body);
      if (!incident.ok()) {
        return fail(incident.status());
      }
      if (Status st = RequireIncidentApp(key, *incident); !st.ok()) {
        return fail(st);
      }
      Status st =
          db_->InTransaction([&] { return OpenIncident(&tables, &*incident, key.name, now); });
      return st.ok() ? JsonResponse(201, IncidentJson(*incident, nullptr)) : fail(st);
    }
    std::string id(s[2]);
    bool timeline = s.size() == 4;
    if (timeline && s[3] != "timeline") {
      return ErrorResponse(
          Status(Code::kNotFound, "not_found", "no such endpoint: " + Quote(request.path)));
    }
    if (timeline ? m != "POST" : (!get && m != "PATCH")) {
      return MethodNotAllowedResponse(request, timeline ? "POST" : "GET, HEAD, PATCH");
    }
    if (Status st = get ? RequireAnyScope(key, kScopeRead, kScopeAdmin)
                        : RequireAnyScope(key, kScopeIncidents, kScopeAdmin);
        !st.ok()) {
      return fail(st);
    }
    Result<std::optional<Incident>> found = tables.GetIncident(id);
    if (!found.ok()) {
      return fail(found.status());
    }
    if (!found.value()) {
      return NotFound("incident", id);
    }
    Incident incident = **found;
    if (Status st = RequireIncidentApp(key, incident); !st.ok()) {
      return fail(st);
    }
    if (get) {
      Result<std::vector<TimelineEntry>> entries = tables.Timeline(id);
      return entries.ok() ? JsonResponse(200, IncidentJson(incident, &*entries))
                          : fail(entries.status());
    }
    if (timeline) {
      Result<std::string> content = ParseCommentBody(request.body);
      if (!content.ok()) {
        return fail(content.status());
      }
      TimelineEntry entry{"comment", *content, key.name, now};
      Status st = tables.AppendTimeline(id, entry);
      if (!st.ok()) {
        return fail(st);
      }
      JsonWriter w;
      w.BeginObject();
      w.Key("event_type").String(entry.event_type).Key("content").String(entry.content);
      w.Key("actor").String(entry.actor).Key("time").String(FormatIso8601Micros(entry.time));
      w.EndObject();
      return JsonResponse(201, w.Take());
    }
    Result<std::string> status = ParseIncidentPatch(request.body);
    if (!status.ok()) {
      return fail(status.status());
    }
    Status st = db_->InTransaction([&] {
      // Re-read inside the transaction: the alerts service may have resolved it meanwhile.
      Result<std::optional<Incident>> fresh = tables.GetIncident(id);
      if (!fresh.ok()) {
        return fresh.status();
      }
      incident = **fresh;
      return ChangeIncidentStatus(&tables, &incident, *status, key.name,
                                  *status + " by " + key.name, now);
    });
    if (!st.ok()) {
      return fail(st);
    }
    Result<std::vector<TimelineEntry>> entries = tables.Timeline(id);
    return entries.ok() ? JsonResponse(200, IncidentJson(incident, &*entries))
                        : fail(entries.status());
  }
  return ErrorResponse(
      Status(Code::kNotFound, "not_found", "no such endpoint: " + Quote(request.path)));
}

}  // namespace itslog
