#include "alerts/alert_model.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string_view>

#include "core/base64.h"
#include "core/json_writer.h"
#include "core/time_util.h"
#include "event/event.h"

namespace itslog {

namespace {

using Kind = JsonValue::Kind;

Status BadField(const std::string& field, std::string message) {
  return InvalidError("invalid_field", std::move(message), field);
}

Status Missing(const std::string& field) {
  return InvalidError("missing_field", "\"" + field + "\" is required", field);
}

Status Unknown(const std::string& prefix, const std::string& key) {
  std::string field = prefix + key;
  if (field.empty()) {
    field = "body";  // a member named "": nothing better to point at
  }
  return InvalidError("unknown_field", "unknown field " + Quote(field) + "; see docs/API.md",
                      field);
}

Status WrongKind(const std::string& field, const JsonValue& v, std::string_view expected) {
  return BadField(field, "\"" + field + "\" must be " + std::string(expected) + ", got " +
                             std::string(v.KindName()));
}

Status String(const JsonValue& v, const std::string& field, size_t max_bytes, std::string* out) {
  if (v.kind != Kind::kString) {
    return WrongKind(field, v, "a string");
  }
  if (v.string.empty() || v.string.size() > max_bytes) {
    return BadField(field,
                    "\"" + field + "\" must be 1 to " + std::to_string(max_bytes) + " bytes long");
  }
  *out = v.string;
  return Status::Ok();
}

Status OneOf(const JsonValue& v, const std::string& field,
             std::initializer_list<std::string_view> choices, std::string* out) {
  std::string list;
  for (std::string_view c : choices) {
    list += (list.empty() ? "" : ", ") + std::string(c);
  }
  if (v.kind == Kind::kString) {
    for (std::string_view c : choices) {
      if (v.string == c) {
        *out = v.string;
        return Status::Ok();
      }
    }
    return BadField(field, "\"" + field + "\" " + Quote(v.string) + " is not one of " + list);
  }
  return WrongKind(field, v, "one of " + list);
}

Status Integer(const JsonValue& v, const std::string& field, int64_t min, int64_t max,
               int64_t* out) {
  if (v.kind != Kind::kNumber || !v.is_integer) {
    return WrongKind(field, v, "an integer");
  }
  if (v.integer < min || v.integer > max) {
    return BadField(field, "\"" + field + "\" must be from " + std::to_string(min) + " to " +
                               std::to_string(max));
  }
  *out = v.integer;
  return Status::Ok();
}

Status Bool(const JsonValue& v, const std::string& field, bool* out) {
  if (v.kind != Kind::kBool) {
    return WrongKind(field, v, "true or false");
  }
  *out = v.boolean;
  return Status::Ok();
}

Result<JsonValue> ParseObject(std::string_view body) {
  Result<JsonValue> root = ParseJsonValue(body);
  if (!root.ok()) {
    return root.status();
  }
  if (root->kind != Kind::kObject) {
    return InvalidError("invalid_json", "the body must be a JSON object", "body");
  }
  return root;
}

Status WithField(Status s, const std::string& field) {
  return Status(s.code(), s.reason(), s.message(), field);
}

Status ParseQuery(const JsonValue& v, AlertRule* rule) {
  if (v.kind != Kind::kObject) {
    return WrongKind("query", v, "an object {\"app\",\"event\"}");
  }
  rule->event.reset();  // a query given replaces the whole query: no event means any
  bool has_app = false;
  for (const auto& [key, m] : v.members) {
    if (key == "app") {
      if (m.kind != Kind::kString) {
        return WrongKind("query.app", m, "a string");
      }
      if (Status s = ValidateAppName(m.string); !s.ok()) {
        return WithField(s, "query.app");
      }
      rule->app = m.string;
      has_app = true;
    } else if (key == "event") {
      if (m.kind == Kind::kNull) {
        rule->event.reset();
        continue;
      }
      if (m.kind != Kind::kString) {
        return WrongKind("query.event", m, "a string or null");
      }
      if (Status s = ValidateEventName(m.string); !s.ok()) {
        return WithField(s, "query.event");
      }
      rule->event = m.string;
    } else {
      return Unknown("query.", key);
    }
  }
  if (!has_app) {
    return Missing("query.app");
  }
  return Status::Ok();
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c);
}

// The host of an http(s) URL, or nullopt when the URL is not one.
std::optional<std::string> UrlHost(std::string_view url) {
  size_t scheme_end;
  if (url.starts_with("http://")) {
    scheme_end = 7;
  } else if (url.starts_with("https://")) {
    scheme_end = 8;
  } else {
    return std::nullopt;
  }
  std::string_view rest = url.substr(scheme_end);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    return std::string(authority.substr(1, close - 1));
  }
  std::string host(authority.substr(0, authority.find(':')));
  if (host.empty()) {
    return std::nullopt;
  }
  return host;
}

