#include "event/json_value.h"

#include <simdjson.h>

namespace itslog {

namespace {

namespace dom = simdjson::dom;

Status Invalid(std::string message) {
  return InvalidError("invalid_json", std::move(message), "body");
}

Status Convert(dom::element e, JsonValue* out) {
  // Each value is read with get() into a local: value_unsafe() on temporaries trips GCC's
  // -Wmaybe-uninitialized at -O2.
  bool ok = true;
  switch (e.type()) {
    case dom::element_type::NULL_VALUE:
      out->kind = JsonValue::Kind::kNull;
      break;
    case dom::element_type::BOOL:
      out->kind = JsonValue::Kind::kBool;
      ok = e.get_bool().get(out->boolean) == simdjson::SUCCESS;
      break;
    case dom::element_type::INT64:
      out->kind = JsonValue::Kind::kNumber;
      out->is_integer = true;
      ok = e.get_int64().get(out->integer) == simdjson::SUCCESS;
      out->number = static_cast<double>(out->integer);
      break;
    case dom::element_type::UINT64: {
      out->kind = JsonValue::Kind::kNumber;
      uint64_t u = 0;
      ok = e.get_uint64().get(u) == simdjson::SUCCESS;
      out->number = static_cast<double>(u);
      break;
    }
    case dom::element_type::DOUBLE:
      out->kind = JsonValue::Kind::kNumber;
      ok = e.get_double().get(out->number) == simdjson::SUCCESS;
      break;
    case dom::element_type::STRING: {
      out->kind = JsonValue::Kind::kString;
      std::string_view text;
      ok = e.get_string().get(text) == simdjson::SUCCESS;
      out->string = std::string(text);
      break;
    }
    case dom::element_type::ARRAY: {
      out->kind = JsonValue::Kind::kArray;
      dom::array array;
      if (e.get_array().get(array) != simdjson::SUCCESS) {
        return Invalid("unreadable array");
      }
      for (dom::element item : array) {
        JsonValue v;
        if (Status s = Convert(item, &v); !s.ok()) {
          return s;
        }
        out->items.push_back(std::move(v));
      }
      break;
    }
    case dom::element_type::OBJECT: {
      out->kind = JsonValue::Kind::kObject;
      dom::object object;
      if (e.get_object().get(object) != simdjson::SUCCESS) {
        return Invalid("unreadable object");
      }
      for (dom::key_value_pair kv : object) {
        std::string key(kv.key);
        if (out->Find(key) != nullptr) {
          return Invalid("the member \"" + key.substr(0, 64) + "\" is given twice");
        }
        JsonValue v;
        if (Status s = Convert(kv.value, &v); !s.ok()) {
          return s;
        }
        out->members.push_back(JsonMember{std::move(key), std::move(v)});
      }
      break;
    }
  }
  return ok ? Status::Ok() : Invalid("unreadable JSON value");
}

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const auto& [k, v] : members) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

std::string_view JsonValue::KindName() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "a boolean";
    case Kind::kNumber:
      return "a number";
    case Kind::kString:
      return "a string";
    case Kind::kArray:
      return "an array";
    case Kind::kObject:
      return "an object";
  }
  return "a value";
}

Result<JsonValue> ParseJsonValue(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return InvalidError("empty_body", "the request body is empty; send a JSON object", "body");
  }
  simdjson::padded_string padded(text);
  dom::parser parser;
  dom::element root;
  if (simdjson::error_code e = parser.parse(padded).get(root)) {
    return Invalid(std::string("the body is not valid JSON (") + simdjson::error_message(e) + ")");
  }
  JsonValue out;
  if (Status s = Convert(root, &out); !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace itslog
