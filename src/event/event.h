// Event: one event as the worker receives it, and the contract's rules for names and values
// (docs/API.md, "Names" and "Types"). Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace itslog {

enum class ValueType : uint8_t {
  kInteger = 1,
  kReal = 2,
  kText = 3,
  kDate = 4,
  kDateTime = 5,
  kJson = 6,
  kBlob = 7,
};

struct Event {
  std::string app;
  std::string name;
  ValueType type = ValueType::kText;
  std::optional<std::string> value;            // as stored: NULL when none was sent
  std::optional<std::string> idempotency_key;  // header Idempotency-Key or "id"
  bool is_unique = false;                      // PUT /v1/unique
};

// app: [A-Za-z0-9][A-Za-z0-9._-]{0,127}. Fails kInvalid "invalid_app_name", field "app".
Status ValidateAppName(std::string_view app);
// event: [A-Za-z0-9][A-Za-z0-9._:-]{0,255}. Fails kInvalid "invalid_event_name", field "event".
Status ValidateEventName(std::string_view name);
// 1..128 printable ASCII characters. Fails kInvalid "invalid_idempotency_key", field "id".
Status ValidateIdempotencyKey(std::string_view key);
// Checks that value decodes as type (INTEGER: int64; REAL: finite decimal; TEXT: any; DATE:
// YYYY-MM-DD; DATETIME: ISO 8601; JSONB: valid JSON text; BLOB: padded base64).
// Fails kInvalid "invalid_value", field "value".
// In detail: INTEGER and REAL use JSON's number syntax (an optional '-', no '+', no leading
// zeros, no spaces; INTEGER without fraction or exponent) and must fit an int64 / a double
// (REAL: neither overflowing nor rounding to zero). TEXT is any valid UTF-8, NUL included.
// DATE is a real calendar day in 0001..9999. DATETIME is ParseIso8601Micros's format (no
// offset means UTC). JSONB is one JSON value, numbers of any size, nesting up to 1024.
Status ValidateValue(ValueType type, std::string_view value);

// The contract's name of a type ("INTEGER", ...).
std::string_view TypeName(ValueType type);

}  // namespace itslog
