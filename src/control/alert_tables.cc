#include "control/alert_tables.h"

#include <sqlite3.h>

#include <algorithm>

#include "core/json_writer.h"
#include "event/json_value.h"

namespace itslog {

namespace {

// One statement: bind by position (1-based, in call order), step, read columns.
class Query {
 public:
  Query(sqlite3* db, const char* sql) : db_(db) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
    stmt_.reset(stmt);
    if (rc != SQLITE_OK) {
      status_ = SqliteStatus(rc, db, "cannot read the control database");
    }
  }
  Query& Text(std::string_view v) {
    if (status_.ok()) {
      sqlite3_bind_text(stmt_.get(), ++n_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    return *this;
  }
  Query& Int(int64_t v) {
    if (status_.ok()) {
      sqlite3_bind_int64(stmt_.get(), ++n_, v);
    }
    return *this;
  }
  Query& Real(double v) {
    if (status_.ok()) {
      sqlite3_bind_double(stmt_.get(), ++n_, v);
    }
    return *this;
  }
  Query& Null() {
    if (status_.ok()) {
      sqlite3_bind_null(stmt_.get(), ++n_);
    }
    return *this;
  }
  Query& OptText(const std::optional<std::string>& v) { return v ? Text(*v) : Null(); }
  Query& OptInt(const std::optional<int64_t>& v) { return v ? Int(*v) : Null(); }
  Query& OptReal(const std::optional<double>& v) { return v ? Real(*v) : Null(); }

  // True with a row to read, false when done.
  Result<bool> Step() {
    if (!status_.ok()) {
      return status_;
    }
    int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc == SQLITE_DONE) {
      return false;
    }
    return SqliteStatus(rc, db_, "cannot use the control database");
  }
  Status Run() {
    Result<bool> r = Step();
    return r.ok() ? Status::Ok() : r.status();
  }
  std::string S(int i) const {
    const unsigned char* t = sqlite3_column_text(stmt_.get(), i);
    return t == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(t),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), i)));
  }
  int64_t I(int i) const { return sqlite3_column_int64(stmt_.get(), i); }
  double D(int i) const { return sqlite3_column_double(stmt_.get(), i); }
  bool IsNull(int i) const { return sqlite3_column_type(stmt_.get(), i) == SQLITE_NULL; }
  std::optional<std::string> OS(int i) const {
    return IsNull(i) ? std::nullopt : std::optional<std::string>(S(i));
  }
  std::optional<int64_t> OI(int i) const {
    return IsNull(i) ? std::nullopt : std::optional<int64_t>(I(i));
  }
  int64_t Changes() const { return sqlite3_changes64(db_); }

 private:
  sqlite3* db_;
  Stmt stmt_;
  Status status_;
  int n_ = 0;
};

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

AlertRule RuleFrom(const Query& q) {
  AlertRule r;
  r.id = q.S(0);
  r.name = q.S(1);
  r.app = q.S(2);
  r.event = q.OS(3);
  r.aggregate = q.S(4);
  r.comparator = q.S(5);
  r.threshold = q.D(6);
  r.window_seconds = q.I(7);
  r.for_seconds = q.I(8);
  r.severity = q.S(9);
  r.channels = IdsFromJson(q.S(10));
  r.create_incident = q.I(11) != 0;
  r.is_active = q.I(12) != 0;
  r.created_at = q.I(13);
  r.updated_at = q.I(14);
  return r;
}

