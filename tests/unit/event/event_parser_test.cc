#include "event/event_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace itslog {
namespace {

ParseOptions Options(size_t max_batch = 10000, std::string default_app = "default") {
  ParseOptions o;
  o.max_batch = max_batch;
  o.default_app = std::move(default_app);
  return o;
}

// The one item of a single-object body (which must parse as a body).
Result<Event> ParseOne(std::string_view body) {
  Result<ParsedBody> r = ParseLogBody(body, false, Options());
  if (!r.ok()) {
    return InternalError("body failed as a whole: " + r.status().ToString());
  }
  if (r->is_batch || r->items.size() != 1) {
    return InternalError("not a single item");
  }
  return r->items[0];
}

TEST(EventParserTest, SingleObjectIsOneItemAndNotABatch) {
  Result<ParsedBody> r =
      ParseLogBody(R"({"event":"login","value":"1","type":1})", false, Options(10, "bb2"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->is_batch);
  ASSERT_EQ(r->items.size(), 1u);
  ASSERT_TRUE(r->items[0].ok()) << r->items[0].status().ToString();
  const Event& e = r->items[0].value();
  EXPECT_EQ(e.app, "bb2");
  EXPECT_EQ(e.name, "login");
  EXPECT_EQ(e.type, ValueType::kInteger);
  EXPECT_EQ(e.value, "1");
  EXPECT_EQ(e.idempotency_key, std::nullopt);
  EXPECT_FALSE(e.is_unique);
}

TEST(EventParserTest, DefaultsAreTextWithoutValueInTheDefaultApp) {
  Result<Event> e = ParseOne(R"({"event":"x"})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->app, "default");
  EXPECT_EQ(e->type, ValueType::kText);
  EXPECT_EQ(e->value, std::nullopt);
  EXPECT_EQ(e->idempotency_key, std::nullopt);
}

TEST(EventParserTest, AppAndIdComeFromTheObject) {
  Result<Event> e = ParseOne(R"( {"id":"retry-1", "app":"gov.hhs.cms.bb2", "event":"a:b"} )");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->app, "gov.hhs.cms.bb2");
  EXPECT_EQ(e->name, "a:b");
  EXPECT_EQ(e->idempotency_key, "retry-1");
}

TEST(EventParserTest, ValuesAreStoredAsValidated) {
  const struct {
    std::string body;
    ValueType type;
    std::optional<std::string> value;
  } cases[] = {
      {R"({"event":"x","value":"hi"})", ValueType::kText, "hi"},
      {R"({"event":"x","value":""})", ValueType::kText, ""},
      {R"({"event":"x","value":"a\"b\\c\u00e9\n"})", ValueType::kText, "a\"b\\c\xc3\xa9\n"},
      {R"({"event":"x","value":"\u0000"})", ValueType::kText, std::string("\0", 1)},
      {R"({"event":"x","value":null})", ValueType::kText, std::nullopt},
      {R"({"event":"x","type":1,"value":null})", ValueType::kInteger, std::nullopt},
      {R"({"event":"x","type":1,"value":"-42"})", ValueType::kInteger, "-42"},
      {R"({"event":"x","type":1,"value":-42})", ValueType::kInteger, "-42"},
      {R"({"event":"x","type":1,"value":9223372036854775807 })", ValueType::kInteger,
       "9223372036854775807"},
      {R"({"event":"x","type":2,"value":6.02e23})", ValueType::kReal, "6.02e23"},
      {R"({"event":"x","type":2,"value":1.50})", ValueType::kReal, "1.50"},
      {R"({"event":"x","type":2,"value":"-0.5"})", ValueType::kReal, "-0.5"},
      {R"({"event":"x","type":4,"value":"2024-02-29"})", ValueType::kDate, "2024-02-29"},
      {R"({"event":"x","type":5,"value":"2025-03-01T12:00:00+01:00"})", ValueType::kDateTime,
       "2025-03-01T12:00:00+01:00"},
      {R"({"event":"x","type":6,"value":{ "a" : [1, 2.50, "s p"] }})", ValueType::kJson,
       R"({"a":[1,2.50,"s p"]})"},
      {R"({"event":"x","type":6,"value":[ ]})", ValueType::kJson, "[]"},
      {R"({"event":"x","type":6,"value":12345678901234567890123})", ValueType::kJson,
       "12345678901234567890123"},
      {R"({"event":"x","type":6,"value":false})", ValueType::kJson, "false"},
      {R"({"event":"x","type":6,"value":"{ \"a\": 1 }"})", ValueType::kJson, R"({ "a": 1 })"},
      {R"({"event":"x","type":6,"value":"\"s\""})", ValueType::kJson, "\"s\""},
      {R"({"event":"x","type":7,"value":"Zm9vYmFy"})", ValueType::kBlob, "Zm9vYmFy"},
      // "type" may follow "value".
      {R"({"value":"7","event":"x","type":1})", ValueType::kInteger, "7"},
  };
  for (const auto& c : cases) {
    Result<Event> e = ParseOne(c.body);
    ASSERT_TRUE(e.ok()) << c.body << ": " << e.status().ToString();
    EXPECT_EQ(e->type, c.type) << c.body;
    EXPECT_EQ(e->value, c.value) << c.body;
  }
}

