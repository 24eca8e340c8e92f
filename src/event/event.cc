#include "event/event.h"

#include <charconv>
#include <cstdint>
#include <system_error>

#include "core/base64.h"
#include "core/time_util.h"
#include "event/json_text.h"

namespace itslog {

namespace {

bool IsAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// [A-Za-z0-9][A-Za-z0-9<extra>]{0,max-1}
bool MatchesName(std::string_view s, size_t max, std::string_view extra) {
  if (s.empty() || s.size() > max || !IsAlnum(s[0])) {
    return false;
  }
  for (char c : s) {
    if (!IsAlnum(c) && extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// JSON's integer syntax (RFC 8259 section 6, "int"): an optional '-', then "0" or digits not
// starting with 0. So no '+', no spaces, no leading zeros, no fraction or exponent; "-0" is
// allowed because JSON allows it. The same rule holds for a string and a JSON number value.
bool IsIntegerSyntax(std::string_view v) {
  size_t i = v.starts_with('-') ? 1 : 0;
  if (i == v.size()) {
    return false;
  }
  if (v[i] == '0' && i + 1 != v.size()) {
    return false;
  }
  for (; i < v.size(); ++i) {
    if (!IsDigit(v[i])) {
      return false;
    }
  }
  return true;
}

// JSON's number syntax: -?int(.digits)?([eE][+-]?digits)?. Rules out what from_chars would
// otherwise take: "nan", "inf", hex, '+', ".5", "5.", spaces.
bool IsDecimalSyntax(std::string_view v) {
  size_t i = v.starts_with('-') ? 1 : 0;
  size_t start = i;
  while (i < v.size() && IsDigit(v[i])) {
    ++i;
  }
  if (i == start || (v[start] == '0' && i - start > 1)) {
    return false;
  }
  if (i < v.size() && v[i] == '.') {
    size_t frac = ++i;
    while (i < v.size() && IsDigit(v[i])) {
      ++i;
    }
    if (i == frac) {
      return false;
    }
  }
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) {
      ++i;
    }
    size_t exp = i;
    while (i < v.size() && IsDigit(v[i])) {
      ++i;
    }
    if (i == exp) {
      return false;
    }
  }
  return i == v.size();
}

Status BadValue(std::string message) {
  return InvalidError("invalid_value", std::move(message), "value");
}

Status ValidateInteger(std::string_view v) {
  if (!IsIntegerSyntax(v)) {
    return BadValue("value " + Quote(v) +
                    " is not an INTEGER: expected decimal digits with an optional leading '-' "
                    "(no '+', spaces, leading zeros, fraction or exponent)");
  }
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) {
    return BadValue("value " + Quote(v) +
                    " is out of range for INTEGER: accepted are whole numbers from "
                    "-9223372036854775808 to 9223372036854775807");
  }
  return Status::Ok();
}

Status ValidateReal(std::string_view v) {
  if (!IsDecimalSyntax(v)) {
    return BadValue("value " + Quote(v) +
                    " is not a REAL: expected a decimal number such as 1.5, -2 or 6.02e23 "
                    "(no '+', spaces, nan, inf or hex)");
  }
  double d = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  // result_out_of_range: beyond a double's range, or so small it would round to zero.
  if (ec != std::errc() || end != v.data() + v.size()) {
    return BadValue("value " + Quote(v) +
                    " is out of range for REAL: accepted are numbers a 64-bit double holds "
                    "(magnitudes from about 5e-324 to 1.8e308, or 0)");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateAppName(std::string_view app) {
  if (!MatchesName(app, 128, "._-")) {
    return InvalidError("invalid_app_name",
                        "app name " + Quote(app) +
                            " is not valid: use 1 to 128 characters from A-Z a-z 0-9 . _ -, "
                            "starting with a letter or digit",
                        "app");
  }
  return Status::Ok();
}

Status ValidateEventName(std::string_view name) {
  if (!MatchesName(name, 256, "._:-")) {
    return InvalidError("invalid_event_name",
                        "event name " + Quote(name) +
                            " is not valid: use 1 to 256 characters from A-Z a-z 0-9 . _ : -, "
                            "starting with a letter or digit",
                        "event");
  }
  return Status::Ok();
}

// Printable ASCII as isprint(3) in the C locale: 0x20 (space) to 0x7e.
Status ValidateIdempotencyKey(std::string_view key) {
  bool ok = !key.empty() && key.size() <= 128;
  for (size_t i = 0; ok && i < key.size(); ++i) {
    ok = key[i] >= 0x20 && key[i] <= 0x7e;
  }
  if (!ok) {
    return InvalidError(
        "invalid_idempotency_key",
        "idempotency key " + Quote(key) + " is not valid: use 1 to 128 printable ASCII characters",
        "id");
  }
  return Status::Ok();
}

Status ValidateValue(ValueType type, std::string_view value) {
  switch (type) {
    case ValueType::kInteger:
      return ValidateInteger(value);
    case ValueType::kReal:
      return ValidateReal(value);
    case ValueType::kText:
      if (!IsValidUtf8(value)) {
        return BadValue("value " + Quote(value) + " is not valid UTF-8: TEXT accepts any UTF-8");
      }
      return Status::Ok();
    case ValueType::kDate:
      if (!ParseDay(value)) {
        return BadValue("value " + Quote(value) +
                        " is not a DATE: expected a calendar day as YYYY-MM-DD, such as "
                        "2025-03-01, in the years 0001 to 9999");
      }
      return Status::Ok();
    case ValueType::kDateTime:
      if (!ParseIso8601Micros(value)) {
        return BadValue("value " + Quote(value) +
                        " is not a DATETIME: expected ISO 8601 such as 2025-03-01T12:30:00Z or "
                        "2025-03-01T12:30:00.25+01:00");
      }
      return Status::Ok();
    case ValueType::kJson:
      if (Status s = CheckJsonText(value); !s.ok()) {
        if (s.code() != Code::kInvalid) {
          return s;
        }
        return BadValue("value " + Quote(value) + " is not valid JSON (" + s.message() +
                        "): JSONB accepts any JSON text, such as {\"a\":1}");
      }
      return Status::Ok();
    case ValueType::kBlob:
      if (!DecodeBase64(value)) {
        return BadValue("value " + Quote(value) +
                        " is not base64: BLOB accepts standard base64 with '=' padding "
                        "(RFC 4648: A-Z a-z 0-9 + /, no whitespace)");
      }
      return Status::Ok();
  }
  return InvalidError(
      "invalid_type",
      "type " + std::to_string(static_cast<int>(type)) + " is not valid: use 1 to 7", "type");
}

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kInteger:
      return "INTEGER";
    case ValueType::kReal:
      return "REAL";
    case ValueType::kText:
      return "TEXT";
    case ValueType::kDate:
      return "DATE";
    case ValueType::kDateTime:
      return "DATETIME";
    case ValueType::kJson:
      return "JSONB";
    case ValueType::kBlob:
      return "BLOB";
  }
  return "UNKNOWN";
}

}  // namespace itslog
