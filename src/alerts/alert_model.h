// The records of alerting (docs/API.md, "Alerts, notifications and incidents"): rules,
// notification channels, alert states, incidents and their timelines, as plain structs, and
// their JSON forms: parsing and validating request bodies (every field checked, errors name
// it), and the answers (secrets never written). Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "event/json_value.h"

namespace itslog {

struct AlertRule {
  std::string id;
  std::string name;
  std::string app;                   // query.app
  std::optional<std::string> event;  // query.event; nullopt: any event of the app
  std::string aggregate = "count";   // count | sum | min | max | avg
  std::string comparator = ">=";     // >= | > | <= | <
  double threshold = 0;
  int64_t window_seconds = 0;
  int64_t for_seconds = 0;
  std::string severity = "warning";  // critical | error | warning | info
  std::vector<std::string> channels;
  bool create_incident = true;
  bool is_active = true;
  int64_t created_at = 0;  // microseconds since the epoch
  int64_t updated_at = 0;
};

struct NotificationChannel {
  std::string id;
  std::string name;
  std::string channel_type;  // webhook | pagerduty
  // webhook
  std::string url;
  std::string secret;  // "whsec_" + base64; write-only
  std::vector<std::pair<std::string, std::string>> headers;
  // pagerduty
  std::string routing_key;  // write-only
  std::string endpoint;     // default kPagerDutyEndpoint; tests point it elsewhere
  int64_t created_at = 0;
  std::optional<int64_t> disabled_at;  // set when the endpoint answered 410 Gone
  std::string disabled_reason;
};

inline constexpr const char* kPagerDutyEndpoint = "https://events.pagerduty.com/v2/enqueue";

struct AlertState {
  std::string rule_id;
  std::string state = "ok";  // ok | pending | firing
  int64_t since = 0;         // when the state was entered
  std::optional<double> value;
  std::optional<int64_t> last_evaluated;
  int64_t fired_at = 0;       // the firing episode's start (0: none)
  int64_t last_notified = 0;  // the last firing or repeat message of the episode
  int64_t repeats = 0;        // repeat messages sent in this episode
  std::string incident_id;    // the incident this episode opened, if any
};

struct Incident {
  std::string id;
  std::string title;
  std::string severity;
  std::string status = "triggered";  // triggered | acknowledged | resolved
  std::optional<std::string> app;
  std::optional<std::string> rule_id;
  int64_t opened_at = 0;
  std::optional<int64_t> acknowledged_at;
  std::optional<int64_t> resolved_at;
};

struct TimelineEntry {
  std::string
      event_type;  // triggered | notified | notify_failed | acknowledged | resolved | comment
  std::string content;
  std::string actor;  // the key's name, or "itslog"
  int64_t time = 0;
};

// Limits of the alerting API.
inline constexpr int64_t kMaxWindowSeconds = 86400;
inline constexpr int64_t kMaxForSeconds = 7 * 86400;
inline constexpr size_t kMaxNameBytes = 200;
inline constexpr size_t kMaxContentBytes = 10000;
inline constexpr size_t kMaxRuleChannels = 20;
inline constexpr size_t kMaxHeaders = 20;

// A rule from a POST body (base null: defaults, required fields checked) or a PUT body over
// *base (the fields given replace base's). Fails kInvalid with the field named as a dotted path:
// "missing_field", "unknown_field", "invalid_field" (wrong type or value), "invalid_app_name",
// "invalid_event_name"; or the JSON parser's "invalid_json" / "empty_body".
Result<AlertRule> ParseRuleBody(std::string_view body, const AlertRule* base);

// A channel from a POST body. Fails as ParseRuleBody; a webhook URL that is not http(s), or
// names a link-local address, and a custom header named webhook-* or Content-Type are
// "invalid_field" with the field "config.url" / "config.headers".
Result<NotificationChannel> ParseChannelBody(std::string_view body);

// POST /v1/incidents: title, severity, optional app.
Result<Incident> ParseIncidentBody(std::string_view body);
// PATCH /v1/incidents/{id}: the new status ("acknowledged" or "resolved").
Result<std::string> ParseIncidentPatch(std::string_view body);
// POST /v1/incidents/{id}/timeline: the comment's content.
Result<std::string> ParseCommentBody(std::string_view body);

// The answers' JSON objects.
std::string RuleJson(const AlertRule& rule);
std::string ChannelJson(const NotificationChannel& channel);  // without secrets
std::string IncidentJson(const Incident& incident, const std::vector<TimelineEntry>* timeline);

// ISO 8601 of a time in microseconds, or JSON null for nullopt / 0.
std::string TimeJson(std::optional<int64_t> micros);

// True for an IPv4 or IPv6 literal in a link-local range (169.254.0.0/16, fe80::/10, and
// IPv4-mapped forms): cloud metadata lives there.
bool IsLinkLocalAddress(std::string_view host);

}  // namespace itslog