Status ParseWebhookConfig(const JsonValue& v, NotificationChannel* c) {
  bool has_url = false, has_secret = false;
  for (const auto& [key, m] : v.members) {
    if (key == "url") {
      if (Status s = String(m, "config.url", 2048, &c->url); !s.ok()) {
        return s;
      }
      for (char ch : c->url) {
        if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) {
          return BadField("config.url", "\"config.url\" must not contain spaces or control bytes");
        }
      }
      std::optional<std::string> host = UrlHost(c->url);
      if (!host) {
        return BadField("config.url", "\"config.url\" must be an http:// or https:// URL");
      }
      if (IsLinkLocalAddress(*host)) {
        return BadField("config.url",
                        "\"config.url\" names a link-local address, which is refused");
      }
      has_url = true;
    } else if (key == "secret") {
      if (m.kind != Kind::kString) {
        return WrongKind("config.secret", m, "a string \"whsec_<base64>\"");
      }
      std::string_view text = m.string;
      std::optional<std::string> raw;
      if (text.starts_with("whsec_")) {
        raw = DecodeBase64(text.substr(6));
      }
      if (!raw || raw->size() < 24 || raw->size() > 64) {
        return BadField("config.secret",
                        "\"config.secret\" must be \"whsec_\" followed by the base64 of 24 to 64 "
                        "random bytes");
      }
      c->secret = m.string;
      has_secret = true;
    } else if (key == "headers") {
      if (m.kind != Kind::kObject) {
        return WrongKind("config.headers", m, "an object of header names to strings");
      }
      if (m.members.size() > kMaxHeaders) {
        return BadField("config.headers",
                        "at most " + std::to_string(kMaxHeaders) + " custom headers are allowed");
      }
      for (const auto& [name, value] : m.members) {
        std::string field = "config.headers";
        if (name.empty() || name.size() > 100 ||
            std::find_if_not(name.begin(), name.end(), IsTokenChar) != name.end()) {
          return BadField(field, "header name " + Quote(name) + " is not a valid HTTP token");
        }
        std::string lower = name;
        for (char& ch : lower) {
          ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        if (lower.starts_with("webhook-") || lower == "content-type" || lower == "content-length" ||
            lower == "host" || lower == "transfer-encoding") {
          return BadField(field,
                          "header " + Quote(name) + " is set by its-log and cannot be replaced");
        }
        if (value.kind != Kind::kString || value.string.size() > 1000) {
          return BadField(field, "the value of header " + Quote(name) +
                                     " must be a string of at most 1000 bytes");
        }
        for (char ch : value.string) {
          if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\t') || ch == 0x7f) {
            return BadField(
                field, "the value of header " + Quote(name) + " must not contain control bytes");
          }
        }
        c->headers.emplace_back(name, value.string);
      }
    } else {
      return Unknown("config.", key);
    }
  }
  if (!has_url) {
    return Missing("config.url");
  }
  if (!has_secret) {
    return Missing("config.secret");
  }
  return Status::Ok();
}

