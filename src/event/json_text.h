// JSON text checks shared by the event module: validity of a whole JSON text (for JSONB values
// and request bodies), minifying, and UTF-8. Keeps simdjson out of every header.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace itslog {

// Deepest nesting of objects and arrays accepted in any JSON text.
constexpr int kMaxJsonDepth = 1024;

// Checks that text is exactly one JSON value (RFC 8259), optionally surrounded by whitespace:
// grammar, UTF-8, string escapes (no lone surrogates), no unescaped control characters, nesting
// at most kMaxJsonDepth. Numbers must follow the JSON grammar but may have any magnitude
// (RFC 8259 section 6 leaves range to the reader). Fails kInvalid "invalid_json" (no field)
// with a lower-case message saying what was wrong; never reads text outside the view.
Status CheckJsonText(std::string_view text);

// text without the whitespace between tokens; strings and numbers are kept byte for byte.
// text must have passed CheckJsonText.
std::string MinifyJson(std::string_view text);

// True if text is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace itslog
