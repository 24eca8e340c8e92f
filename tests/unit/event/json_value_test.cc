#include "event/json_value.h"

#include <gtest/gtest.h>

namespace itslog {
namespace {

TEST(JsonValueTest, ParsesNestedValues) {
  Result<JsonValue> v = ParseJsonValue(R"({"a":1,"b":2.5,"c":"x","d":[true,null],"e":{"f":-3}})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->Find("a")->is_integer);
  EXPECT_EQ(v->Find("a")->integer, 1);
  EXPECT_FALSE(v->Find("b")->is_integer);
  EXPECT_EQ(v->Find("b")->number, 2.5);
  EXPECT_EQ(v->Find("c")->string, "x");
  EXPECT_EQ(v->Find("d")->items.size(), 2u);
  EXPECT_EQ(v->Find("d")->items[1].kind, JsonValue::Kind::kNull);
  EXPECT_EQ(v->Find("e")->Find("f")->integer, -3);
  EXPECT_EQ(v->Find("zz"), nullptr);
}

TEST(JsonValueTest, RejectsBadTextAndDuplicateMembers) {
  const struct {
    const char* text;
    const char* reason;
  } cases[] = {
      {"", "empty_body"},
      {"  \n", "empty_body"},
      {"{", "invalid_json"},
      {"{} x", "invalid_json"},
      {R"({"a":1,"a":2})", "invalid_json"},
      {"\"\\ud800\"", "invalid_json"},
  };
  for (const auto& c : cases) {
    Result<JsonValue> v = ParseJsonValue(c.text);
    ASSERT_FALSE(v.ok()) << c.text;
    EXPECT_EQ(v.status().reason(), c.reason) << c.text;
    EXPECT_EQ(v.status().field(), "body") << c.text;
  }
}

}  // namespace
}  // namespace itslog