Status ParsePagerDutyConfig(const JsonValue& v, NotificationChannel* c) {
  bool has_key = false;
  c->endpoint = kPagerDutyEndpoint;
  for (const auto& [key, m] : v.members) {
    if (key == "routing_key") {
      if (Status s = String(m, "config.routing_key", 128, &c->routing_key); !s.ok()) {
        return s;
      }
      has_key = true;
    } else if (key == "endpoint") {
      if (Status s = String(m, "config.endpoint", 2048, &c->endpoint); !s.ok()) {
        return s;
      }
      std::optional<std::string> host = UrlHost(c->endpoint);
      if (!host || IsLinkLocalAddress(*host) ||
          c->endpoint.find_first_of(" \t\r\n") != std::string::npos) {
        return BadField("config.endpoint",
                        "\"config.endpoint\" must be an http:// or https:// URL, not link-local");
      }
    } else {
      return Unknown("config.", key);
    }
  }
  if (!has_key) {
    return Missing("config.routing_key");
  }
  return Status::Ok();
}

void WriteOptionalTime(JsonWriter* w, std::optional<int64_t> t) {
  if (t && *t != 0) {
    w->String(FormatIso8601Micros(*t));
  } else {
    w->Null();
  }
}

}  // namespace

bool IsLinkLocalAddress(std::string_view host) {
  std::string h(host);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    uint32_t a = ntohl(v4.s_addr);
    return (a >> 16) == 0xA9FE;  // 169.254.0.0/16
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    const uint8_t* b = v6.s6_addr;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {
      return true;  // fe80::/10
    }
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, kMapped, 12) == 0) {
      return b[12] == 169 && b[13] == 254;
    }
    return false;
  }
  return false;
}

Result<AlertRule> ParseRuleBody(std::string_view body, const AlertRule* base) {
  Result<JsonValue> root = ParseObject(body);
  if (!root.ok()) {
    return root.status();
  }
  AlertRule rule = base != nullptr ? *base : AlertRule{};
  bool has_name = false, has_query = false, has_threshold = false, has_window = false;
  for (const auto& [key, v] : root->members) {
    Status s;
    if (key == "name") {
      s = String(v, "name", kMaxNameBytes, &rule.name);
      has_name = true;
    } else if (key == "query") {
      s = ParseQuery(v, &rule);
      has_query = true;
    } else if (key == "aggregate") {
      s = OneOf(v, "aggregate", {"count", "sum", "min", "max", "avg"}, &rule.aggregate);
    } else if (key == "comparator") {
      s = OneOf(v, "comparator", {">=", ">", "<=", "<"}, &rule.comparator);
    } else if (key == "threshold") {
      if (v.kind != Kind::kNumber || !std::isfinite(v.number)) {
        s = WrongKind("threshold", v, "a finite number");
      } else {
        rule.threshold = v.number;
      }
      has_threshold = true;
    } else if (key == "window_seconds") {
      s = Integer(v, "window_seconds", 1, kMaxWindowSeconds, &rule.window_seconds);
      has_window = true;
    } else if (key == "for_seconds") {
      s = Integer(v, "for_seconds", 0, kMaxForSeconds, &rule.for_seconds);
    } else if (key == "severity") {
      s = OneOf(v, "severity", {"critical", "error", "warning", "info"}, &rule.severity);
    } else if (key == "channels") {
      if (v.kind != Kind::kArray) {
        s = WrongKind("channels", v, "an array of channel ids");
      } else if (v.items.size() > kMaxRuleChannels) {
        s = BadField("channels",
                     "at most " + std::to_string(kMaxRuleChannels) + " channels per rule");
      } else {
        rule.channels.clear();
        for (const JsonValue& item : v.items) {
          if (item.kind != Kind::kString || item.string.empty() || item.string.size() > 64) {
            s = BadField("channels", "\"channels\" must hold channel ids (strings)");
            break;
          }
          if (std::find(rule.channels.begin(), rule.channels.end(), item.string) ==
              rule.channels.end()) {
            rule.channels.push_back(item.string);
          }
        }
      }
    } else if (key == "create_incident") {
      s = Bool(v, "create_incident", &rule.create_incident);
    } else if (key == "is_active") {
      s = Bool(v, "is_active", &rule.is_active);
    } else if (key == "id" || key == "created_at" || key == "updated_at") {
      continue;  // read-only members of a rule sent back as it was read
    } else {
      s = Unknown("", key);
    }
    if (!s.ok()) {
      return s;
    }
  }
  if (base == nullptr) {
    if (!has_name) {
      return Missing("name");
    }
    if (!has_query) {
      return Missing("query.app");
    }
    if (!has_threshold) {
      return Missing("threshold");
    }
    if (!has_window) {
      return Missing("window_seconds");
    }
  }
  return rule;
}

