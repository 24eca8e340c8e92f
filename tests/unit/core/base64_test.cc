#include "core/base64.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/status.h"

namespace itslog {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  // RFC 4648 section 10.
  const struct {
    const char* bytes;
    const char* text;
  } cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(EncodeBase64(c.bytes), c.text);
    std::optional<std::string> decoded = DecodeBase64(c.text);
    ASSERT_TRUE(decoded.has_value()) << c.text;
    EXPECT_EQ(*decoded, c.bytes);
  }
}

TEST(Base64Test, EveryByteValueRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  for (size_t n = 0; n <= all.size(); ++n) {
    std::string bytes = all.substr(all.size() - n);
    std::string text = EncodeBase64(bytes);
    EXPECT_EQ(text.size(), (n + 2) / 3 * 4);
    std::optional<std::string> back = DecodeBase64(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, bytes);
  }
  EXPECT_EQ(EncodeBase64("\xff\xfe\xfd"), "//79");
  EXPECT_EQ(EncodeBase64("\xfb\xff"), "+/8=");
  EXPECT_EQ(EncodeBase64(std::string("\0", 1)), "AA==");
}

TEST(Base64Test, RejectsAnythingButCanonicalPaddedBase64) {
  const std::string cases[] = {
      "abc",       // length not a multiple of 4
      "Zg",        // padding left out
      "Zg=",       //
      "Zg===",     //
      "Z===",      // one character cannot hold a byte
      "====",      //
      "Zh==",      // unused bits set: canonical is "Zg=="
      "Zm9=",      // unused bits set: canonical is "Zm8="
      "Zg==Zg==",  // padding before the end
      "Zm=v",      // '=' inside a group
      "Zm9v====",  //
      "-_-_",      // URL-safe alphabet
      "Zm9v\n",    // whitespace
      " Zm9v",     //
      "Zm9 v",     //
      "Zm9v\r\n",  //
      "Zm9.",      //
      std::string("Zm9\0", 4),
      "Zm9\xc3\xa9",
  };
  for (const std::string& c : cases) {
    EXPECT_FALSE(DecodeBase64(c).has_value()) << Quote(c);
  }
}

}  // namespace
}  // namespace itslog
