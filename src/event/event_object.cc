#include "event/event_object.h"

#include <simdjson.h>

#include "core/json_writer.h"
#include "core/time_util.h"

namespace itslog {

namespace {

namespace dom = simdjson::dom;

Status Bad(std::string message) {
  return CorruptError("invalid_event_object", "not an its-log event object: " + message);
}

enum Member : unsigned {
  kTime = 1,
  kTs = 2,
  kApp = 4,
  kEventName = 8,
  kValue = 16,
  kType = 32,
  kUnique = 64,
  kAll = 127,
};

unsigned MemberOf(std::string_view key) {
  static constexpr struct {
    std::string_view name;
    Member member;
  } kMembers[] = {{"time", kTime},   {"ts", kTs},     {"app", kApp},      {"event", kEventName},
                  {"value", kValue}, {"type", kType}, {"unique", kUnique}};
  for (const auto& m : kMembers) {
    if (m.name == key) {
      return m.member;
    }
  }
  return 0;
}

Result<std::string_view> StringMember(dom::element v, std::string_view name) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) {
    return Bad("\"" + std::string(name) + "\" is not a string");
  }
  return s;
}

}  // namespace

std::string FormatEventObject(int64_t ts_micros, const Event& event) {
  JsonWriter w;
  w.BeginObject();
  w.Key("time").String(FormatIso8601Micros(ts_micros));
  w.Key("ts").Int(ts_micros);
  w.Key("app").String(event.app);
  w.Key("event").String(event.name);
  w.Key("value");
  if (event.value) {
    w.String(*event.value);
  } else {
    w.Null();
  }
  w.Key("type").Int(static_cast<int64_t>(event.type));
  w.Key("unique").Bool(event.is_unique);
  w.EndObject();
  return w.Take();
}

Result<StoredEvent> ParseEventObject(std::string_view json) {
  dom::parser parser;
  simdjson::padded_string padded(json);
  dom::element root;
  if (simdjson::error_code e = parser.parse(padded).get(root)) {
    return Bad(std::string("invalid JSON (") + simdjson::error_message(e) + ")");
  }
  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return Bad("the document is not a JSON object");
  }
  StoredEvent out;
  std::string_view time;
  unsigned seen = 0;
  for (dom::key_value_pair member : object) {
    unsigned m = MemberOf(member.key);
    if (m == 0) {
      return Bad("unknown member " + Quote(member.key));
    }
    if ((seen & m) != 0) {
      return Bad("member " + Quote(member.key) + " appears twice");
    }
    seen |= m;
    dom::element v = member.value;
    switch (m) {
      case kTime: {
        Result<std::string_view> s = StringMember(v, "time");
        if (!s.ok()) {
          return s.status();
        }
        time = *s;
        break;
      }
      case kTs:
        if (v.type() != dom::element_type::INT64 ||
            v.get_int64().get(out.ts_micros) != simdjson::SUCCESS) {
          return Bad("\"ts\" is not an integer number of microseconds");
        }
        break;
      case kApp:
      case kEventName: {
        Result<std::string_view> s = StringMember(v, m == kApp ? "app" : "event");
        if (!s.ok()) {
          return s.status();
        }
        (m == kApp ? out.event.app : out.event.name) = std::string(*s);
        break;
      }
      case kValue:
        if (!v.is_null()) {
          Result<std::string_view> s = StringMember(v, "value");
          if (!s.ok()) {
            return Bad("\"value\" is neither a string nor null");
          }
          out.event.value = std::string(*s);
        }
        break;
      case kType: {
        int64_t type = 0;
        if (v.type() != dom::element_type::INT64 || v.get_int64().get(type) != simdjson::SUCCESS ||
            type < 1 || type > 7) {
          return Bad("\"type\" is not an integer from 1 to 7");
        }
        out.event.type = static_cast<ValueType>(type);
        break;
      }
      case kUnique: {
        bool unique = false;
        if (v.get_bool().get(unique) != simdjson::SUCCESS) {
          return Bad("\"unique\" is not true or false");
        }
        out.event.is_unique = unique;
        break;
      }
    }
  }
  if (seen != kAll) {
    static constexpr std::string_view kNames[] = {"time",  "ts",   "app",   "event",
                                                  "value", "type", "unique"};
    for (unsigned i = 0; i < 7; ++i) {
      if ((seen & (1u << i)) == 0) {
        return Bad("member \"" + std::string(kNames[i]) + "\" is missing");
      }
    }
  }
  std::optional<int64_t> parsed_time = ParseIso8601Micros(time);
  if (!parsed_time || *parsed_time != out.ts_micros) {
    return Bad("\"time\" " + Quote(time) + " does not spell \"ts\" " +
               std::to_string(out.ts_micros));
  }
  if (Status s = ValidateAppName(out.event.app); !s.ok()) {
    return Bad(s.message());
  }
  if (Status s = ValidateEventName(out.event.name); !s.ok()) {
    return Bad(s.message());
  }
  if (out.event.value) {
    if (Status s = ValidateValue(out.event.type, *out.event.value); !s.ok()) {
      return Bad(s.message());
    }
  }
  return out;
}

}  // namespace itslog
