// JsonValue: a request body parsed into a small tree (simdjson underneath), for the routes
// whose bodies are nested objects (alert rules, channels, incidents). Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace itslog {

struct JsonMember;

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  bool is_integer = false;  // the number was written without fraction or exponent
  int64_t integer = 0;      // when is_integer
  std::string string;
  std::vector<JsonValue> items;     // kArray
  std::vector<JsonMember> members;  // kObject, in order, keys unique

  // The member named key of an object, or nullptr.
  const JsonValue* Find(std::string_view key) const;
  // "a string", "a number", ... for error messages.
  std::string_view KindName() const;
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

// Parses text as one JSON value. Fails kInvalid "invalid_json" (field "body") for anything
// that is not exactly one valid JSON text, and for an object naming a member twice.
Result<JsonValue> ParseJsonValue(std::string_view text);

}  // namespace itslog
