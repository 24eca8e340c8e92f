#include "event/event.h"

#include <gtest/gtest.h>

#include <string>

namespace itslog {
namespace {

TEST(EventTest, AppNamesFollowThePattern) {
  const struct {
    std::string name;
    bool ok;
  } cases[] = {
      {"a", true},
      {"Z", true},
      {"0", true},
      {"gov.hhs.cms.bb2", true},
      {"my-app_2.x", true},
      {std::string(128, 'a'), true},
      {std::string(129, 'a'), false},
      {"", false},
      {".app", false},
      {"-app", false},
      {"_app", false},
      {"app:x", false},  // ':' is for event names only
      {"app/x", false},
      {"app x", false},
      {"app\n", false},
      {std::string("a\0b", 3), false},
      {"caf\xc3\xa9", false},
  };
  for (const auto& c : cases) {
    Status s = ValidateAppName(c.name);
    EXPECT_EQ(s.ok(), c.ok) << Quote(c.name);
    if (!c.ok) {
      EXPECT_EQ(s.code(), Code::kInvalid);
      EXPECT_EQ(s.reason(), "invalid_app_name");
      EXPECT_EQ(s.field(), "app");
    }
  }
}

TEST(EventTest, EventNamesFollowThePattern) {
  const struct {
    std::string name;
    bool ok;
  } cases[] = {
      {"x", true},
      {"9", true},
      {"user:login.ok-1_b", true},
      {std::string(256, 'e'), true},
      {std::string(257, 'e'), false},
      {"", false},
      {":login", false},
      {".x", false},
      {"a b", false},
      {"a/b", false},
      {"a\tb", false},
      {std::string("a\0", 2), false},
      {"\xff", false},
  };
  for (const auto& c : cases) {
    Status s = ValidateEventName(c.name);
    EXPECT_EQ(s.ok(), c.ok) << Quote(c.name);
    if (!c.ok) {
      EXPECT_EQ(s.reason(), "invalid_event_name");
      EXPECT_EQ(s.field(), "event");
    }
  }
}

TEST(EventTest, IdempotencyKeysArePrintableAsciiUpTo128) {
  const struct {
    std::string key;
    bool ok;
  } cases[] = {
      {"k", true},
      {"550e8400-e29b-41d4-a716-446655440000", true},
      {"with space ~!@#$%^&*()", true},
      {std::string(128, 'k'), true},
      {std::string(129, 'k'), false},
      {"", false},
      {"tab\t", false},
      {"nl\n", false},
      {"del\x7f", false},
      {std::string("nul\0", 4), false},
      {"caf\xc3\xa9", false},
  };
  for (const auto& c : cases) {
    Status s = ValidateIdempotencyKey(c.key);
    EXPECT_EQ(s.ok(), c.ok) << Quote(c.key);
    if (!c.ok) {
      EXPECT_EQ(s.reason(), "invalid_idempotency_key");
      EXPECT_EQ(s.field(), "id");
    }
  }
}

struct ValueCase {
  ValueType type;
  std::string value;
  bool ok;
};

const ValueCase kValueCases[] = {
    // INTEGER: JSON's integer syntax, within int64.
    {ValueType::kInteger, "0", true},
    {ValueType::kInteger, "-0", true},
    {ValueType::kInteger, "42", true},
    {ValueType::kInteger, "-17", true},
    {ValueType::kInteger, "9223372036854775807", true},
    {ValueType::kInteger, "-9223372036854775808", true},
    {ValueType::kInteger, "9223372036854775808", false},
    {ValueType::kInteger, "-9223372036854775809", false},
    {ValueType::kInteger, "99999999999999999999999999", false},
    {ValueType::kInteger, "", false},
    {ValueType::kInteger, "-", false},
    {ValueType::kInteger, "+1", false},
    {ValueType::kInteger, "007", false},
    {ValueType::kInteger, "-01", false},
    {ValueType::kInteger, " 1", false},
    {ValueType::kInteger, "1 ", false},
    {ValueType::kInteger, "1.0", false},
    {ValueType::kInteger, "1e3", false},
    {ValueType::kInteger, "0x10", false},
    {ValueType::kInteger, "12a", false},
    {ValueType::kInteger, "--1", false},
    {ValueType::kInteger, std::string("1\0", 2), false},
    // REAL: JSON's number syntax, finite in a double.
    {ValueType::kReal, "0", true},
    {ValueType::kReal, "-0.0", true},
    {ValueType::kReal, "1.5", true},
    {ValueType::kReal, "-2", true},
    {ValueType::kReal, "6.02e23", true},
    {ValueType::kReal, "6.02E+23", true},
    {ValueType::kReal, "1e-300", true},
    {ValueType::kReal, "5e-324", true},
    {ValueType::kReal, "1.7976931348623157e308", true},
    {ValueType::kReal, "1e400", false},
    {ValueType::kReal, "-1e400", false},
    {ValueType::kReal, "1e-400", false},
    {ValueType::kReal, "nan", false},
    {ValueType::kReal, "NaN", false},
    {ValueType::kReal, "inf", false},
    {ValueType::kReal, "-Infinity", false},
    {ValueType::kReal, "0x1p3", false},
    {ValueType::kReal, "+1.5", false},
    {ValueType::kReal, ".5", false},
    {ValueType::kReal, "5.", false},
    {ValueType::kReal, "1e", false},
    {ValueType::kReal, "1e+", false},
    {ValueType::kReal, "01.5", false},
    {ValueType::kReal, "1,5", false},
    {ValueType::kReal, " 1.5", false},
    {ValueType::kReal, "", false},
    // TEXT: any valid UTF-8.
    {ValueType::kText, "", true},
    {ValueType::kText, "hello", true},
    {ValueType::kText, "caf\xc3\xa9 \xf0\x9f\x98\x80", true},
    {ValueType::kText, std::string("nul\0inside", 10), true},
    {ValueType::kText, "\xff", false},
    {ValueType::kText, "\xc3", false},              // truncated sequence
    {ValueType::kText, "\xc0\xaf", false},          // overlong '/'
    {ValueType::kText, "\xed\xa0\x80", false},      // surrogate U+D800
    {ValueType::kText, "\xf4\x90\x80\x80", false},  // above U+10FFFF
    // DATE: a real calendar day.
    {ValueType::kDate, "2024-02-29", true},
    {ValueType::kDate, "2000-02-29", true},
    {ValueType::kDate, "0001-01-01", true},
    {ValueType::kDate, "9999-12-31", true},
    {ValueType::kDate, "2025-02-29", false},
    {ValueType::kDate, "1900-02-29", false},
    {ValueType::kDate, "2025-04-31", false},
    {ValueType::kDate, "2025-13-01", false},
    {ValueType::kDate, "2025-00-10", false},
    {ValueType::kDate, "2025-01-00", false},
    {ValueType::kDate, "0000-01-01", false},
    {ValueType::kDate, "2025-1-01", false},
    {ValueType::kDate, "2025/01/01", false},
    {ValueType::kDate, "2025-01-01T00:00:00Z", false},
    {ValueType::kDate, "", false},
    // DATETIME: ISO 8601.
    {ValueType::kDateTime, "2025-03-01T12:30:00Z", true},
    {ValueType::kDateTime, "2025-03-01T12:30:00.123456Z", true},
    {ValueType::kDateTime, "2025-03-01 12:30", true},
    {ValueType::kDateTime, "2025-03-01T12:30:00+01:00", true},
    {ValueType::kDateTime, "2025-03-01T12:30:00-0530", true},
    {ValueType::kDateTime, "2025-03-01", false},
    {ValueType::kDateTime, "2025-03-01T24:00:00Z", false},
    {ValueType::kDateTime, "2025-02-29T12:00:00Z", false},
    {ValueType::kDateTime, "2025-03-01T12:30:00+25:00", false},
    {ValueType::kDateTime, "2025-03-01T12:30:00Zjunk", false},
    {ValueType::kDateTime, "yesterday", false},
    {ValueType::kDateTime, "1740832200", false},
    // JSONB: any JSON text.
    {ValueType::kJson, "{}", true},
    {ValueType::kJson, R"({"a":[1,2,{"b":null}]})", true},
    {ValueType::kJson, " [true, false] ", true},
    {ValueType::kJson, "\"just a string\"", true},
    {ValueType::kJson, "123456789012345678901234567890", true},
    {ValueType::kJson, "[1e400]", true},  // valid JSON; its range is the reader's business
    {ValueType::kJson, "null", true},
    {ValueType::kJson, "{", false},
    {ValueType::kJson, "", false},
    {ValueType::kJson, "hello", false},
    {ValueType::kJson, "{'a':1}", false},
    {ValueType::kJson, "[1,]", false},
    {ValueType::kJson, "{} {}", false},
    {ValueType::kJson, "[01]", false},
    {ValueType::kJson, "[NaN]", false},
    {ValueType::kJson, "\"\\ud800\"", false},
    {ValueType::kJson, "[\"\xff\"]", false},
    // BLOB: padded standard base64.
    {ValueType::kBlob, "", true},
    {ValueType::kBlob, "Zg==", true},
    {ValueType::kBlob, "Zm9vYmFy", true},
    {ValueType::kBlob, "+/+/", true},
    {ValueType::kBlob, "abc", false},
    {ValueType::kBlob, "Zg=", false},
    {ValueType::kBlob, "Zh==", false},  // unused bits set
    {ValueType::kBlob, "-_-_", false},  // URL-safe alphabet
    {ValueType::kBlob, "Zm9v YmFy", false},
    {ValueType::kBlob, "Zm9vYmFy\n", false},
    {ValueType::kBlob, "====", false},
};

TEST(EventTest, ValidateValueAcceptsAndRejectsEachType) {
  for (const ValueCase& c : kValueCases) {
    Status s = ValidateValue(c.type, c.value);
    EXPECT_EQ(s.ok(), c.ok) << TypeName(c.type) << " " << Quote(c.value) << ": " << s.ToString();
    if (!c.ok) {
      EXPECT_EQ(s.code(), Code::kInvalid) << Quote(c.value);
      EXPECT_EQ(s.reason(), "invalid_value") << Quote(c.value);
      EXPECT_EQ(s.field(), "value") << Quote(c.value);
    }
  }
}

TEST(EventTest, RejectMessagesAreLowerCaseQuoteTheValueAndSayWhatIsAccepted) {
  Status s = ValidateValue(ValueType::kInteger, "9223372036854775808");
  EXPECT_EQ(s.message(),
            "value \"9223372036854775808\" is out of range for INTEGER: accepted are whole "
            "numbers from -9223372036854775808 to 9223372036854775807");
  s = ValidateValue(ValueType::kDate, "2025-02-29");
  EXPECT_NE(s.message().find("\"2025-02-29\""), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("YYYY-MM-DD"), std::string::npos) << s.message();
  s = ValidateValue(ValueType::kJson, "{");
  EXPECT_EQ(s.message(),
            "value \"{\" is not valid JSON (an object or array is not closed): JSONB accepts "
            "any JSON text, such as {\"a\":1}");
  s = ValidateValue(ValueType::kText, "a\xff");
  EXPECT_NE(s.message().find("\"a\\xff\""), std::string::npos) << s.message();
  s = ValidateValue(ValueType::kBlob, std::string(100, '*'));
  EXPECT_NE(s.message().find(std::string(64, '*') + "\"..."), std::string::npos) << s.message();
  for (const ValueCase& c : kValueCases) {
    Status r = ValidateValue(c.type, c.value);
    ASSERT_FALSE(r.message().empty() && !r.ok());
    if (!r.ok()) {
      EXPECT_TRUE(r.message()[0] >= 'a' && r.message()[0] <= 'z') << r.message();
    }
  }
}

TEST(EventTest, ValidateValueRejectsATypeOutsideTheContract) {
  Status s = ValidateValue(static_cast<ValueType>(0), "1");
  EXPECT_EQ(s.reason(), "invalid_type");
  EXPECT_EQ(s.field(), "type");
  s = ValidateValue(static_cast<ValueType>(8), "1");
  EXPECT_EQ(s.reason(), "invalid_type");
}

TEST(EventTest, TypeNamesAreTheContractsNames) {
  EXPECT_EQ(TypeName(ValueType::kInteger), "INTEGER");
  EXPECT_EQ(TypeName(ValueType::kReal), "REAL");
  EXPECT_EQ(TypeName(ValueType::kText), "TEXT");
  EXPECT_EQ(TypeName(ValueType::kDate), "DATE");
  EXPECT_EQ(TypeName(ValueType::kDateTime), "DATETIME");
  EXPECT_EQ(TypeName(ValueType::kJson), "JSONB");
  EXPECT_EQ(TypeName(ValueType::kBlob), "BLOB");
  EXPECT_EQ(static_cast<int>(ValueType::kBlob), 7);
}

}  // namespace
}  // namespace itslog
