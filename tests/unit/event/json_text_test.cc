#include "event/json_text.h"

#include <gtest/gtest.h>

#include <string>

namespace itslog {
namespace {

std::string Nested(int depth, char open, char close, std::string_view inner = "") {
  return std::string(depth, open) + std::string(inner) + std::string(depth, close);
}

TEST(JsonTextTest, AcceptsEveryKindOfJsonValue) {
  const std::string cases[] = {
      "{}",
      "[]",
      " \t\r\n{\"a\":1}\n",
      R"({"a":{"b":[1,-2.5e-3,true,false,null,"s"]}})",
      "0",
      "-0",
      "1.5E+10",
      "123456789012345678901234567890",
      "1e400",
      "[-1e-400]",
      "\"\"",
      "\"\\u0000 \\n \\\" \\\\ \\/ \\ud83d\\ude00\"",
      "\"caf\xc3\xa9\"",
      "true",
      "false",
      "null",
      R"({"a":1,"a":2})",  // repeated names are valid JSON; the event parser refuses them
      Nested(kMaxJsonDepth, '[', ']'),
  };
  for (const std::string& c : cases) {
    Status s = CheckJsonText(c);
    EXPECT_TRUE(s.ok()) << Quote(c) << ": " << s.ToString();
  }
}

TEST(JsonTextTest, RejectsMalformedTextSayingWhatIsWrong) {
  const struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"", "there is no JSON value"},
      {" \n ", "there is no JSON value"},
      {"{", "an object or array is not closed"},
      {"[1,2", "an object or array is not closed"},
      {"\"abc", "a string is not closed"},
      {"\"a\\x\"", "a string has an invalid escape sequence (or a lone surrogate)"},
      {"\"\\ud800\"", "a string has an invalid escape sequence (or a lone surrogate)"},
      {"\"a\tb\"", "a string contains an unescaped control character"},
      {std::string("[\"a\0b\"]", 7), "a string contains an unescaped control character"},
      {"[\"\xff\"]", "the text is not valid UTF-8"},
      {"[\"\xc0\xaf\"]", "the text is not valid UTF-8"},
      {"[01]", "a number is malformed"},
      {"[1.]", "a number is malformed"},
      {"[-]", "a number is malformed"},
      {"[1e]", "a number is malformed"},
      {"01", "a number is malformed"},
      {"1 2", "a number is malformed"},
      {"[tru]", "a literal is not true, false or null"},
      {"[nulll]", "a literal is not true, false or null"},
      {"{\"a\":{\"b\":fals}}", "a literal is not true, false or null"},
      {Nested(kMaxJsonDepth + 1, '[', ']'), "objects and arrays nest deeper than 1024 levels"},
  };
  for (const auto& c : cases) {
    Status s = CheckJsonText(c.text);
    EXPECT_EQ(s.code(), Code::kInvalid) << Quote(c.text);
    EXPECT_EQ(s.reason(), "invalid_json") << Quote(c.text);
    EXPECT_EQ(s.field(), "") << Quote(c.text);
    EXPECT_EQ(s.message(), c.message) << Quote(c.text);
  }
}

TEST(JsonTextTest, RejectsStructuralErrors) {
  const std::string cases[] = {
      "[1,]",
      "[,1]",
      "[1 2]",
      "{\"a\" 1}",
      "{\"a\":}",
      "{\"a\":1,}",
      "{,}",
      "{1:2}",
      "{\"a\"}",
      "[1:2]",
      "[1]]",
      "{}}",
      "[1] x",
      "{} {}",
      "'a'",
      "[NaN]",
      "[+1]",
      "[.5]",
      "[0x1]",
      "[//c\n1]",
      "]",
      "}",
      "\xef\xbb\xbf[1]",
      "[{]}",
      "true x",
      "\"a\" \"b\"",
      std::string("[1]\0", 4),
      std::string("\0", 1),
  };
  for (const std::string& c : cases) {
    Status s = CheckJsonText(c);
    EXPECT_EQ(s.reason(), "invalid_json") << Quote(c);
  }
}

TEST(JsonTextTest, HostileNestingIsRejectedWithoutCrashing) {
  EXPECT_EQ(CheckJsonText(std::string(100000, '[')).reason(), "invalid_json");
  EXPECT_EQ(CheckJsonText(Nested(100000, '[', ']')).reason(), "invalid_json");
  std::string objects;
  for (int i = 0; i < 5000; ++i) {
    objects += "{\"a\":";
  }
  objects += "1" + std::string(5000, '}');
  EXPECT_EQ(CheckJsonText(objects).reason(), "invalid_json");
}

TEST(JsonTextTest, MinifyKeepsStringsAndNumbersByteForByte) {
  EXPECT_EQ(MinifyJson(" { \"a b\" : [ 1.50 , -0 , 1E5 ,\n\t\"x  y\\n\" ] , \"c\" : null } "),
            "{\"a b\":[1.50,-0,1E5,\"x  y\\n\"],\"c\":null}");
  EXPECT_EQ(MinifyJson("[ 123456789012345678901234567890 ]"), "[123456789012345678901234567890]");
  EXPECT_EQ(MinifyJson("\"\\\" { ] \""), "\"\\\" { ] \"");
  EXPECT_EQ(MinifyJson(" true "), "true");
  EXPECT_EQ(MinifyJson("{}"), "{}");
}

TEST(JsonTextTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_TRUE(IsValidUtf8(std::string("\0", 1)));
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xc0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xed\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
}

}  // namespace
}  // namespace itslog
