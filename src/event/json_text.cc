#include "event/json_text.h"

#include <simdjson.h>

namespace itslog {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// The on-demand parser of simdjson 3.0.1 always uses the default depth limit.
static_assert(kMaxJsonDepth == simdjson::DEFAULT_MAX_DEPTH);

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

// RFC 8259 section 6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, of any magnitude.
// simdjson's own number parser refuses what does not fit a double or a 64-bit integer, which
// is a limit of the reader, not of JSON; JSONB values may carry such numbers.
bool IsJsonNumber(std::string_view t) {
  size_t i = 0;
  auto digit = [&](size_t k) { return k < t.size() && t[k] >= '0' && t[k] <= '9'; };
  if (i < t.size() && t[i] == '-') {
    ++i;
  }
  if (!digit(i)) {
    return false;
  }
  if (t[i] == '0') {
    ++i;
  } else {
    while (digit(i)) {
      ++i;
    }
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digit(i)) {
      return false;
    }
    while (digit(i)) {
      ++i;
    }
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
      ++i;
    }
    if (!digit(i)) {
      return false;
    }
    while (digit(i)) {
      ++i;
    }
  }
  return i == t.size();
}

// What was wrong, in words a client can act on.
std::string Describe(error_code e) {
  switch (e) {
    case simdjson::UTF8_ERROR:
      return "the text is not valid UTF-8";
    case simdjson::UNCLOSED_STRING:
      return "a string is not closed";
    case simdjson::STRING_ERROR:
      return "a string has an invalid escape sequence (or a lone surrogate)";
    case simdjson::UNESCAPED_CHARS:
      return "a string contains an unescaped control character";
    case simdjson::NUMBER_ERROR:
      return "a number is malformed";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
    case simdjson::INCORRECT_TYPE:
      return "a literal is not true, false or null";
    case simdjson::DEPTH_ERROR:
      return "objects and arrays nest deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    case simdjson::EMPTY:
      return "there is no JSON value";
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      return "an object or array is not closed";
    default:
      return "the structure is malformed (a missing or extra comma, colon, quote, brace or "
             "bracket, or content after the value)";
  }
}

// Visits every value below v so that all of it is checked: on-demand parsing is lazy and
// would otherwise skip whatever is not read.
error_code Walk(od::value v, int depth);

error_code WalkObject(od::object object, int depth) {
  for (auto field_result : object) {
    od::field field;
    if (error_code e = std::move(field_result).get(field)) {
      return e;
    }
    std::string_view key;
    if (error_code e = field.unescaped_key().get(key)) {
      return e;
    }
    if (error_code e = Walk(field.value(), depth + 1)) {
      return e;
    }
  }
  return simdjson::SUCCESS;
}

error_code WalkArray(od::array array, int depth) {
  for (auto element_result : array) {
    od::value element;
    if (error_code e = std::move(element_result).get(element)) {
      return e;
    }
    if (error_code e = Walk(element, depth + 1)) {
      return e;
    }
  }
  return simdjson::SUCCESS;
}

error_code Walk(od::value v, int depth) {
  if (depth > kMaxJsonDepth) {
    return simdjson::DEPTH_ERROR;
  }
  od::json_type type;
  if (error_code e = v.type().get(type)) {
    return e;
  }
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (error_code e = v.get_object().get(object)) {
        return e;
      }
      return WalkObject(object, depth);
    }
    case od::json_type::array: {
      od::array array;
      if (error_code e = v.get_array().get(array)) {
        return e;
      }
      return WalkArray(array, depth);
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::number:
      // Left unconsumed: the enclosing iterator steps over it.
      return IsJsonNumber(TrimJsonSpace(v.raw_json_token())) ? simdjson::SUCCESS
                                                             : simdjson::NUMBER_ERROR;
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (error_code e = v.is_null().get(is_null)) {
        return e;
      }
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

error_code WalkDocument(od::document& doc) {
  od::json_type type;
  if (error_code e = doc.type().get(type)) {
    return e;
  }
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (error_code e = doc.get_object().get(object)) {
        return e;
      }
      if (error_code e = WalkObject(object, 1)) {
        return e;
      }
      break;
    }
    case od::json_type::array: {
      od::array array;
      if (error_code e = doc.get_array().get(array)) {
        return e;
      }
      if (error_code e = WalkArray(array, 1)) {
        return e;
      }
      break;
    }
    case od::json_type::number:
      // A lone number: the caller checked the whole trimmed text.
      return simdjson::SUCCESS;
    case od::json_type::string: {
      std::string_view s;
      if (error_code e = doc.get_string().get(s)) {
        return e;
      }
      break;
    }
    case od::json_type::boolean: {
      bool b;
      if (error_code e = doc.get_bool().get(b)) {
        return e;
      }
      break;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (error_code e = doc.is_null().get(is_null)) {
        return e;
      }
      if (!is_null) {
        return simdjson::N_ATOM_ERROR;
      }
      break;
    }
  }
  // simdjson 3.0.1 has no document::at_end(): having consumed the root, the iterator is out of
  // bounds exactly when nothing follows it.
  const char* location = nullptr;
  if (doc.current_location().get(location) != simdjson::OUT_OF_BOUNDS) {
    return simdjson::TAPE_ERROR;
  }
  return simdjson::SUCCESS;
}

}  // namespace

Status CheckJsonText(std::string_view text) {
  std::string_view trimmed = TrimJsonSpace(text);
  if (trimmed.empty()) {
    return InvalidError("invalid_json", Describe(simdjson::EMPTY));
  }
  // A number alone is checked here in full: simdjson would reject a valid but huge one.
  const char first = trimmed.front();
  if (first == '-' || (first >= '0' && first <= '9')) {
    return IsJsonNumber(trimmed) ? Status::Ok()
                                 : InvalidError("invalid_json", Describe(simdjson::NUMBER_ERROR));
  }
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: give it a padded copy.
  simdjson::padded_string padded(text);
  od::parser parser;
  od::document doc;
  error_code e = parser.iterate(padded).get(doc);
  if (!e) {
    e = WalkDocument(doc);
  }
  if (e == simdjson::MEMALLOC) {
    return InternalError("out of memory while parsing JSON");
  }
  if (e) {
    return InvalidError("invalid_json", Describe(e));
  }
  return Status::Ok();
}

std::string MinifyJson(std::string_view text) {
  simdjson::padded_string padded(text);
  std::string out(text.size(), '\0');
  size_t out_size = 0;
  if (simdjson::minify(padded.data(), text.size(), out.data(), out_size) != simdjson::SUCCESS) {
    return std::string(TrimJsonSpace(text));  // unreachable for checked text
  }
  out.resize(out_size);
  return out;
}

bool IsValidUtf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

}  // namespace itslog