Query& BindRule(Query& q, const AlertRule& r) {
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

NotificationChannel ChannelFrom(const Query& q) {
  NotificationChannel c;
  c.id = q.S(0);
  c.name = q.S(1);
  c.channel_type = q.S(2);
  ChannelConfigFromJson(q.S(3), &c);
  c.created_at = q.I(4);
  c.disabled_at = q.OI(5);
  c.disabled_reason = q.S(6);
  return c;
}

constexpr const char* kStateColumns =
    "rule_id, state, since, value, last_evaluated, fired_at, last_notified, repeats, incident_id";

AlertState StateFrom(const Query& q, int base) {
  AlertState s;
  s.rule_id = q.S(base + 0);
  s.state = q.S(base + 1);
  s.since = q.I(base + 2);
  if (!q.IsNull(base + 3)) {
    s.value = q.D(base + 3);
  }
  s.last_evaluated = q.OI(base + 4);
  s.fired_at = q.I(base + 5);
  s.last_notified = q.I(base + 6);
  s.repeats = q.I(base + 7);
  s.incident_id = q.S(base + 8);
  return s;
}

constexpr const char* kOutboxColumns =
    "id, message_id, channel_id, rule_id, transition, kind, payload, incident_id, created_at, "
    "deadline, status, attempts, next_attempt, http_status, error, updated_at";

OutboxMessage MessageFrom(const Query& q) {
  OutboxMessage m;
  m.id = q.I(0);
  m.message_id = q.S(1);
  m.channel_id = q.S(2);
  m.rule_id = q.S(3);
  m.transition = q.S(4);
  m.kind = q.S(5);
  m.payload = q.S(6);
  m.incident_id = q.S(7);
  m.created_at = q.I(8);
  m.deadline = q.I(9);
  m.status = q.S(10);
  m.attempts = q.I(11);
  m.next_attempt = q.I(12);
  m.http_status = q.OI(13);
  m.error = q.S(14);
  m.updated_at = q.I(15);
  return m;
}

constexpr const char* kIncidentColumns =
    "id, title, severity, status, app, rule_id, opened_at, acknowledged_at, resolved_at";

Incident IncidentFrom(const Query& q) {
  Incident i;
  i.id = q.S(0);
  i.title = q.S(1);
  i.severity = q.S(2);
  i.status = q.S(3);
  i.app = q.OS(4);
  i.rule_id = q.OS(5);
  i.opened_at = q.I(6);
  i.acknowledged_at = q.OI(7);
  i.resolved_at = q.OI(8);
  return i;
}

template <typename T, typename F>
Result<std::vector<T>> All(Query& q, F from) {
  std::vector<T> out;
  for (;;) {
    Result<bool> row = q.Step();
    if (!row.ok()) {
      return row.status();
    }
    if (!*row) {
      return out;
    }
    out.push_back(from(q));
  }
}

template <typename T, typename F>
Result<std::optional<T>> One(Query& q, F from) {
  Result<bool> row = q.Step();
  if (!row.ok()) {
    return row.status();
  }
  if (!*row) {
    return std::optional<T>();
  }
  return std::optional<T>(from(q));
}

}  // namespace

bool AppFilter::Allows(const std::optional<std::string>& app) const {
  if (all) {
    return true;
  }
  return app && std::find(apps.begin(), apps.end(), *app) != apps.end();
}