TEST(EventParserTest, RejectsBadItemsNamingReasonAndField) {
  const struct {
    std::string body, reason, field;
  } cases[] = {
      {R"({})", "missing_field", "event"},
      {R"({"value":"1","type":1})", "missing_field", "event"},
      {R"({"event":"x","foo":1})", "unknown_field", "foo"},
      {R"({"event":"x","Event":"y"})", "unknown_field", "Event"},
      {R"({"event":"x","timestamp":"2025-01-01"})", "unknown_field", "timestamp"},
      {R"({"event":5})", "invalid_event_name", "event"},
      {R"({"event":null})", "invalid_event_name", "event"},
      {R"({"event":["x"]})", "invalid_event_name", "event"},
      {R"({"event":""})", "invalid_event_name", "event"},
      {R"({"event":"a b"})", "invalid_event_name", "event"},
      {R"({"event":"x\u0000"})", "invalid_event_name", "event"},
      {R"({"event":")" + std::string(257, 'e') + R"("})", "invalid_event_name", "event"},
      {R"({"event":"x","type":"1"})", "invalid_type", "type"},
      {R"({"event":"x","type":0})", "invalid_type", "type"},
      {R"({"event":"x","type":8})", "invalid_type", "type"},
      {R"({"event":"x","type":-1})", "invalid_type", "type"},
      {R"({"event":"x","type":1.0})", "invalid_type", "type"},
      {R"({"event":"x","type":1e0})", "invalid_type", "type"},
      {R"({"event":"x","type":10})", "invalid_type", "type"},
      {R"({"event":"x","type":99999999999999999999999})", "invalid_type", "type"},
      {R"({"event":"x","type":true})", "invalid_type", "type"},
      {R"({"event":"x","type":null})", "invalid_type", "type"},
      {R"({"event":"x","type":1,"value":"abc"})", "invalid_value", "value"},
      {R"({"event":"x","type":1,"value":"9223372036854775808"})", "invalid_value", "value"},
      {R"({"event":"x","type":1,"value":9223372036854775808})", "invalid_value", "value"},
      {R"({"event":"x","type":1,"value":1.5})", "invalid_value", "value"},
      {R"({"event":"x","type":1,"value":1e3})", "invalid_value", "value"},
      {R"({"event":"x","type":1,"value":true})", "invalid_value", "value"},
      {R"({"event":"x","type":2,"value":1e400})", "invalid_value", "value"},
      {R"({"event":"x","type":2,"value":"nan"})", "invalid_value", "value"},
      {R"({"event":"x","value":5})", "invalid_value", "value"},
      {R"({"event":"x","value":true})", "invalid_value", "value"},
      {R"({"event":"x","value":{"a":1}})", "invalid_value", "value"},
      {R"({"event":"x","value":["a"]})", "invalid_value", "value"},
      {R"({"event":"x","type":4,"value":"2025-02-29"})", "invalid_value", "value"},
      {R"({"event":"x","type":4,"value":20250301})", "invalid_value", "value"},
      {R"({"event":"x","type":5,"value":"2025-03-01T25:00:00Z"})", "invalid_value", "value"},
      {R"({"event":"x","type":6,"value":"{"})", "invalid_value", "value"},
      {R"({"event":"x","type":6,"value":"hello"})", "invalid_value", "value"},
      {R"({"event":"x","type":7,"value":"abc"})", "invalid_value", "value"},
      {R"({"event":"x","type":7,"value":"Zg=="  , "type":7})", "invalid_json", "type"},
      {R"({"event":"x","app":""})", "invalid_app_name", "app"},
      {R"({"event":"x","app":5})", "invalid_app_name", "app"},
      {R"({"event":"x","app":null})", "invalid_app_name", "app"},
      {R"({"event":"x","app":"a:b"})", "invalid_app_name", "app"},
      {R"({"event":"x","id":""})", "invalid_idempotency_key", "id"},
      {R"({"event":"x","id":7})", "invalid_idempotency_key", "id"},
      {R"({"event":"x","id":"\u00e9"})", "invalid_idempotency_key", "id"},
      {R"({"event":"x","id":")" + std::string(129, 'k') + R"("})", "invalid_idempotency_key", "id"},
      // Repeated members: refused rather than guessing which one counts.
      {R"({"event":"x","event":"y"})", "invalid_json", "event"},
      {R"({"event":"x","value":"1","value":"2"})", "invalid_json", "value"},
      {R"({"event":"x","\u0065vent":"y"})", "invalid_json", "event"},
      // The first bad member in the order sent decides; the value is checked last.
      {R"({"type":"1","event":""})", "invalid_type", "type"},
      {R"({"event":"","type":"1"})", "invalid_event_name", "event"},
      {R"({"value":"abc","type":1,"app":"-"})", "invalid_app_name", "app"},
      {R"({"value":"abc","type":1})", "missing_field", "event"},
  };
  for (const auto& c : cases) {
    Result<Event> e = ParseOne(c.body);
    ASSERT_FALSE(e.ok()) << c.body;
    EXPECT_EQ(e.status().code(), Code::kInvalid) << c.body;
    EXPECT_EQ(e.status().reason(), c.reason) << c.body << ": " << e.status().ToString();
    EXPECT_EQ(e.status().field(), c.field) << c.body << ": " << e.status().ToString();
    EXPECT_FALSE(e.status().message().empty());
  }
}

TEST(EventParserTest, MessagesQuoteTheOffendingInput) {
  Result<Event> e = ParseOne(R"({"event":"x","colour":"red"})");
  EXPECT_EQ(e.status().message(),
            "member \"colour\" is not known: an event has \"event\", \"value\", \"type\", "
            "\"app\" and \"id\"");
  e = ParseOne(R"({"event":"x","type":"1"})");
  EXPECT_EQ(e.status().message(),
            "type must be a JSON number, not a string (\"1\"): use an integer from 1 to 7 "
            "(1 INTEGER, 2 REAL, 3 TEXT, 4 DATE, 5 DATETIME, 6 JSONB, 7 BLOB)");
  e = ParseOne(R"({"event":"x","type":9})");
  EXPECT_EQ(e.status().message().substr(0, 22), "type \"9\" is not valid:");
  e = ParseOne(R"({"event":"x","value":5})");
  EXPECT_EQ(e.status().message(),
            "value \"5\" is a JSON number, accepted only for INTEGER, REAL and JSONB: send a "
            "TEXT value as a JSON string");
}

TEST(EventParserTest, RejectsUnusableBodiesAsAWhole) {
  const struct {
    std::string body;
    Code code;
    std::string reason, field;
  } cases[] = {
      {"", Code::kInvalid, "empty_body", "body"},
      {" \r\n\t ", Code::kInvalid, "empty_body", "body"},
      {"[]", Code::kInvalid, "empty_batch", "body"},
      {" [ ] ", Code::kInvalid, "empty_batch", "body"},
      {"{", Code::kInvalid, "invalid_json", ""},
      {R"({"event":"x","value":"1")", Code::kInvalid, "invalid_json", ""},
      {R"([{"event":"a"},])", Code::kInvalid, "invalid_json", ""},
      {R"([{"event":"a"}] [])", Code::kInvalid, "invalid_json", ""},
      {R"({"event":"a"}{"event":"b"})", Code::kInvalid, "invalid_json", ""},
      {R"([{"event":"a","x":[1 2]},{"event":"b"}])", Code::kInvalid, "invalid_json", ""},
      {R"([{"event":"a","x":tru},{"event":"b"}])", Code::kInvalid, "invalid_json", ""},
      {"5", Code::kInvalid, "invalid_json", ""},
      {"\"event\"", Code::kInvalid, "invalid_json", ""},
      {"null", Code::kInvalid, "invalid_json", ""},
      {"event=x&value=1", Code::kInvalid, "invalid_json", ""},
      {"{\"event\":\"\xff\"}", Code::kInvalid, "invalid_json", ""},
      {std::string("{\"event\":\"x\"}\0", 14), Code::kInvalid, "invalid_json", ""},
      {std::string("{\"event\":\"x\0\"}", 14), Code::kInvalid, "invalid_json", ""},
      {std::string(100000, '['), Code::kInvalid, "invalid_json", ""},
  };
  for (const auto& c : cases) {
    Result<ParsedBody> r = ParseLogBody(c.body, false, Options());
    ASSERT_FALSE(r.ok()) << Quote(c.body);
    EXPECT_EQ(r.status().code(), c.code) << Quote(c.body);
    EXPECT_EQ(r.status().reason(), c.reason) << Quote(c.body) << ": " << r.status().ToString();
    EXPECT_EQ(r.status().field(), c.field) << Quote(c.body);
  }
  Result<ParsedBody> r = ParseLogBody("{", false, Options());
  EXPECT_EQ(r.status().message(),
            "the body is not valid JSON: an object or array is not closed; send one event "
            "object, an array of them, or NDJSON");
}

TEST(EventParserTest, BatchItemsAreIndependent) {
  Result<ParsedBody> r = ParseLogBody(
      R"([{"event":"a"}, 5, {"event":"b","type":9}, [], {"event":"c","value":"v"}, null,
          {"app":"other","event":"d","type":1,"value":"x"}, {"event":"e","app":"other"}])",
      false, Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->is_batch);
  ASSERT_EQ(r->items.size(), 8u);
  EXPECT_EQ(r->items[0]->name, "a");
  EXPECT_EQ(r->items[1].status().reason(), "invalid_json");
  EXPECT_EQ(r->items[1].status().message(), "item 1 is a number, not an event object");
  EXPECT_EQ(r->items[2].status().reason(), "invalid_type");
  EXPECT_EQ(r->items[3].status().reason(), "invalid_json");
  ASSERT_TRUE(r->items[4].ok());
  EXPECT_EQ(r->items[4]->name, "c");
  EXPECT_EQ(r->items[4]->value, "v");
  EXPECT_EQ(r->items[5].status().reason(), "invalid_json");
  EXPECT_EQ(r->items[6].status().reason(), "invalid_value");
  ASSERT_TRUE(r->items[7].ok());
  EXPECT_EQ(r->items[7]->app, "other");
  EXPECT_EQ(r->items[7]->name, "e");
}

