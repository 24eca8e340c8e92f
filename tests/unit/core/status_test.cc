#include "core/status.h"

#include <gtest/gtest.h>

#include <string>

#include "core/result.h"

namespace itslog {
namespace {

TEST(StatusTest, QuoteEscapesAndWrapsInQuotes) {
  EXPECT_EQ(Quote(""), "\"\"");
  EXPECT_EQ(Quote("abc"), "\"abc\"");
  EXPECT_EQ(Quote("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(Quote("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(Quote("line\nnext\ttab\r"), "\"line\\x0anext\\x09tab\\x0d\"");
  EXPECT_EQ(Quote(std::string("nul\0", 4)), "\"nul\\x00\"");
  EXPECT_EQ(Quote("\x7f"), "\"\\x7f\"");
  EXPECT_EQ(Quote("caf\xc3\xa9"), "\"caf\\xc3\\xa9\"");
  EXPECT_EQ(Quote("\xff"), "\"\\xff\"");
  EXPECT_EQ(Quote(" ~'/"), "\" ~'/\"");
}

TEST(StatusTest, QuoteCutsAfter64InputBytes) {
  EXPECT_EQ(Quote(std::string(64, 'x')), "\"" + std::string(64, 'x') + "\"");
  EXPECT_EQ(Quote(std::string(65, 'x')), "\"" + std::string(64, 'x') + "\"...");
  EXPECT_EQ(Quote(std::string(100000, 'x')), "\"" + std::string(64, 'x') + "\"...");
  // The limit counts input bytes, not the escaped output.
  std::string escaped;
  for (int i = 0; i < 64; ++i) {
    escaped += "\\x0a";
  }
  EXPECT_EQ(Quote(std::string(70, '\n')), "\"" + escaped + "\"...");
  // A cut inside a UTF-8 sequence still yields only escaped ASCII.
  std::string text = std::string(63, 'a') + "\xc3\xa9";
  EXPECT_EQ(Quote(text), "\"" + std::string(63, 'a') + "\\xc3\"...");
}

TEST(StatusTest, OkAndErrorStatuses) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.code(), Code::kOk);
  EXPECT_EQ(ok.ToString(), "ok");
  EXPECT_TRUE(Status::Ok().ok());

  Status s = InvalidError("invalid_value", "value \"x\" is not an INTEGER", "value");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kInvalid);
  EXPECT_EQ(s.reason(), "invalid_value");
  EXPECT_EQ(s.message(), "value \"x\" is not an INTEGER");
  EXPECT_EQ(s.field(), "value");
  EXPECT_EQ(s.ToString(), "invalid_value: value \"x\" is not an INTEGER (field value)");

  s = UnavailableError("lock_timeout", "the day file stayed locked");
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(s.field(), "");
  EXPECT_EQ(s.ToString(), "lock_timeout: the day file stayed locked");
  EXPECT_EQ(InternalError("boom").reason(), "internal");
  EXPECT_EQ(InternalError("boom").code(), Code::kInternal);
  EXPECT_EQ(CorruptError("broken_chain", "row 3").code(), Code::kCorrupt);
}

TEST(StatusTest, ResultHoldsAValueOrAnError) {
  Result<int> value = 42;
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 42);
  EXPECT_TRUE(value.status().ok());
  Result<std::string> error = InvalidError("empty_body", "the body is empty", "body");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.status().reason(), "empty_body");
  EXPECT_EQ(error.status().field(), "body");
  Result<std::string> text = std::string("moved");
  std::string out = std::move(text).value();
  EXPECT_EQ(out, "moved");
}

}  // namespace
}  // namespace itslog
