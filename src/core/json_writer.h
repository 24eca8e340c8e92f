// A small JSON writer for responses and exports: appends to a string, escapes per RFC 8259.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace itslog {

// Appends s as a JSON string literal (quotes included). Bytes that are not valid UTF-8 are
// written as U+FFFD so the output is always valid JSON.
void AppendJsonString(std::string* out, std::string_view s);

// Writes objects and arrays in order; commas are inserted automatically.
//   JsonWriter w; w.BeginObject(); w.Key("a"); w.Int(1); w.EndObject(); w.str() == {"a":1}
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);  // non-finite values are written as null
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  JsonWriter& Raw(std::string_view json);  // already-valid JSON text

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();
  std::string out_;
  bool need_comma_ = false;
};

}  // namespace itslog