TEST(EventParserTest, ABatchOfOneIsStillABatch) {
  Result<ParsedBody> r = ParseLogBody(R"([{"event":"a"}])", false, Options());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_batch);
  EXPECT_EQ(r->items.size(), 1u);
}

std::string ArrayOf(size_t n) {
  std::string body = "[";
  for (size_t i = 0; i < n; ++i) {
    body += i == 0 ? "" : ",";
    body +=
        R"({"event":"e)" + std::to_string(i) + R"(","type":1,"value":)" + std::to_string(i) + "}";
  }
  return body + "]";
}

TEST(EventParserTest, BatchSizeIsLimitedByMaxBatch) {
  Result<ParsedBody> r = ParseLogBody(ArrayOf(10000), false, Options(10000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->items.size(), 10000u);
  EXPECT_EQ(r->items[9999]->name, "e9999");
  EXPECT_EQ(r->items[9999]->value, "9999");

  r = ParseLogBody(ArrayOf(10001), false, Options(10000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kTooLarge);
  EXPECT_EQ(r.status().reason(), "batch_too_large");
  EXPECT_EQ(r.status().field(), "body");
  EXPECT_EQ(r.status().message(),
            "the batch has 10001 items, more than the 10000 accepted: split it into smaller "
            "requests");

  r = ParseLogBody(ArrayOf(3), false, Options(2));
  EXPECT_EQ(r.status().reason(), "batch_too_large");
  // A single object is not a batch and is not limited by max_batch.
  r = ParseLogBody(R"({"event":"x"})", false, Options(0));
  EXPECT_TRUE(r.ok());
}

TEST(EventParserTest, NdjsonGivesOneItemPerNonBlankLine) {
  Result<ParsedBody> r = ParseLogBody(
      "{\"event\":\"a\"}\n\n  \r\n{\"event\":\"b\",\"type\":1,\"value\":2}\r\n{\"event\":\"c\"}",
      true, Options(10, "bb2"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->is_batch);
  ASSERT_EQ(r->items.size(), 3u);
  EXPECT_EQ(r->items[0]->name, "a");
  EXPECT_EQ(r->items[0]->app, "bb2");
  EXPECT_EQ(r->items[1]->name, "b");
  EXPECT_EQ(r->items[1]->value, "2");
  EXPECT_EQ(r->items[2]->name, "c");

  r = ParseLogBody("{\"event\":\"only\"}\n", true, Options());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_batch);
  EXPECT_EQ(r->items.size(), 1u);
}

TEST(EventParserTest, NdjsonBadLinesAreErrorItems) {
  Result<ParsedBody> r = ParseLogBody(
      "{\"event\":\"a\"}\n"
      "{\"event\":\n"  // an object may not span lines
      "\"b\"}\n"
      "\n"
      "[{\"event\":\"c\"}]\n"
      "{\"event\":\"\xff\"}\n"
      "{\"event\":\"d\",\"type\":\"2\"}\n"
      "{\"event\":\"e\"} {\"event\":\"f\"}\n"
      "{\"event\":\"g\"}\n",
      true, Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->items.size(), 8u);
  EXPECT_TRUE(r->items[0].ok());
  EXPECT_EQ(r->items[1].status().reason(), "invalid_json");
  EXPECT_EQ(r->items[1].status().message(),
            "line 2 is not valid JSON: an object or array is not closed; send one event object "
            "per line");
  EXPECT_EQ(r->items[2].status().reason(), "invalid_json");
  EXPECT_EQ(r->items[2].status().message().substr(0, 7), "line 3 ");
  EXPECT_EQ(r->items[3].status().reason(), "invalid_json");
  EXPECT_EQ(r->items[3].status().message(), "line 5 is an array, not an event object");
  EXPECT_EQ(r->items[4].status().reason(), "invalid_json");
  EXPECT_EQ(r->items[5].status().reason(), "invalid_type");
  EXPECT_EQ(r->items[5].status().field(), "type");
  EXPECT_EQ(r->items[6].status().reason(), "invalid_json");
  ASSERT_TRUE(r->items[7].ok());
  EXPECT_EQ(r->items[7]->name, "g");
}

TEST(EventParserTest, NdjsonWholeBodyErrors) {
  Result<ParsedBody> r = ParseLogBody("\n \n\r\n", true, Options());
  EXPECT_EQ(r.status().reason(), "empty_body");
  std::string lines;
  for (int i = 0; i < 11; ++i) {
    lines += "{\"event\":\"e\"}\n\n";
  }
  r = ParseLogBody(lines, true, Options(10));
  EXPECT_EQ(r.status().code(), Code::kTooLarge);
  EXPECT_EQ(r.status().reason(), "batch_too_large");
  EXPECT_EQ(r.status().message().substr(0, 23), "the batch has 11 items,");
  r = ParseLogBody(lines, true, Options(11));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->items.size(), 11u);
}

TEST(EventParserTest, HostileInputIsRefusedCalmly) {
  // Deep nesting inside a JSONB value, within and beyond the limit.
  std::string deep = std::string(1000, '[') + std::string(1000, ']');
  Result<Event> e = ParseOne(R"({"event":"x","type":6,"value":)" + deep + "}");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->value, deep);
  std::string deeper = std::string(2000, '[') + std::string(2000, ']');
  Result<ParsedBody> r =
      ParseLogBody(R"({"event":"x","type":6,"value":)" + deeper + "}", false, Options());
  EXPECT_EQ(r.status().reason(), "invalid_json");
  // Huge numbers: a bad value of its item, never a failed body.
  r = ParseLogBody(R"([{"event":"x","type":1,"value":)" + std::string(5000, '9') +
                       R"(},{"event":"y","type":2,"value":-1e99999},{"event":"z"}])",
                   false, Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->items[0].status().reason(), "invalid_value");
  EXPECT_EQ(r->items[1].status().reason(), "invalid_value");
  EXPECT_TRUE(r->items[2].ok());
  // Invalid UTF-8 or a raw NUL in NDJSON spoils its own line only.
  std::string ndjson = "{\"event\":\"a\xc3\"}\n{\"event\":\"b";
  ndjson += '\0';
  ndjson += "\"}\n{\"event\":\"c\"}";
  r = ParseLogBody(ndjson, true, Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->items.size(), 3u);
  EXPECT_EQ(r->items[0].status().reason(), "invalid_json");
  EXPECT_EQ(r->items[1].status().reason(), "invalid_json");
  EXPECT_TRUE(r->items[2].ok());
  // A long unknown member name or value is quoted cut short in the message.
  e = ParseOne(R"({"event":"x","type":1,"value":")" + std::string(100000, '7') + "x\"}");
  EXPECT_EQ(e.status().reason(), "invalid_value");
  EXPECT_LT(e.status().message().size(), 300u);
}

