// The control database's schema, step by step (control/control_db.h, ControlMigration).
// Append new steps at the end with the next version; never edit a released one.
#include "control/control_db.h"

namespace itslog {
namespace {

constexpr ControlMigration kMigrations[] = {
    {1, "control_meta",
     "CREATE TABLE control_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
     "INSERT INTO control_meta(key, value) VALUES ('format', 'itslog-control');"},
    {2, "alerts",
     // docs/API.md, "Alerts, notifications and incidents". Times are microseconds since the
     // epoch, UTC. Rules name their channels as a JSON array of ids.
     "CREATE TABLE alert_rules(id TEXT PRIMARY KEY, name TEXT NOT NULL, app TEXT NOT NULL,"
     " event TEXT, aggregate TEXT NOT NULL, comparator TEXT NOT NULL, threshold REAL NOT NULL,"
     " window_seconds INTEGER NOT NULL, for_seconds INTEGER NOT NULL, severity TEXT NOT NULL,"
     " channels TEXT NOT NULL, create_incident INTEGER NOT NULL, is_active INTEGER NOT NULL,"
     " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
     "CREATE INDEX alert_rules_app ON alert_rules(app);"
     // config holds the secrets (webhook secret, PagerDuty routing key): never returned.
     "CREATE TABLE notification_channels(id TEXT PRIMARY KEY, name TEXT NOT NULL,"
     " channel_type TEXT NOT NULL, config TEXT NOT NULL, created_at INTEGER NOT NULL,"
     " disabled_at INTEGER, disabled_reason TEXT);"
     "CREATE TABLE alert_states(rule_id TEXT PRIMARY KEY REFERENCES alert_rules(id)"
     " ON DELETE CASCADE, state TEXT NOT NULL, since INTEGER NOT NULL, value REAL,"
     " last_evaluated INTEGER, fired_at INTEGER NOT NULL DEFAULT 0,"
     " last_notified INTEGER NOT NULL DEFAULT 0, repeats INTEGER NOT NULL DEFAULT 0,"
     " incident_id TEXT NOT NULL DEFAULT '');"
     // The outbox: one row per message and channel, written in the transaction that decided
     // it. transition names what it notifies (rule, episode, kind) so that one transition is
     // never queued twice; message_id is the webhook-id of every attempt.
     "CREATE TABLE alert_outbox(id INTEGER PRIMARY KEY, message_id TEXT NOT NULL,"
     " channel_id TEXT NOT NULL, rule_id TEXT NOT NULL, transition TEXT NOT NULL,"
     " kind TEXT NOT NULL, payload TEXT NOT NULL, incident_id TEXT NOT NULL DEFAULT '',"
     " created_at INTEGER NOT NULL, deadline INTEGER NOT NULL, status TEXT NOT NULL,"
     " attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL,"
     " http_status INTEGER, error TEXT, updated_at INTEGER NOT NULL,"
     " UNIQUE(transition, channel_id));"
     "CREATE INDEX alert_outbox_due ON alert_outbox(status, next_attempt);"
     "CREATE INDEX alert_outbox_channel ON alert_outbox(channel_id, id);"
     "CREATE TABLE incidents(id TEXT PRIMARY KEY, title TEXT NOT NULL, severity TEXT NOT NULL,"
     " status TEXT NOT NULL, app TEXT, rule_id TEXT, opened_at INTEGER NOT NULL,"
     " acknowledged_at INTEGER, resolved_at INTEGER);"
     "CREATE UNIQUE INDEX incidents_one_open_per_rule ON incidents(rule_id)"
     " WHERE rule_id IS NOT NULL AND status != 'resolved';"
     "CREATE INDEX incidents_opened ON incidents(opened_at);"
     "CREATE TABLE incident_timeline(seq INTEGER PRIMARY KEY,"
     " incident_id TEXT NOT NULL REFERENCES incidents(id), event_type TEXT NOT NULL,"
     " content TEXT NOT NULL, actor TEXT NOT NULL, time INTEGER NOT NULL);"
     "CREATE INDEX incident_timeline_incident ON incident_timeline(incident_id, seq);"
     // The timeline is append-only, as the day files are.
     "CREATE TRIGGER incident_timeline_no_update BEFORE UPDATE ON incident_timeline"
     " BEGIN SELECT RAISE(ABORT, 'incident_timeline is append-only'); END;"
     "CREATE TRIGGER incident_timeline_no_delete BEFORE DELETE ON incident_timeline"
     " BEGIN SELECT RAISE(ABORT, 'incident_timeline is append-only'); END;"
     "CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents"
     " BEGIN SELECT RAISE(ABORT, 'incidents are kept'); END;"
     // Counters of the alerts service for /metrics (evaluations, missed, durations, deliveries).
     "CREATE TABLE alert_counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"},
    // Keys made over HTTP or by `itslog keys` (keys/key_store.h): only the key's SHA-256.
    {3, "api_keys",
     "CREATE TABLE api_keys("
     " id TEXT PRIMARY KEY,"
     " name TEXT NOT NULL UNIQUE,"
     " key_sha256 BLOB NOT NULL UNIQUE CHECK(length(key_sha256) = 32),"
     " scopes TEXT NOT NULL,"
     " apps TEXT NOT NULL,"
     " rate_limit INTEGER CHECK(rate_limit IS NULL OR rate_limit > 0),"
     " rate_slot INTEGER UNIQUE,"
     " expires_at INTEGER,"
     " created_at INTEGER NOT NULL,"
     " last_used_at INTEGER);"},
};

}  // namespace

std::span<const ControlMigration> ControlMigrations() {
  return kMigrations;
}

}  // namespace itslog