Result<NotificationChannel> ParseChannelBody(std::string_view body) {
  Result<JsonValue> root = ParseObject(body);
  if (!root.ok()) {
    return root.status();
  }
  NotificationChannel c;
  const JsonValue* config = nullptr;
  bool has_name = false, has_type = false;
  for (const auto& [key, v] : root->members) {
    Status s;
    if (key == "name") {
      s = String(v, "name", kMaxNameBytes, &c.name);
      has_name = true;
    } else if (key == "channel_type") {
      s = OneOf(v, "channel_type", {"webhook", "pagerduty"}, &c.channel_type);
      has_type = true;
    } else if (key == "config") {
      if (v.kind != Kind::kObject) {
        s = WrongKind("config", v, "an object");
      }
      config = &v;
    } else {
      s = Unknown("", key);
    }
    if (!s.ok()) {
      return s;
    }
  }
  if (!has_name) {
    return Missing("name");
  }
  if (!has_type) {
    return Missing("channel_type");
  }
  if (config == nullptr) {
    return Missing("config");
  }
  Status s = c.channel_type == "webhook" ? ParseWebhookConfig(*config, &c)
                                         : ParsePagerDutyConfig(*config, &c);
  if (!s.ok()) {
    return s;
  }
  return c;
}

Result<Incident> ParseIncidentBody(std::string_view body) {
  Result<JsonValue> root = ParseObject(body);
  if (!root.ok()) {
    return root.status();
  }
  Incident inc;
  bool has_title = false, has_severity = false;
  for (const auto& [key, v] : root->members) {
    Status s;
    if (key == "title") {
      s = String(v, "title", kMaxNameBytes, &inc.title);
      has_title = true;
    } else if (key == "severity") {
      s = OneOf(v, "severity", {"critical", "error", "warning", "info"}, &inc.severity);
      has_severity = true;
    } else if (key == "app") {
      if (v.kind == Kind::kNull) {
        inc.app.reset();
      } else if (v.kind != Kind::kString) {
        s = WrongKind("app", v, "a string");
      } else if (Status a = ValidateAppName(v.string); !a.ok()) {
        s = a;
      } else {
        inc.app = v.string;
      }
    } else {
      s = Unknown("", key);
    }
    if (!s.ok()) {
      return s;
    }
  }
  if (!has_title) {
    return Missing("title");
  }
  if (!has_severity) {
    return Missing("severity");
  }
  return inc;
}

Result<std::string> ParseIncidentPatch(std::string_view body) {
  Result<JsonValue> root = ParseObject(body);
  if (!root.ok()) {
    return root.status();
  }
  std::string status;
  for (const auto& [key, v] : root->members) {
    if (key != "status") {
      return Unknown("", key);
    }
    if (Status s = OneOf(v, "status", {"acknowledged", "resolved"}, &status); !s.ok()) {
      return s;
    }
  }
  if (status.empty()) {
    return Missing("status");
  }
  return status;
}