TEST(EventParserTest, PutBodyMayBeEmpty) {
  for (std::string_view body : {"", " ", "\r\n"}) {
    Result<Event> e = ParsePutBody(body, "bb2", "signup", true);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->app, "bb2");
    EXPECT_EQ(e->name, "signup");
    EXPECT_EQ(e->type, ValueType::kText);
    EXPECT_EQ(e->value, std::nullopt);
    EXPECT_EQ(e->idempotency_key, std::nullopt);
    EXPECT_TRUE(e->is_unique);
  }
}

TEST(EventParserTest, PutBodyCarriesValueTypeAndId) {
  Result<Event> e = ParsePutBody(R"({"value":5,"type":1,"id":"k-1"})", "a", "e", false);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->type, ValueType::kInteger);
  EXPECT_EQ(e->value, "5");
  EXPECT_EQ(e->idempotency_key, "k-1");
  EXPECT_FALSE(e->is_unique);
  e = ParsePutBody(R"({"value":{"k":[1]},"type":6})", "a", "e", false);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->value, R"({"k":[1]})");
  e = ParsePutBody("{}", "a", "e", false);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->value, std::nullopt);
}

TEST(EventParserTest, PutRejectsNamingReasonAndField) {
  const struct {
    std::string body, app, name, reason, field;
  } cases[] = {
      {"", "", "e", "invalid_app_name", "app"},
      {"", "a/b", "e", "invalid_app_name", "app"},
      {"", "a", "", "invalid_event_name", "event"},
      {"", "a", "e e", "invalid_event_name", "event"},
      {R"({"value":"1"})", "-a", "e", "invalid_app_name", "app"},
      {R"({"event":"x"})", "a", "e", "unknown_field", "event"},
      {R"({"app":"x"})", "a", "e", "unknown_field", "app"},
      {R"({"ts":1})", "a", "e", "unknown_field", "ts"},
      {R"({"type":"1"})", "a", "e", "invalid_type", "type"},
      {R"({"type":1,"value":"x"})", "a", "e", "invalid_value", "value"},
      {R"({"type":1,"value":1,"value":2})", "a", "e", "invalid_json", "value"},
      {R"({"id":""})", "a", "e", "invalid_idempotency_key", "id"},
      {"{", "a", "e", "invalid_json", ""},
      {"5", "a", "e", "invalid_json", ""},
      {"hello", "a", "e", "invalid_json", ""},
      {"[]", "a", "e", "invalid_json", ""},
      {"{} x", "a", "e", "invalid_json", ""},
  };
  for (const auto& c : cases) {
    Result<Event> e = ParsePutBody(c.body, c.app, c.name, false);
    ASSERT_FALSE(e.ok()) << c.body;
    EXPECT_EQ(e.status().code(), Code::kInvalid) << c.body;
    EXPECT_EQ(e.status().reason(), c.reason) << c.body << " " << e.status().ToString();
    EXPECT_EQ(e.status().field(), c.field) << c.body << " " << e.status().ToString();
  }
  Result<Event> e = ParsePutBody(R"({"event":"x"})", "a", "e", false);
  EXPECT_EQ(e.status().message(),
            "member \"event\" is not known: this body has \"value\", \"type\" and \"id\"; the "
            "app and event are taken from the path");
}

}  // namespace
}  // namespace itslog
