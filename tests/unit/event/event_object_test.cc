#include "event/event_object.h"

#include <gtest/gtest.h>

#include <string>

namespace itslog {
namespace {

constexpr int64_t kTs = 1740830400000001;  // 2025-03-01T12:00:00.000001Z

Event MakeEvent(ValueType type, std::optional<std::string> value, bool unique = false) {
  Event e;
  e.app = "app.x";
  e.name = "ev:1";
  e.type = type;
  e.value = std::move(value);
  e.is_unique = unique;
  return e;
}

TEST(EventObjectTest, FormatsTheContractsMembersInOrder) {
  EXPECT_EQ(FormatEventObject(kTs, MakeEvent(ValueType::kText, "v")),
            R"({"time":"2025-03-01T12:00:00.000001Z","ts":1740830400000001,"app":"app.x",)"
            R"("event":"ev:1","value":"v","type":3,"unique":false})");
  EXPECT_EQ(FormatEventObject(kTs, MakeEvent(ValueType::kText, std::nullopt, true)),
            R"({"time":"2025-03-01T12:00:00.000001Z","ts":1740830400000001,"app":"app.x",)"
            R"("event":"ev:1","value":null,"type":3,"unique":true})");
  // A JSONB value is kept as its text, in a JSON string; the idempotency key is not written.
  Event e = MakeEvent(ValueType::kJson, R"({"a":[1,2]})");
  e.idempotency_key = "k1";
  EXPECT_EQ(FormatEventObject(kTs, e),
            R"({"time":"2025-03-01T12:00:00.000001Z","ts":1740830400000001,"app":"app.x",)"
            R"("event":"ev:1","value":"{\"a\":[1,2]}","type":6,"unique":false})");
}

TEST(EventObjectTest, ParsesWhatItFormatsForEveryType) {
  const Event cases[] = {
      MakeEvent(ValueType::kInteger, "-42"),
      MakeEvent(ValueType::kReal, "3.5e-2"),
      MakeEvent(ValueType::kText,
                std::string("quote \" backslash \\ nl \n nul \0 caf\xc3\xa9", 36)),
      MakeEvent(ValueType::kDate, "2025-03-01"),
      MakeEvent(ValueType::kDateTime, "2025-03-01T12:00:00.5+01:00"),
      MakeEvent(ValueType::kJson, R"({"a":"\u2603","b":null})"),
      MakeEvent(ValueType::kBlob, "aGk="),
      MakeEvent(ValueType::kText, std::nullopt),
      MakeEvent(ValueType::kText, "u", true),
  };
  for (const Event& e : cases) {
    std::string json = FormatEventObject(kTs, e);
    Result<StoredEvent> r = ParseEventObject(json);
    ASSERT_TRUE(r.ok()) << json << ": " << r.status().ToString();
    EXPECT_EQ(r->ts_micros, kTs);
    EXPECT_EQ(r->event.app, e.app);
    EXPECT_EQ(r->event.name, e.name);
    EXPECT_EQ(r->event.type, e.type);
    EXPECT_EQ(r->event.value, e.value) << json;
    EXPECT_EQ(r->event.is_unique, e.is_unique);
    EXPECT_FALSE(r->event.idempotency_key.has_value());
  }
}

TEST(EventObjectTest, AcceptsAnyMemberOrderAndWhitespace) {
  Result<StoredEvent> r = ParseEventObject(
      " {\"unique\": false, \"type\": 1, \"value\": \"7\", \"event\": \"e\", \"app\": \"a\",\n"
      "  \"ts\": 0, \"time\": \"1970-01-01T00:00:00.000000Z\"} ");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ts_micros, 0);
  EXPECT_EQ(r->event.value, "7");
}

TEST(EventObjectTest, RejectsAnythingElseAsCorrupt) {
  const std::string good_head = R"({"time":"2025-03-01T12:00:00.000001Z","ts":1740830400000001,)";
  const std::string cases[] = {
      "",
      "{",
      "[]",
      "null",
      R"({"time":"2025-03-01T12:00:00.000001Z"})",  // members missing
      good_head + R"("app":"a","event":"e","value":"v","type":3,"unique":false,"x":1})",
      good_head + R"("app":"a","app":"b","event":"e","value":"v","type":3,"unique":false})",
      good_head + R"("app":"a","event":"e","value":"v","type":3,"unique":false} x)",
      // ts: not an integer, or not what time says
      R"({"time":"2025-03-01T12:00:00.000001Z","ts":1740830400000001.0,"app":"a","event":"e",)"
      R"("value":"v","type":3,"unique":false})",
      R"({"time":"2025-03-01T12:00:00.000001Z","ts":"1740830400000001","app":"a","event":"e",)"
      R"("value":"v","type":3,"unique":false})",
      R"({"time":"2025-03-01T12:00:00.000002Z","ts":1740830400000001,"app":"a","event":"e",)"
      R"("value":"v","type":3,"unique":false})",
      R"({"time":"yesterday","ts":1740830400000001,"app":"a","event":"e",)"
      R"("value":"v","type":3,"unique":false})",
      R"({"time":"2025-03-01T12:00:00.000001Z","ts":18446744073709551615,"app":"a","event":"e",)"
      R"("value":"v","type":3,"unique":false})",
      // names
      good_head + R"("app":"","event":"e","value":"v","type":3,"unique":false})",
      good_head + R"("app":"a/b","event":"e","value":"v","type":3,"unique":false})",
      good_head + R"("app":"a","event":" e","value":"v","type":3,"unique":false})",
      good_head + R"("app":1,"event":"e","value":"v","type":3,"unique":false})",
      // value and type
      good_head + R"("app":"a","event":"e","value":5,"type":1,"unique":false})",
      good_head + R"("app":"a","event":"e","value":{"x":1},"type":6,"unique":false})",
      good_head + R"("app":"a","event":"e","value":"x","type":1,"unique":false})",
      good_head + R"("app":"a","event":"e","value":"{","type":6,"unique":false})",
      good_head + R"("app":"a","event":"e","value":"v","type":0,"unique":false})",
      good_head + R"("app":"a","event":"e","value":"v","type":8,"unique":false})",
      good_head + R"("app":"a","event":"e","value":"v","type":"3","unique":false})",
      good_head + R"("app":"a","event":"e","value":"v","type":3.0,"unique":false})",
      good_head + R"("app":"a","event":"e","value":"v","type":3,"unique":"false"})",
      good_head + R"("app":"a","event":"e","value":"v","type":3,"unique":0})",
      good_head + "\"app\":\"a\",\"event\":\"e\",\"value\":\"\xff\",\"type\":3,\"unique\":false}",
  };
  for (const std::string& json : cases) {
    Result<StoredEvent> r = ParseEventObject(json);
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.status().code(), Code::kCorrupt) << json;
    EXPECT_EQ(r.status().reason(), "invalid_event_object") << json;
    EXPECT_FALSE(r.status().message().empty());
  }
}

}  // namespace
}  // namespace itslog
