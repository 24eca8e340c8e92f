#include "control/alert_tables.h"

#include <sqlite3.h>

#include <algorithm>

#include "core/json_writer.h"
#include "event/json_value.h"

namespace itslog {

namespace {

// A statement on the control database.
SqlQuery Query(ControlDb* db, std::string_view sql) {
  return SqlQuery(db->db(), sql, "cannot read the control database",
                  "cannot use the control database");
}

// "SELECT <columns> FROM <rest>".
std::string Select(const char* columns, std::string_view rest) {
  return std::string("SELECT ") + columns + " FROM " + std::string(rest);
}

// rows without those whose app (app(row)) the filter hides.
template <typename T, typename App>
Result<std::vector<T>> Allowed(Result<std::vector<T>> rows, const AppFilter& apps, App app) {
  if (rows.ok()) {
    std::erase_if(*rows, [&](const T& row) { return !apps.Allows(app(row)); });
  }
  return rows;
}

// false when the statement changed no row.
Result<bool> AnyChanged(Result<int64_t> changes) {
  if (!changes.ok()) {
    return changes.status();
  }
  return *changes > 0;
}

std::string IdsJson(const std::vector<std::string>& ids) {
  JsonWriter w;
  w.BeginArray();
  for (const std::string& id : ids) {
    w.String(id);
  }
  w.EndArray();
  return w.Take();
}

std::vector<std::string> IdsFromJson(const std::string& text) {
  std::vector<std::string> out;
  Result<JsonValue> v = ParseJsonValue(text);
  if (v.ok()) {
    for (const JsonValue& item : v->items) {
      out.push_back(item.string);
    }
  }
  return out;
}

std::string ChannelConfigJson(const NotificationChannel& c) {
  JsonWriter w;
  w.BeginObject();
  if (c.channel_type == "webhook") {
    w.Key("url").String(c.url).Key("secret").String(c.secret).Key("headers").BeginObject();
    for (const auto& [name, value] : c.headers) {
      w.Key(name).String(value);
    }
    w.EndObject();
  } else {
    w.Key("routing_key").String(c.routing_key).Key("endpoint").String(c.endpoint);
  }
  w.EndObject();
  return w.Take();
}

void ChannelConfigFromJson(const std::string& text, NotificationChannel* c) {
  Result<JsonValue> v = ParseJsonValue(text);
  if (!v.ok()) {
    return;
  }
  auto str = [&](const char* key) {
    const JsonValue* m = v->Find(key);
    return m != nullptr ? m->string : std::string();
  };
  c->url = str("url");
  c->secret = str("secret");
  c->routing_key = str("routing_key");
  c->endpoint = str("endpoint");
  if (const JsonValue* h = v->Find("headers")) {
    for (const auto& [name, value] : h->members) {
      c->headers.emplace_back(name, value.string);
    }
  }
}

constexpr const char* kRuleColumns =
    "id, name, app, event, aggregate, comparator, threshold, window_seconds, for_seconds, "
    "severity, channels, create_incident, is_active, created_at, updated_at";

AlertRule RuleFrom(const SqlQuery& q) {
  AlertRule r;
  r.id = q.ColumnText(0);
  r.name = q.ColumnText(1);
  r.app = q.ColumnText(2);
  r.event = q.ColumnOptText(3);
  r.aggregate = q.ColumnText(4);
  r.comparator = q.ColumnText(5);
  r.threshold = q.ColumnReal(6);
  r.window_seconds = q.ColumnInt(7);
  r.for_seconds = q.ColumnInt(8);
  r.severity = q.ColumnText(9);
  r.channels = IdsFromJson(q.ColumnText(10));
  r.create_incident = q.ColumnInt(11) != 0;
  r.is_active = q.ColumnInt(12) != 0;
  r.created_at = q.ColumnInt(13);
  r.updated_at = q.ColumnInt(14);
  return r;
}

SqlQuery& BindRule(SqlQuery& q, const AlertRule& r) {
  return q.Text(r.name)
      .Text(r.app)
      .OptText(r.event)
      .Text(r.aggregate)
      .Text(r.comparator)
      .Real(r.threshold)
      .Int(r.window_seconds)
      .Int(r.for_seconds)
      .Text(r.severity)
      .Text(IdsJson(r.channels))
      .Int(r.create_incident ? 1 : 0)
      .Int(r.is_active ? 1 : 0)
      .Int(r.updated_at);
}

constexpr const char* kChannelColumns =
    "id, name, channel_type, config, created_at, disabled_at, disabled_reason";

NotificationChannel ChannelFrom(const SqlQuery& q) {
  NotificationChannel c;
  c.id = q.ColumnText(0);
  c.name = q.ColumnText(1);
  c.channel_type = q.ColumnText(2);
  ChannelConfigFromJson(q.ColumnText(3), &c);
  c.created_at = q.ColumnInt(4);
  c.disabled_at = q.ColumnOptInt(5);
  c.disabled_reason = q.ColumnText(6);
  return c;
}

constexpr const char* kStateColumns =
    "rule_id, state, since, value, last_evaluated, fired_at, last_notified, repeats, incident_id";

AlertState StateFrom(const SqlQuery& q, int base) {
  AlertState s;
  s.rule_id = q.ColumnText(base + 0);
  s.state = q.ColumnText(base + 1);
  s.since = q.ColumnInt(base + 2);
  if (!q.ColumnIsNull(base + 3)) {
    s.value = q.ColumnReal(base + 3);
  }
  s.last_evaluated = q.ColumnOptInt(base + 4);
  s.fired_at = q.ColumnInt(base + 5);
  s.last_notified = q.ColumnInt(base + 6);
  s.repeats = q.ColumnInt(base + 7);
  s.incident_id = q.ColumnText(base + 8);
  return s;
}

constexpr const char* kOutboxColumns =
    "id, message_id, channel_id, rule_id, transition, kind, payload, incident_id, created_at, "
    "deadline, status, attempts, next_attempt, http_status, error, updated_at";

OutboxMessage MessageFrom(const SqlQuery& q) {
  OutboxMessage m;
  m.id = q.ColumnInt(0);
  m.message_id = q.ColumnText(1);
  m.channel_id = q.ColumnText(2);
  m.rule_id = q.ColumnText(3);
  m.transition = q.ColumnText(4);
  m.kind = q.ColumnText(5);
  m.payload = q.ColumnText(6);
  m.incident_id = q.ColumnText(7);
  m.created_at = q.ColumnInt(8);
  m.deadline = q.ColumnInt(9);
  m.status = q.ColumnText(10);
  m.attempts = q.ColumnInt(11);
  m.next_attempt = q.ColumnInt(12);
  m.http_status = q.ColumnOptInt(13);
  m.error = q.ColumnText(14);
  m.updated_at = q.ColumnInt(15);
  return m;
}

constexpr const char* kIncidentColumns =
    "id, title, severity, status, app, rule_id, opened_at, acknowledged_at, resolved_at";

Incident IncidentFrom(const SqlQuery& q) {
  Incident i;
  i.id = q.ColumnText(0);
  i.title = q.ColumnText(1);
  i.severity = q.ColumnText(2);
  i.status = q.ColumnText(3);
  i.app = q.ColumnOptText(4);
  i.rule_id = q.ColumnOptText(5);
  i.opened_at = q.ColumnInt(6);
  i.acknowledged_at = q.ColumnOptInt(7);
  i.resolved_at = q.ColumnOptInt(8);
  return i;
}

}  // namespace

bool AppFilter::Allows(const std::optional<std::string>& app) const {
  if (all) {
    return true;
  }
  return app && std::find(apps.begin(), apps.end(), *app) != apps.end();
}

Status AlertTables::InsertRule(const AlertRule& rule) {
  SqlQuery q = Query(db_,
                     "INSERT INTO alert_rules(name, app, event, aggregate, comparator, threshold,"
                     " window_seconds, for_seconds, severity, channels, create_incident, is_active,"
                     " updated_at, created_at, id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  return BindRule(q, rule).Int(rule.created_at).Text(rule.id).Run();
}

Status AlertTables::UpdateRule(const AlertRule& rule) {
  SqlQuery q =
      Query(db_,
            "UPDATE alert_rules SET name=?, app=?, event=?, aggregate=?, comparator=?, threshold=?,"
            " window_seconds=?, for_seconds=?, severity=?, channels=?, create_incident=?,"
            " is_active=?, updated_at=? WHERE id=?");
  return BindRule(q, rule).Text(rule.id).Run();
}

Result<bool> AlertTables::DeleteRule(const std::string& id) {
  return AnyChanged(Query(db_, "DELETE FROM alert_rules WHERE id=?").Text(id).RunChanges());
}

Result<std::optional<AlertRule>> AlertTables::GetRule(const std::string& id) {
  return Query(db_, Select(kRuleColumns, "alert_rules WHERE id=?")).Text(id).One(RuleFrom);
}

Result<std::vector<AlertRule>> AlertTables::ListRules(const AppFilter& apps) {
  return Allowed(
      Query(db_, Select(kRuleColumns, "alert_rules ORDER BY created_at, id")).All(RuleFrom), apps,
      [](const AlertRule& r) { return r.app; });
}

Status AlertTables::InsertChannel(const NotificationChannel& c) {
  return Query(db_,
               "INSERT INTO notification_channels(id, name, channel_type, config, created_at)"
               " VALUES (?,?,?,?,?)")
      .Text(c.id)
      .Text(c.name)
      .Text(c.channel_type)
      .Text(ChannelConfigJson(c))
      .Int(c.created_at)
      .Run();
}

Result<bool> AlertTables::DeleteChannel(const std::string& id) {
  return AnyChanged(
      Query(db_, "DELETE FROM notification_channels WHERE id=?").Text(id).RunChanges());
}

Result<std::optional<NotificationChannel>> AlertTables::GetChannel(const std::string& id) {
  return Query(db_, Select(kChannelColumns, "notification_channels WHERE id=?"))
      .Text(id)
      .One(ChannelFrom);
}

Result<std::vector<NotificationChannel>> AlertTables::ListChannels() {
  return Query(db_, Select(kChannelColumns, "notification_channels ORDER BY created_at, id"))
      .All(ChannelFrom);
}

Status AlertTables::DisableChannel(const std::string& id, int64_t now, const std::string& reason) {
  return Query(db_, "UPDATE notification_channels SET disabled_at=?, disabled_reason=? WHERE id=?")
      .Int(now)
      .Text(reason)
      .Text(id)
      .Run();
}

Result<std::optional<AlertState>> AlertTables::GetState(const std::string& rule_id) {
  return Query(db_, Select(kStateColumns, "alert_states WHERE rule_id=?"))
      .Text(rule_id)
      .One([](const SqlQuery& r) { return StateFrom(r, 0); });
}

Status AlertTables::PutState(const AlertState& s) {
  return Query(db_,
               "INSERT OR REPLACE INTO alert_states(rule_id, state, since, value, last_evaluated,"
               " fired_at, last_notified, repeats, incident_id) VALUES (?,?,?,?,?,?,?,?,?)")
      .Text(s.rule_id)
      .Text(s.state)
      .Int(s.since)
      .OptReal(s.value)
      .OptInt(s.last_evaluated)
      .Int(s.fired_at)
      .Int(s.last_notified)
      .Int(s.repeats)
      .Text(s.incident_id)
      .Run();
}

Result<std::vector<AlertListItem>> AlertTables::ListAlerts(const AppFilter& apps) {
  // The rule's columns qualified: both tables have none in common but rule_id/id.
  std::string sql = std::string(
                        "SELECT r.id, r.name, r.app, r.event, r.aggregate, r.comparator,"
                        " r.threshold, r.window_seconds, r.for_seconds, r.severity,"
                        " r.channels, r.create_incident, r.is_active, r.created_at,"
                        " r.updated_at, ") +
                    kStateColumns +
                    " FROM alert_rules r LEFT JOIN alert_states s ON s.rule_id = r.id"
                    " ORDER BY r.created_at, r.id";
  return Allowed(Query(db_, sql).All([](const SqlQuery& r) {
    AlertListItem item;
    item.rule = RuleFrom(r);
    if (r.ColumnIsNull(15)) {
      item.state.rule_id = item.rule.id;
      item.state.since = item.rule.created_at;
    } else {
      item.state = StateFrom(r, 15);
    }
    return item;
  }),
                 apps, [](const AlertListItem& a) { return a.rule.app; });
}

Result<bool> AlertTables::Enqueue(const OutboxMessage& m) {
  return AnyChanged(
      Query(db_,
            "INSERT OR IGNORE INTO alert_outbox(message_id, channel_id, rule_id, transition, kind,"
            " payload, incident_id, created_at, deadline, status, attempts, next_attempt,"
            " updated_at) VALUES (?,?,?,?,?,?,?,?,?,'pending',0,?,?)")
          .Text(m.message_id)
          .Text(m.channel_id)
          .Text(m.rule_id)
          .Text(m.transition)
          .Text(m.kind)
          .Text(m.payload)
          .Text(m.incident_id)
          .Int(m.created_at)
          .Int(m.deadline)
          .Int(m.next_attempt)
          .Int(m.created_at)
          .RunChanges());
}

Result<std::vector<OutboxMessage>> AlertTables::DueMessages(int64_t now, int limit) {
  return Query(db_, Select(kOutboxColumns,
                           "alert_outbox WHERE status='pending' AND next_attempt<=?"
                           " ORDER BY id LIMIT ?"))
      .Int(now)
      .Int(limit)
      .All(MessageFrom);
}

Result<std::optional<int64_t>> AlertTables::NextDue() {
  SqlQuery q = Query(db_, "SELECT min(next_attempt) FROM alert_outbox WHERE status='pending'");
  Result<bool> row = q.Step();
  if (!row.ok()) {
    return row.status();
  }
  return *row ? q.ColumnOptInt(0) : std::nullopt;
}

Result<std::optional<OutboxMessage>> AlertTables::GetMessage(int64_t id) {
  return Query(db_, Select(kOutboxColumns, "alert_outbox WHERE id=?")).Int(id).One(MessageFrom);
}

Status AlertTables::UpdateMessage(const OutboxMessage& m) {
  return Query(db_,
               "UPDATE alert_outbox SET status=?, attempts=?, next_attempt=?, http_status=?,"
               " error=?, updated_at=? WHERE id=?")
      .Text(m.status)
      .Int(m.attempts)
      .Int(m.next_attempt)
      .OptInt(m.http_status)
      .Text(m.error)
      .Int(m.updated_at)
      .Int(m.id)
      .Run();
}

Result<int64_t> AlertTables::SupersedeFiring(const std::string& rule_id, int64_t fired_at,
                                             int64_t now) {
  std::string prefix = rule_id + "/" + std::to_string(fired_at) + "/";
  return Query(db_,
               "UPDATE alert_outbox SET status='failed', error='superseded by the resolved"
               " message', updated_at=? WHERE rule_id=? AND status='pending' AND kind='firing'"
               " AND substr(transition, 1, ?)=?")
      .Int(now)
      .Text(rule_id)
      .Int(static_cast<int64_t>(prefix.size()))
      .Text(prefix)
      .RunChanges();
}

Result<std::vector<OutboxMessage>> AlertTables::ListDeliveries(const std::string& channel,
                                                               int64_t limit) {
  std::string rest = std::string("alert_outbox") +
                     (channel.empty() ? " WHERE ?=''" : " WHERE channel_id=?") +
                     " ORDER BY id DESC LIMIT ?";
  return Query(db_, Select(kOutboxColumns, rest)).Text(channel).Int(limit).All(MessageFrom);
}

Status AlertTables::InsertIncident(const Incident& i) {
  return Query(db_,
               "INSERT INTO incidents(id, title, severity, status, app, rule_id, opened_at,"
               " acknowledged_at, resolved_at) VALUES (?,?,?,?,?,?,?,?,?)")
      .Text(i.id)
      .Text(i.title)
      .Text(i.severity)
      .Text(i.status)
      .OptText(i.app)
      .OptText(i.rule_id)
      .Int(i.opened_at)
      .OptInt(i.acknowledged_at)
      .OptInt(i.resolved_at)
      .Run();
}

Status AlertTables::UpdateIncident(const Incident& i) {
  return Query(db_, "UPDATE incidents SET status=?, acknowledged_at=?, resolved_at=? WHERE id=?")
      .Text(i.status)
      .OptInt(i.acknowledged_at)
      .OptInt(i.resolved_at)
      .Text(i.id)
      .Run();
}

Result<std::optional<Incident>> AlertTables::GetIncident(const std::string& id) {
  return Query(db_, Select(kIncidentColumns, "incidents WHERE id=?")).Text(id).One(IncidentFrom);
}

Result<std::vector<Incident>> AlertTables::ListIncidents(const std::string& status,
                                                         const AppFilter& apps) {
  std::string rest = std::string("incidents") +
                     (status.empty() ? " WHERE ?=''" : " WHERE status=?") +
                     " ORDER BY opened_at DESC, rowid DESC";
  return Allowed(Query(db_, Select(kIncidentColumns, rest)).Text(status).All(IncidentFrom), apps,
                 [](const Incident& i) { return i.app; });
}

Result<std::optional<Incident>> AlertTables::OpenIncidentForRule(const std::string& rule_id) {
  return Query(db_, Select(kIncidentColumns, "incidents WHERE rule_id=? AND status!='resolved'"))
      .Text(rule_id)
      .One(IncidentFrom);
}

Status AlertTables::AppendTimeline(const std::string& incident_id, const TimelineEntry& e) {
  return Query(db_,
               "INSERT INTO incident_timeline(incident_id, event_type, content, actor, time)"
               " VALUES (?,?,?,?,?)")
      .Text(incident_id)
      .Text(e.event_type)
      .Text(e.content)
      .Text(e.actor)
      .Int(e.time)
      .Run();
}

Result<std::vector<TimelineEntry>> AlertTables::Timeline(const std::string& incident_id) {
  return Query(db_,
               "SELECT event_type, content, actor, time FROM incident_timeline WHERE incident_id=?"
               " ORDER BY seq")
      .Text(incident_id)
      .All([](const SqlQuery& r) {
        return TimelineEntry{r.ColumnText(0), r.ColumnText(1), r.ColumnText(2), r.ColumnInt(3)};
      });
}

Status AlertTables::AddCounter(const std::string& name, int64_t delta) {
  return Query(db_,
               "INSERT INTO alert_counters(name, value) VALUES (?, ?)"
               " ON CONFLICT(name) DO UPDATE SET value = value + excluded.value")
      .Text(name)
      .Int(delta)
      .Run();
}

Status AlertTables::SetCounter(const std::string& name, int64_t value) {
  return Query(db_, "INSERT OR REPLACE INTO alert_counters(name, value) VALUES (?, ?)")
      .Text(name)
      .Int(value)
      .Run();
}

Result<std::map<std::string, int64_t>> AlertTables::Counters() {
  return NamedNumbers("SELECT name, value FROM alert_counters");
}

Result<std::map<std::string, int64_t>> AlertTables::OutboxByStatus() {
  return NamedNumbers("SELECT status, count(*) FROM alert_outbox GROUP BY status");
}

Result<std::map<std::string, int64_t>> AlertTables::NamedNumbers(const char* sql) {
  Result<std::vector<std::pair<std::string, int64_t>>> rows = Query(db_, sql).All(
      [](const SqlQuery& r) { return std::make_pair(r.ColumnText(0), r.ColumnInt(1)); });
  if (!rows.ok()) {
    return rows.status();
  }
  return std::map<std::string, int64_t>(rows->begin(), rows->end());
}

}  // namespace itslog
