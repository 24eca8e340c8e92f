#include "core/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace itslog {
namespace {

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonString(""), "\"\"");
  EXPECT_EQ(JsonString("plain / text ~"), "\"plain / text ~\"");
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("\n\r\t"), "\"\\n\\r\\t\"");
  EXPECT_EQ(JsonString(std::string("\0", 1)), "\"\\u0000\"");
  EXPECT_EQ(JsonString("\x01\x08\x0c\x1f"), "\"\\u0001\\u0008\\u000c\\u001f\"");
  EXPECT_EQ(JsonString("\x7f"), "\"\x7f\"");  // DEL needs no escape in JSON
  EXPECT_EQ(JsonString(" "), "\" \"");
}

TEST(JsonWriterTest, KeepsValidUtf8) {
  EXPECT_EQ(JsonString("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(JsonString("\xe2\x82\xac"), "\"\xe2\x82\xac\"");
  EXPECT_EQ(JsonString("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
  EXPECT_EQ(JsonString("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");  // U+10FFFF
  EXPECT_EQ(JsonString("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");
}

TEST(JsonWriterTest, ReplacesInvalidUtf8WithReplacementCharacter) {
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  const struct {
    std::string in, out;
  } cases[] = {
      {"\xff", r},
      {"\x80", r},
      {"a\xc3", "a" + r},                   // truncated at the end
      {"\xc3(", r + "("},                   // missing continuation
      {"\xc0\xaf", r + r},                  // overlong '/'
      {"\xe0\x80\xaf", r + r + r},          // overlong, three bytes
      {"\xed\xa0\x80", r + r + r},          // surrogate U+D800
      {"\xf4\x90\x80\x80", r + r + r + r},  // above U+10FFFF
      {"\xf8\x88\x80\x80\x80", r + r + r + r + r},
      {"ok\xfe"
       "ok",
       "ok" + r + "ok"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(JsonString(c.in), "\"" + c.out + "\"");
  }
}

TEST(JsonWriterTest, NestsObjectsAndArraysWithCommas) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a").Int(1);
  w.Key("b").BeginArray().Int(-2).String("x").Null().Bool(true).Bool(false);
  w.BeginObject().EndObject();
  w.BeginArray().EndArray();
  w.BeginObject().Key("k").String("v").EndObject();
  w.EndArray();
  w.Key("c").Double(1.5);
  w.Key("d").Raw("{\"raw\":[1,2]}");
  w.Key("e\"").BeginObject().Key("f").BeginArray().Int(1).Int(2).EndArray().EndObject();
  w.EndObject();
  EXPECT_EQ(w.str(),
            "{\"a\":1,\"b\":[-2,\"x\",null,true,false,{},[],{\"k\":\"v\"}],\"c\":1.5,"
            "\"d\":{\"raw\":[1,2]},\"e\\\"\":{\"f\":[1,2]}}");
}

TEST(JsonWriterTest, TopLevelArrayOfObjects) {
  JsonWriter w;
  w.BeginArray();
  for (int i = 0; i < 3; ++i) {
    w.BeginObject().Key("i").Int(i).EndObject();
  }
  w.EndArray();
  EXPECT_EQ(w.Take(), "[{\"i\":0},{\"i\":1},{\"i\":2}]");
}

TEST(JsonWriterTest, NumbersAtTheirLimits) {
  JsonWriter w;
  w.BeginArray();
  w.Int(std::numeric_limits<int64_t>::min()).Int(std::numeric_limits<int64_t>::max()).Int(0);
  w.Double(0).Double(-2.5);
  w.Double(std::nan("")).Double(std::numeric_limits<double>::infinity());
  w.Double(-std::numeric_limits<double>::infinity());
  w.EndArray();
  EXPECT_EQ(w.str(), "[-9223372036854775808,9223372036854775807,0,0,-2.5,null,null,null]");
}

TEST(JsonWriterTest, DoublesRoundTrip) {
  for (double d : {0.1, 1.0 / 3, 123456.789, -1e-10, 6.02214076e23, 1e300, 5e-324,
                   std::numeric_limits<double>::max()}) {
    JsonWriter w;
    w.Double(d);
    EXPECT_EQ(std::strtod(w.str().c_str(), nullptr), d) << w.str();
  }
}

TEST(JsonWriterTest, KeysAndStringsAreEscaped) {
  JsonWriter w;
  w.BeginObject().Key("a\nb").String("\xff").EndObject();
  EXPECT_EQ(w.str(), "{\"a\\nb\":\"\xef\xbf\xbd\"}");
}

}  // namespace
}  // namespace itslog
