// AlertTables: the alerting tables of the control database (control/migrations.cc, step
// "alerts"): rules, channels, alert states, the delivery outbox, incidents and their
// append-only timelines, and the alerts service's counters. Every call blocks on SQLite and
// fails as SqliteStatus (store/sqlite_util.h); used by one thread at a time.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert_model.h"
#include "control/control_db.h"

namespace itslog {

// Which apps a listing may show: every app, or these.
struct AppFilter {
  bool all = true;
  std::vector<std::string> apps;
  bool Allows(const std::optional<std::string>& app) const;
};

// One message of the outbox, for one channel.
struct OutboxMessage {
  int64_t id = 0;
  std::string message_id;  // webhook-id: the same on every attempt
  std::string channel_id;
  std::string rule_id;
  std::string transition;  // "<rule>/<episode start>/<kind>[/<n>]": one row per transition
  std::string kind;        // firing | resolved
  std::string payload;     // the JSON body, as signed
  std::string incident_id;
  int64_t created_at = 0;
  int64_t deadline = 0;            // retries stop after this
  std::string status = "pending";  // pending | delivered | failed
  int64_t attempts = 0;
  int64_t next_attempt = 0;
  std::optional<int64_t> http_status;
  std::string error;
  int64_t updated_at = 0;
};

struct AlertListItem {
  AlertRule rule;
  AlertState state;
};

class AlertTables {
 public:
  explicit AlertTables(ControlDb* db) : db_(db) {}

  ControlDb* control() const { return db_; }

  // Rules.
  Status InsertRule(const AlertRule& rule);
  Status UpdateRule(const AlertRule& rule);
  Result<bool> DeleteRule(const std::string& id);  // false: no such rule
  Result<std::optional<AlertRule>> GetRule(const std::string& id);
  Result<std::vector<AlertRule>> ListRules(const AppFilter& apps);

  // Channels (with their secrets: the API never writes those out).
  Status InsertChannel(const NotificationChannel& channel);
  Result<bool> DeleteChannel(const std::string& id);
  Result<std::optional<NotificationChannel>> GetChannel(const std::string& id);
  Result<std::vector<NotificationChannel>> ListChannels();
  Status DisableChannel(const std::string& id, int64_t now, const std::string& reason);

  // Alert states; a rule never evaluated has none (it is "ok").
  Result<std::optional<AlertState>> GetState(const std::string& rule_id);
  Status PutState(const AlertState& state);
  Result<std::vector<AlertListItem>> ListAlerts(const AppFilter& apps);

  // The outbox. Enqueue ignores a (transition, channel) already queued: false then.
  Result<bool> Enqueue(const OutboxMessage& message);
  Result<std::vector<OutboxMessage>> DueMessages(int64_t now, int limit);
  // The earliest next_attempt of a pending message, if any.
  Result<std::optional<int64_t>> NextDue();
  Result<std::optional<OutboxMessage>> GetMessage(int64_t id);
  Status UpdateMessage(const OutboxMessage& message);
  // Marks the still-pending messages of a rule's firing episode as failed ("superseded"):
  // a resolved message replaces them. Returns how many.
  Result<int64_t> SupersedeFiring(const std::string& rule_id, int64_t fired_at, int64_t now);
  // Newest first; channel empty: every channel.
  Result<std::vector<OutboxMessage>> ListDeliveries(const std::string& channel, int64_t limit);

  // Incidents and their timelines.
  Status InsertIncident(const Incident& incident);
  Status UpdateIncident(const Incident& incident);
  Result<std::optional<Incident>> GetIncident(const std::string& id);
  Result<std::vector<Incident>> ListIncidents(const std::string& status, const AppFilter& apps);
  Result<std::optional<Incident>> OpenIncidentForRule(const std::string& rule_id);
  Status AppendTimeline(const std::string& incident_id, const TimelineEntry& entry);
  Result<std::vector<TimelineEntry>> Timeline(const std::string& incident_id);

  // The alerts service's counters (itslog_alert_* in /metrics).
  Status AddCounter(const std::string& name, int64_t delta);
  Status SetCounter(const std::string& name, int64_t value);
  Result<std::map<std::string, int64_t>> Counters();
  // Outbox rows per status.
  Result<std::map<std::string, int64_t>> OutboxByStatus();

 private:
  // (text, integer) rows of sql as a map.
  Result<std::map<std::string, int64_t>> NamedNumbers(const char* sql);

  ControlDb* db_;
};

}  // namespace itslog
