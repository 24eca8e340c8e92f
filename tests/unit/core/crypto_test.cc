#include "core/crypto.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

namespace itslog {
namespace {

TEST(CryptoTest, Sha256KnownVectors) {
  // FIPS 180-2 appendix B and the empty message.
  EXPECT_EQ(HexEncode(Sha256Of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256Of("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Sha256Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(HexEncode(Sha256Of(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(HexEncode(Sha256Of(std::string("\0", 1))),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(CryptoTest, IncrementalHashingMatchesOneShotAndIsReusable) {
  Sha256 h;
  h.Update("a");
  h.Update("");
  h.Update("bc");
  EXPECT_EQ(h.Finish(), Sha256Of("abc"));
  h.Reset();
  EXPECT_EQ(h.Finish(), Sha256Of(""));
  h.Reset();
  const std::string long_input(100000, 'x');
  for (size_t i = 0; i < long_input.size(); i += 777) {
    h.Update(long_input.data() + i, std::min<size_t>(777, long_input.size() - i));
  }
  EXPECT_EQ(h.Finish(), Sha256Of(long_input));
  // Reset in the middle discards what came before.
  h.Reset();
  h.Update("garbage");
  h.Reset();
  h.Update("abc");
  EXPECT_EQ(h.Finish(), Sha256Of("abc"));
}

TEST(CryptoTest, HexRoundTrip) {
  Digest d = Sha256Of("abc");
  std::string hex = HexEncode(d);
  EXPECT_EQ(hex.size(), 64u);
  std::optional<Digest> back = DigestFromHex(hex);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, d);
  back = DigestFromHex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, d);
  const uint8_t bytes[] = {0x00, 0x0f, 0xf0, 0xff};
  EXPECT_EQ(HexEncode(bytes, sizeof(bytes)), "000ff0ff");
  EXPECT_EQ(HexEncode(bytes, 0), "");
}

TEST(CryptoTest, DigestFromHexRejectsBadText) {
  const std::string good = HexEncode(Sha256Of("abc"));
  const std::string cases[] = {
      "",
      good.substr(0, 63),
      good + "0",
      good.substr(0, 62),
      good + "00",
      "g" + good.substr(1),
      good.substr(0, 63) + "z",
      " " + good.substr(1),
      good.substr(0, 32) + "-" + good.substr(33),
      std::string(64, '\0'),
  };
  for (const std::string& c : cases) {
    EXPECT_FALSE(DigestFromHex(c).has_value()) << c;
  }
}

TEST(CryptoTest, ConstantTimeEqualComparesWholeDigests) {
  Digest a = Sha256Of("abc");
  Digest b = a;
  EXPECT_TRUE(ConstantTimeEqual(a, b));
  b[0] ^= 1;
  EXPECT_FALSE(ConstantTimeEqual(a, b));
  b = a;
  b[31] ^= 0x80;
  EXPECT_FALSE(ConstantTimeEqual(a, b));
  EXPECT_FALSE(ConstantTimeEqual(Sha256Of("abc"), Sha256Of("abd")));
  Digest zero{};
  EXPECT_TRUE(ConstantTimeEqual(zero, Digest{}));
}

}  // namespace
}  // namespace itslog