Result<std::string> ParseCommentBody(std::string_view body) {
  Result<JsonValue> root = ParseObject(body);
  if (!root.ok()) {
    return root.status();
  }
  std::string content;
  bool has_type = false;
  for (const auto& [key, v] : root->members) {
    Status s;
    if (key == "event_type") {
      std::string type;
      s = OneOf(v, "event_type", {"comment"}, &type);
      has_type = true;
    } else if (key == "content") {
      s = String(v, "content", kMaxContentBytes, &content);
    } else {
      s = Unknown("", key);
    }
    if (!s.ok()) {
      return s;
    }
  }
  if (!has_type) {
    return Missing("event_type");
  }
  if (content.empty()) {
    return Missing("content");
  }
  return content;
}

std::string TimeJson(std::optional<int64_t> micros) {
  JsonWriter w;
  WriteOptionalTime(&w, micros);
  return w.Take();
}

std::string RuleJson(const AlertRule& r) {
  JsonWriter w;
  w.BeginObject();
  w.Key("id").String(r.id);
  w.Key("name").String(r.name);
  w.Key("query").BeginObject().Key("app").String(r.app).Key("event");
  if (r.event) {
    w.String(*r.event);
  } else {
    w.Null();
  }
  w.EndObject();
  w.Key("aggregate").String(r.aggregate);
  w.Key("comparator").String(r.comparator);
  w.Key("threshold").Double(r.threshold);
  w.Key("window_seconds").Int(r.window_seconds);
  w.Key("for_seconds").Int(r.for_seconds);
  w.Key("severity").String(r.severity);
  w.Key("channels").BeginArray();
  for (const std::string& c : r.channels) {
    w.String(c);
  }
  w.EndArray();
  w.Key("create_incident").Bool(r.create_incident);
  w.Key("is_active").Bool(r.is_active);
  w.Key("created_at");
  WriteOptionalTime(&w, r.created_at);
  w.Key("updated_at");
  WriteOptionalTime(&w, r.updated_at);
  w.EndObject();
  return w.Take();
}

std::string ChannelJson(const NotificationChannel& c) {
  JsonWriter w;
  w.BeginObject();
  w.Key("id").String(c.id);
  w.Key("name").String(c.name);
  w.Key("channel_type").String(c.channel_type);
  w.Key("config").BeginObject();
  if (c.channel_type == "webhook") {
    w.Key("url").String(c.url);
    w.Key("headers").BeginObject();
    for (const auto& [name, value] : c.headers) {
      w.Key(name).String(value);
    }
    w.EndObject();
  } else {
    w.Key("endpoint").String(c.endpoint);
  }
  w.EndObject();
  w.Key("created_at");
  WriteOptionalTime(&w, c.created_at);
  w.Key("disabled_at");
  WriteOptionalTime(&w, c.disabled_at);
  w.Key("disabled_reason");
  if (c.disabled_at) {
    w.String(c.disabled_reason);
  } else {
    w.Null();
  }
  w.EndObject();
  return w.Take();
}

std::string IncidentJson(const Incident& i, const std::vector<TimelineEntry>* timeline) {
  JsonWriter w;
  w.BeginObject();
  w.Key("id").String(i.id);
  w.Key("title").String(i.title);
  w.Key("severity").String(i.severity);
  w.Key("status").String(i.status);
  w.Key("app");
  i.app ? w.String(*i.app) : w.Null();
  w.Key("rule_id");
  i.rule_id ? w.String(*i.rule_id) : w.Null();
  w.Key("opened_at");
  WriteOptionalTime(&w, i.opened_at);
  w.Key("acknowledged_at");
  WriteOptionalTime(&w, i.acknowledged_at);
  w.Key("resolved_at");
  WriteOptionalTime(&w, i.resolved_at);
  if (timeline != nullptr) {
    w.Key("timeline").BeginArray();
    for (const TimelineEntry& e : *timeline) {
      w.BeginObject();
      w.Key("event_type").String(e.event_type);
      w.Key("content").String(e.content);
      w.Key("actor").String(e.actor);
      w.Key("time").String(FormatIso8601Micros(e.time));
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return w.Take();
}

}  // namespace itslog
