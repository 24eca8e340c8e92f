#include "core/hmac.h"

#include <gtest/gtest.h>

#include "core/crypto.h"

namespace itslog {
namespace {

std::string Hex(const std::string& bytes) {
  return HexEncode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

TEST(HmacTest, Rfc4231TestCase2) {
  EXPECT_EQ(Hex(HmacSha256Bytes("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacTest, ConstantTimeEqualBytesComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEqualBytes("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqualBytes("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqualBytes("abc", "abcd"));
}

TEST(HmacTest, RandomHexIsFreshAndHex) {
  std::string a = RandomHex(12), b = RandomHex(12);
  EXPECT_EQ(a.size(), 24u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace itslog