Status AlertTables::InsertRule(const AlertRule& rule) {
  Query q(db_->db(),
          "INSERT INTO alert_rules(name, app, event, aggregate, comparator, threshold,"
          " window_seconds, for_seconds, severity, channels, create_incident, is_active,"
          " updated_at, created_at, id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  BindRule(q, rule).Int(rule.created_at).Text(rule.id);
  return q.Run();
}

Status AlertTables::UpdateRule(const AlertRule& rule) {
  Query q(db_->db(),
          "UPDATE alert_rules SET name=?, app=?, event=?, aggregate=?, comparator=?, threshold=?,"
          " window_seconds=?, for_seconds=?, severity=?, channels=?, create_incident=?,"
          " is_active=?, updated_at=? WHERE id=?");
  BindRule(q, rule).Text(rule.id);
  return q.Run();
}

Result<bool> AlertTables::DeleteRule(const std::string& id) {
  Query q(db_->db(), "DELETE FROM alert_rules WHERE id=?");
  q.Text(id);
  if (Status s = q.Run(); !s.ok()) {
    return s;
  }
  return q.Changes() > 0;
}

Result<std::optional<AlertRule>> AlertTables::GetRule(const std::string& id) {
  std::string sql = std::string("SELECT ") + kRuleColumns + " FROM alert_rules WHERE id=?";
  Query q(db_->db(), sql.c_str());
  q.Text(id);
  return One<AlertRule>(q, RuleFrom);
}

Result<std::vector<AlertRule>> AlertTables::ListRules(const AppFilter& apps) {
  std::string sql =
      std::string("SELECT ") + kRuleColumns + " FROM alert_rules ORDER BY created_at, id";
  Query q(db_->db(), sql.c_str());
  Result<std::vector<AlertRule>> all = All<AlertRule>(q, RuleFrom);
  if (!all.ok()) {
    return all;
  }
  std::erase_if(*all, [&](const AlertRule& r) { return !apps.Allows(r.app); });
  return all;
}

Status AlertTables::InsertChannel(const NotificationChannel& c) {
  Query q(db_->db(),
          "INSERT INTO notification_channels(id, name, channel_type, config, created_at)"
          " VALUES (?,?,?,?,?)");
  q.Text(c.id).Text(c.name).Text(c.channel_type).Text(ChannelConfigJson(c)).Int(c.created_at);
  return q.Run();
}

Result<bool> AlertTables::DeleteChannel(const std::string& id) {
  Query q(db_->db(), "DELETE FROM notification_channels WHERE id=?");
  q.Text(id);
  if (Status s = q.Run(); !s.ok()) {
    return s;
  }
  return q.Changes() > 0;
}

Result<std::optional<NotificationChannel>> AlertTables::GetChannel(const std::string& id) {
  std::string sql =
      std::string("SELECT ") + kChannelColumns + " FROM notification_channels WHERE id=?";
  Query q(db_->db(), sql.c_str());
  q.Text(id);
  return One<NotificationChannel>(q, ChannelFrom);
}

Result<std::vector<NotificationChannel>> AlertTables::ListChannels() {
  std::string sql = std::string("SELECT ") + kChannelColumns +
                    " FROM notification_channels ORDER BY created_at, id";
  Query q(db_->db(), sql.c_str());
  return All<NotificationChannel>(q, ChannelFrom);
}

Status AlertTables::DisableChannel(const std::string& id, int64_t now, const std::string& reason) {
  Query q(db_->db(),
          "UPDATE notification_channels SET disabled_at=?, disabled_reason=? WHERE id=?");
  q.Int(now).Text(reason).Text(id);
  return q.Run();
}

Result<std::optional<AlertState>> AlertTables::GetState(const std::string& rule_id) {
  std::string sql = std::string("SELECT ") + kStateColumns + " FROM alert_states WHERE rule_id=?";
  Query q(db_->db(), sql.c_str());
  q.Text(rule_id);
  return One<AlertState>(q, [](const Query& r) { return StateFrom(r, 0); });
}

Status AlertTables::PutState(const AlertState& s) {
  Query q(db_->db(),
          "INSERT OR REPLACE INTO alert_states(rule_id, state, since, value, last_evaluated,"
          " fired_at, last_notified, repeats, incident_id) VALUES (?,?,?,?,?,?,?,?,?)");
  q.Text(s.rule_id)
      .Text(s.state)
      .Int(s.since)
      .OptReal(s.value)
      .OptInt(s.last_evaluated)
      .Int(s.fired_at)
      .Int(s.last_notified)
      .Int(s.repeats)
      .Text(s.incident_id);
  return q.Run();
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
  Query q(db_->db(), sql.c_str());
  Result<std::vector<AlertListItem>> all = All<AlertListItem>(q, [](const Query& r) {
    AlertListItem item;
    item.rule = RuleFrom(r);
    if (r.IsNull(15)) {
      item.state.rule_id = item.rule.id;
      item.state.since = item.rule.created_at;
    } else {
      item.state = StateFrom(r, 15);
    }
    return item;
  });
  if (!all.ok()) {
    return all;
  }
  std::erase_if(*all, [&](const AlertListItem& a) { return !apps.Allows(a.rule.app); });
  return all;
}

Result<bool> AlertTables::Enqueue(const OutboxMessage& m) {
  Query q(db_->db(),
          "INSERT OR IGNORE INTO alert_outbox(message_id, channel_id, rule_id, transition, kind,"
          " payload, incident_id, created_at, deadline, status, attempts, next_attempt,"
          " updated_at) VALUES (?,?,?,?,?,?,?,?,?,'pending',0,?,?)");
  q.Text(m.message_id)
      .Text(m.channel_id)
      .Text(m.rule_id)
      .Text(m.transition)
      .Text(m.kind)
      .Text(m.payload)
      .Text(m.incident_id)
      .Int(m.created_at)
      .Int(m.deadline)
      .Int(m.next_attempt)
      .Int(m.created_at);
  if (Status s = q.Run(); !s.ok()) {
    return s;
  }
  return q.Changes() > 0;
}

Result<std::vector<OutboxMessage>> AlertTables::DueMessages(int64_t now, int limit) {
  std::string sql = std::string("SELECT ") + kOutboxColumns +
                    " FROM alert_outbox WHERE status='pending' AND next_attempt<=?"
                    " ORDER BY id LIMIT ?";
  Query q(db_->db(), sql.c_str());
  q.Int(now).Int(limit);
  return All<OutboxMessage>(q, MessageFrom);
}

Result<std::optional<int64_t>> AlertTables::NextDue() {
  Query q(db_->db(), "SELECT min(next_attempt) FROM alert_outbox WHERE status='pending'");
  Result<bool> row = q.Step();
  if (!row.ok()) {
    return row.status();
  }
  return *row ? q.OI(0) : std::nullopt;
}

Result<std::optional<OutboxMessage>> AlertTables::GetMessage(int64_t id) {
  std::string sql = std::string("SELECT ") + kOutboxColumns + " FROM alert_outbox WHERE id=?";
  Query q(db_->db(), sql.c_str());
  q.Int(id);
  return One<OutboxMessage>(q, MessageFrom);
}

Status AlertTables::UpdateMessage(const OutboxMessage& m) {
  Query q(db_->db(),
          "UPDATE alert_outbox SET status=?, attempts=?, next_attempt=?, http_status=?, error=?,"
          " updated_at=? WHERE id=?");
  q.Text(m.status)
      .Int(m.attempts)
      .Int(m.next_attempt)
      .OptInt(m.http_status)
      .Text(m.error)
      .Int(m.updated_at)
      .Int(m.id);
  return q.Run();
}

Result<int64_t> AlertTables::SupersedeFiring(const std::string& rule_id, int64_t fired_at,
                                             int64_t now) {
  std::string prefix = rule_id + "/" + std::to_string(fired_at) + "/";
  Query q(db_->db(),
          "UPDATE alert_outbox SET status='failed', error='superseded by the resolved message',"
          " updated_at=? WHERE rule_id=? AND status='pending' AND kind='firing'"
          " AND substr(transition, 1, ?)=?");
  q.Int(now).Text(rule_id).Int(static_cast<int64_t>(prefix.size())).Text(prefix);
  if (Status s = q.Run(); !s.ok()) {
    return s;
  }
  return q.Changes();
}

Result<std::vector<OutboxMessage>> AlertTables::ListDeliveries(const std::string& channel,
                                                               int64_t limit) {
  std::string sql = std::string("SELECT ") + kOutboxColumns + " FROM alert_outbox" +
                    (channel.empty() ? " WHERE ?=''" : " WHERE channel_id=?") +
                    " ORDER BY id DESC LIMIT ?";
  Query q(db_->db(), sql.c_str());
  q.Text(channel).Int(limit);
  return All<OutboxMessage>(q, MessageFrom);
}

Status AlertTables::InsertIncident(const Incident& i) {
  Query q(db_->db(),
          "INSERT INTO incidents(id, title, severity, status, app, rule_id, opened_at,"
          " acknowledged_at, resolved_at) VALUES (?,?,?,?,?,?,?,?,?)");
  q.Text(i.id)
      .Text(i.title)
      .Text(i.severity)
      .Text(i.status)
      .OptText(i.app)
      .OptText(i.rule_id)
      .Int(i.opened_at)
      .OptInt(i.acknowledged_at)
      .OptInt(i.resolved_at);
  return q.Run();
}

Status AlertTables::UpdateIncident(const Incident& i) {
  Query q(db_->db(), "UPDATE incidents SET status=?, acknowledged_at=?, resolved_at=? WHERE id=?");
  q.Text(i.status).OptInt(i.acknowledged_at).OptInt(i.resolved_at).Text(i.id);
  return q.Run();
}

Result<std::optional<Incident>> AlertTables::GetIncident(const std::string& id) {
  std::string sql = std::string("SELECT ") + kIncidentColumns + " FROM incidents WHERE id=?";
  Query q(db_->db(), sql.c_str());
  q.Text(id);
  return One<Incident>(q, IncidentFrom);
}

Result<std::vector<Incident>> AlertTables::ListIncidents(const std::string& status,
                                                         const AppFilter& apps) {
  std::string sql = std::string("SELECT ") + kIncidentColumns + " FROM incidents" +
                    (status.empty() ? " WHERE ?=''" : " WHERE status=?") +
                    " ORDER BY opened_at DESC, rowid DESC";
  Query q(db_->db(), sql.c_str());
  q.Text(status);
  Result<std::vector<Incident>> all = All<Incident>(q, IncidentFrom);
  if (!all.ok()) {
    return all;
  }
  std::erase_if(*all, [&](const Incident& i) { return !apps.Allows(i.app); });
  return all;
}

Result<std::optional<Incident>> AlertTables::OpenIncidentForRule(const std::string& rule_id) {
  std::string sql = std::string("SELECT ") + kIncidentColumns +
                    " FROM incidents WHERE rule_id=? AND status!='resolved'";
  Query q(db_->db(), sql.c_str());
  q.Text(rule_id);
  return One<Incident>(q, IncidentFrom);
}

Status AlertTables::AppendTimeline(const std::string& incident_id, const TimelineEntry& e) {
  Query q(db_->db(),
          "INSERT INTO incident_timeline(incident_id, event_type, content, actor, time)"
          " VALUES (?,?,?,?,?)");
  q.Text(incident_id).Text(e.event_type).Text(e.content).Text(e.actor).Int(e.time);
  return q.Run();
}

Result<std::vector<TimelineEntry>> AlertTables::Timeline(const std::string& incident_id) {
  Query q(db_->db(),
          "SELECT event_type, content, actor, time FROM incident_timeline WHERE incident_id=?"
          " ORDER BY seq");
  q.Text(incident_id);
  return All<TimelineEntry>(q, [](const Query& r) {
    return TimelineEntry{r.S(0), r.S(1), r.S(2), r.I(3)};
  });
}

Status AlertTables::AddCounter(const std::string& name, int64_t delta) {
  Query q(db_->db(),
          "INSERT INTO alert_counters(name, value) VALUES (?, ?)"
          " ON CONFLICT(name) DO UPDATE SET value = value + excluded.value");
  q.Text(name).Int(delta);
  return q.Run();
}

Status AlertTables::SetCounter(const std::string& name, int64_t value) {
  Query q(db_->db(), "INSERT OR REPLACE INTO alert_counters(name, value) VALUES (?, ?)");
  q.Text(name).Int(value);
  return q.Run();
}

Result<std::map<std::string, int64_t>> AlertTables::Counters() {
  return NamedNumbers("SELECT name, value FROM alert_counters");
}

Result<std::map<std::string, int64_t>> AlertTables::OutboxByStatus() {
  return NamedNumbers("SELECT status, count(*) FROM alert_outbox GROUP BY status");
}

Result<std::map<std::string, int64_t>> AlertTables::NamedNumbers(const char* sql) {
  Query q(db_->db(), sql);
  Result<std::vector<std::pair<std::string, int64_t>>> rows = All<std::pair<std::string, int64_t>>(
      q, [](const Query& r) { return std::make_pair(r.S(0), r.I(1)); });
  if (!rows.ok()) {
    return rows.status();
  }
  return std::map<std::string, int64_t>(rows->begin(), rows->end());
}

}  // namespace itslog
