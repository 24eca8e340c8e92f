#include "event/event_parser.h"

#include <simdjson.h>

#include <utility>

#include "event/json_text.h"

namespace itslog {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// Every body is first checked whole by CheckJsonText (which, unlike on-demand parsing, reads
// all of it), then read a second time here: so a malformed body never yields half its items,
// and errors met while reading are unexpected.

bool IsJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view TrimJsonSpace(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsJsonSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// "an object", "a string", ... for messages.
std::string_view KindName(od::json_type type) {
  switch (type) {
    case od::json_type::object:
      return "an object";
    case od::json_type::array:
      return "an array";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "an unknown value";
}

Status Unreadable(error_code e) {
  return InvalidError("invalid_json", "the JSON could not be read (simdjson error " +
                                          std::to_string(static_cast<int>(e)) + ")");
}

enum class Mode {
  kLog,  // POST /v1/log: "event", "value", "type", "app", "id"
  kPut,  // PUT body: "value", "type", "id"; app and event come from the path
};

enum Member : unsigned {
  kEventMember = 1,
  kValueMember = 2,
  kTypeMember = 4,
  kAppMember = 8,
  kIdMember = 16,
};

unsigned MemberOf(std::string_view key) {
  if (key == "event") {
    return kEventMember;
  }
  if (key == "value") {
    return kValueMember;
  }
  if (key == "type") {
    return kTypeMember;
  }
  if (key == "app") {
    return kAppMember;
  }
  if (key == "id") {
    return kIdMember;
  }
  return 0;
}

// "value" as sent, read before "type" may be known.
struct RawValue {
  enum class Kind { kNone, kString, kNumber, kOther };  // kNone: absent or null
  Kind kind = Kind::kNone;
  od::json_type json_type = od::json_type::null;
  std::string text;  // string: unescaped; number: its exact text; other: its JSON text
};

// A string member, or the reason/field error for any other JSON type.
Result<std::string> ReadString(od::value v, od::json_type type, std::string_view member,
                               const char* reason) {
  if (type != od::json_type::string) {
    return InvalidError(
        reason, std::string(member) + " must be a JSON string, not " + std::string(KindName(type)),
        std::string(member));
  }
  std::string_view s;
  if (error_code e = v.get_string().get(s)) {
    return Unreadable(e);
  }
  return std::string(s);
}

Status BadType(std::string what) {
  return InvalidError("invalid_type",
                      std::move(what) +
                          ": use an integer from 1 to 7 (1 INTEGER, 2 REAL, 3 TEXT, 4 DATE, "
                          "5 DATETIME, 6 JSONB, 7 BLOB)",
                      "type");
}

Result<ValueType> ReadType(od::value v, od::json_type type) {
  if (type != od::json_type::number) {
    std::string what = "type must be a JSON number, not " + std::string(KindName(type));
    std::string_view s;
    if (type == od::json_type::string && !v.get_string().get(s)) {
      what += " (" + Quote(s) + ")";
    }
    return BadType(std::move(what));
  }
  std::string_view token = TrimJsonSpace(v.raw_json_token());
  if (token.size() != 1 || token[0] < '1' || token[0] > '7') {
    return BadType("type " + Quote(token) + " is not valid");
  }
  return static_cast<ValueType>(token[0] - '0');
}

Result<RawValue> ReadValue(od::value v, od::json_type type) {
  RawValue raw;
  raw.json_type = type;
  switch (type) {
    case od::json_type::null:
      return raw;
    case od::json_type::string: {
      std::string_view s;
      if (error_code e = v.get_string().get(s)) {
        return Unreadable(e);
      }
      raw.kind = RawValue::Kind::kString;
      raw.text = s;
      return raw;
    }
    case od::json_type::number:
    case od::json_type::boolean:
      raw.kind = type == od::json_type::number ? RawValue::Kind::kNumber : RawValue::Kind::kOther;
      raw.text = TrimJsonSpace(v.raw_json_token());
      return raw;
    case od::json_type::object: {
      od::object object;
      std::string_view json;
      if (error_code e = v.get_object().get(object)) {
        return Unreadable(e);
      }
      if (error_code e = object.raw_json().get(json)) {
        return Unreadable(e);
      }
      raw.kind = RawValue::Kind::kOther;
      raw.text = MinifyJson(json);
      return raw;
    }
    case od::json_type::array: {
      od::array array;
      std::string_view json;
      if (error_code e = v.get_array().get(array)) {
        return Unreadable(e);
      }
      if (error_code e = array.raw_json().get(json)) {
        return Unreadable(e);
      }
      raw.kind = RawValue::Kind::kOther;
      raw.text = MinifyJson(json);
      return raw;
    }
  }
  return Unreadable(simdjson::INCORRECT_TYPE);
}

// Checks the value against the event's type and stores it: a string as sent, a number as its
// exact text (INTEGER, REAL, JSONB), any other JSON as minified text (JSONB only).
Status SetValue(Event* event, RawValue raw) {
  const ValueType type = event->type;
  const std::string type_name(TypeName(type));
  switch (raw.kind) {
    case RawValue::Kind::kNone:
      return Status::Ok();
    case RawValue::Kind::kString:
      if (Status s = ValidateValue(type, raw.text); !s.ok()) {
        return s;
      }
      break;
    case RawValue::Kind::kNumber:
      if (type == ValueType::kInteger || type == ValueType::kReal) {
        if (Status s = ValidateValue(type, raw.text); !s.ok()) {
          return s;
        }
      } else if (type != ValueType::kJson) {
        return InvalidError("invalid_value",
                            "value " + Quote(raw.text) +
                                " is a JSON number, accepted only for INTEGER, REAL and JSONB: "
                                "send a " +
                                type_name + " value as a JSON string",
                            "value");
      }
      break;
    case RawValue::Kind::kOther:
      if (type != ValueType::kJson) {
        return InvalidError("invalid_value",
                            "value is " + std::string(KindName(raw.json_type)) +
                                ", accepted only " + "for JSONB: send a " + type_name +
                                " value as a JSON string",
                            "value");
      }
      break;
  }
  event->value = std::move(raw.text);
  return Status::Ok();
}

// One event object. base carries what the object does not: the default app (kLog), or the
// app, event name and is_unique from the path (kPut). Members are checked in the order sent;
// the value last, as it depends on "type".
Result<Event> ParseObject(od::object object, Mode mode, Event base) {
  const unsigned allowed = mode == Mode::kLog
                               ? kEventMember | kValueMember | kTypeMember | kAppMember | kIdMember
                               : kValueMember | kTypeMember | kIdMember;
  Event event = std::move(base);
  RawValue raw;
  unsigned seen = 0;
  for (auto field_result : object) {
    od::field field;
    if (error_code e = std::move(field_result).get(field)) {
      return Unreadable(e);
    }
    std::string_view key;
    if (error_code e = field.unescaped_key().get(key)) {
      return Unreadable(e);
    }
    const unsigned member = MemberOf(key);
    if ((member & allowed) == 0) {
      std::string message = "member " + Quote(key) + " is not known: ";
      message += mode == Mode::kLog
                     ? "an event has \"event\", \"value\", \"type\", \"app\" and \"id\""
                     : "this body has \"value\", \"type\" and \"id\"; the app and "
                       "event are taken from the path";
      return InvalidError("unknown_field", std::move(message), std::string(key));
    }
    if ((seen & member) != 0) {
      // RFC 8259 leaves the meaning of repeated names open; we refuse to guess.
      return InvalidError("invalid_json",
                          "member " + Quote(key) + " appears more than once: send each member once",
                          std::string(key));
    }
    seen |= member;
    od::value v = field.value();
    od::json_type type;
    if (error_code e = v.type().get(type)) {
      return Unreadable(e);
    }
    switch (member) {
      case kEventMember: {
        Result<std::string> name = ReadString(v, type, "event", "invalid_event_name");
        if (!name.ok()) {
          return name.status();
        }
        if (Status s = ValidateEventName(*name); !s.ok()) {
          return s;
        }
        event.name = std::move(name).value();
        break;
      }
      case kAppMember: {
        Result<std::string> app = ReadString(v, type, "app", "invalid_app_name");
        if (!app.ok()) {
          return app.status();
        }
        if (Status s = ValidateAppName(*app); !s.ok()) {
          return s;
        }
        event.app = std::move(app).value();
        break;
      }
      case kIdMember: {
        Result<std::string> id = ReadString(v, type, "id", "invalid_idempotency_key");
        if (!id.ok()) {
          return id.status();
        }
        if (Status s = ValidateIdempotencyKey(*id); !s.ok()) {
          return s;
        }
        event.idempotency_key = std::move(id).value();
        break;
      }
      case kTypeMember: {
        Result<ValueType> value_type = ReadType(v, type);
        if (!value_type.ok()) {
          return value_type.status();
        }
        event.type = *value_type;
        break;
      }
      case kValueMember: {
        Result<RawValue> value = ReadValue(v, type);
        if (!value.ok()) {
          return value.status();
        }
        raw = std::move(value).value();
        break;
      }
    }
  }
  if (mode == Mode::kLog && (seen & kEventMember) == 0) {
    return InvalidError("missing_field", "member \"event\" is required: name the event", "event");
  }
  if (Status s = SetValue(&event, std::move(raw)); !s.ok()) {
    return s;
  }
  return event;
}

Status NotJson(std::string_view what, const Status& s, std::string_view accepted) {
  if (s.code() != Code::kInvalid) {
    return s;
  }
  return InvalidError("invalid_json", std::string(what) + " is not valid JSON: " + s.message() +
                                          "; " + std::string(accepted));
}

constexpr std::string_view kLogAccepts = "send one event object, an array of them, or NDJSON";
constexpr std::string_view kPutAccepts =
    "send nothing, or an object with \"value\", \"type\" and \"id\"";

Status BatchTooLarge(size_t count, size_t max_batch) {
  return Status(Code::kTooLarge, "batch_too_large",
                "the batch has " + std::to_string(count) + " items, more than the " +
                    std::to_string(max_batch) + " accepted: split it into smaller requests",
                "body");
}

Event LogBase(const ParseOptions& options) {
  Event base;
  base.app = options.default_app;
  return base;
}

// application/x-ndjson: each non-blank line is one event object; a bad line is an error item.
Result<ParsedBody> ParseNdjson(std::string_view body, const ParseOptions& options) {
  struct Line {
    size_t number;  // 1-based, for messages
    std::string_view text;
  };
  std::vector<Line> lines;
  size_t number = 0;
  while (!body.empty()) {
    size_t end = body.find('\n');
    std::string_view line = body.substr(0, end);
    body.remove_prefix(end == std::string_view::npos ? body.size() : end + 1);
    ++number;
    if (!TrimJsonSpace(line).empty()) {
      lines.push_back({number, line});
    }
  }
  if (lines.size() > options.max_batch) {
    return BatchTooLarge(lines.size(), options.max_batch);
  }
  ParsedBody parsed;
  parsed.is_batch = true;
  parsed.items.reserve(lines.size());
  od::parser parser;
  for (const Line& line : lines) {
    const std::string where = "line " + std::to_string(line.number);
    if (Status s = CheckJsonText(line.text); !s.ok()) {
      parsed.items.emplace_back(NotJson(where, s, "send one event object per line"));
      continue;
    }
    simdjson::padded_string padded(line.text);
    od::document doc;
    od::json_type type;
    od::object object;
    if (error_code e = parser.iterate(padded).get(doc)) {
      parsed.items.emplace_back(Unreadable(e));
    } else if (error_code e2 = doc.type().get(type)) {
      parsed.items.emplace_back(Unreadable(e2));
    } else if (type != od::json_type::object) {
      parsed.items.emplace_back(InvalidError(
          "invalid_json", where + " is " + std::string(KindName(type)) + ", not an event object"));
    } else if (error_code e3 = doc.get_object().get(object)) {
      parsed.items.emplace_back(Unreadable(e3));
    } else {
      parsed.items.emplace_back(ParseObject(object, Mode::kLog, LogBase(options)));
    }
  }
  return parsed;
}

}  // namespace

Result<ParsedBody> ParseLogBody(std::string_view body, bool ndjson, const ParseOptions& options) {
  if (TrimJsonSpace(body).empty()) {
    return InvalidError("empty_body", "the body is empty: " + std::string(kLogAccepts), "body");
  }
  if (ndjson) {
    return ParseNdjson(body, options);
  }
  if (Status s = CheckJsonText(body); !s.ok()) {
    return NotJson("the body", s, kLogAccepts);
  }
  simdjson::padded_string padded(body);
  od::parser parser;
  od::document doc;
  if (error_code e = parser.iterate(padded).get(doc)) {
    return Unreadable(e);
  }
  od::json_type type;
  if (error_code e = doc.type().get(type)) {
    return Unreadable(e);
  }
  ParsedBody parsed;
  if (type == od::json_type::object) {
    od::object object;
    if (error_code e = doc.get_object().get(object)) {
      return Unreadable(e);
    }
    parsed.items.emplace_back(ParseObject(object, Mode::kLog, LogBase(options)));
    return parsed;
  }
  if (type != od::json_type::array) {
    return InvalidError("invalid_json", "the body is " + std::string(KindName(type)) + ": " +
                                            std::string(kLogAccepts));
  }
  od::array array;
  size_t count = 0;
  if (error_code e = doc.get_array().get(array)) {
    return Unreadable(e);
  }
  if (error_code e = array.count_elements().get(count)) {
    return Unreadable(e);
  }
  if (count == 0) {
    return InvalidError("empty_batch", "the batch is an empty array: send at least one event",
                        "body");
  }
  if (count > options.max_batch) {
    return BatchTooLarge(count, options.max_batch);
  }
  parsed.is_batch = true;
  parsed.items.reserve(count);
  for (auto element_result : array) {
    od::value element;
    od::json_type element_type;
    od::object object;
    if (error_code e = std::move(element_result).get(element)) {
      return Unreadable(e);  // the iterator cannot go on
    }
    if (error_code e = element.type().get(element_type)) {
      return Unreadable(e);
    }
    if (element_type != od::json_type::object) {
      parsed.items.emplace_back(InvalidError(
          "invalid_json", "item " + std::to_string(parsed.items.size()) + " is " +
                              std::string(KindName(element_type)) + ", not an event object"));
      continue;
    }
    if (error_code e = element.get_object().get(object)) {
      return Unreadable(e);
    }
    parsed.items.emplace_back(ParseObject(object, Mode::kLog, LogBase(options)));
  }
  return parsed;
}

Result<Event> ParsePutBody(std::string_view body, std::string_view app, std::string_view name,
                           bool is_unique) {
  if (Status s = ValidateAppName(app); !s.ok()) {
    return s;
  }
  if (Status s = ValidateEventName(name); !s.ok()) {
    return s;
  }
  Event event;
  event.app = app;
  event.name = name;
  event.is_unique = is_unique;
  if (TrimJsonSpace(body).empty()) {
    return event;
  }
  if (Status s = CheckJsonText(body); !s.ok()) {
    return NotJson("the body", s, kPutAccepts);
  }
  simdjson::padded_string padded(body);
  od::parser parser;
  od::document doc;
  od::json_type type;
  od::object object;
  if (error_code e = parser.iterate(padded).get(doc)) {
    return Unreadable(e);
  }
  if (error_code e = doc.type().get(type)) {
    return Unreadable(e);
  }
  if (type != od::json_type::object) {
    return InvalidError("invalid_json", "the body is " + std::string(KindName(type)) + ": " +
                                            std::string(kPutAccepts));
  }
  if (error_code e = doc.get_object().get(object)) {
    return Unreadable(e);
  }
  return ParseObject(object, Mode::kPut, std::move(event));
}

}  // namespace itslog
