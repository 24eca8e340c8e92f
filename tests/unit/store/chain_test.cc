#include "store/chain.h"

#include <gtest/gtest.h>

#include <string>

#include "core/crypto.h"

namespace itslog {
namespace {

// The message of docs/DATA-FORMAT.md, "Hash chain", spelled out byte by byte.
std::string Message(const Digest& prev, uint64_t seq, uint64_t ts, std::string_view app,
                    std::string_view event, uint8_t type, std::optional<std::string_view> value) {
  std::string m(prev.begin(), prev.end());
  auto be = [&m](uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
      m.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
  };
  be(seq, 8);
  be(ts, 8);
  be(app.size(), 4);
  m += app;
  be(event.size(), 4);
  m += event;
  be(type, 1);
  be(value ? 1 : 0, 1);
  be(value ? value->size() : 0, 4);
  if (value) {
    m += *value;
  }
  return m;
}

ChainRow Row(int64_t seq, int64_t ts, std::string_view app, std::string_view event, int type,
             std::optional<std::string_view> value) {
  ChainRow r;
  r.seq = seq;
  r.ts = ts;
  r.app = app;
  r.event = event;
  r.type = type;
  r.value = value;
  return r;
}

// Reference values computed with Python's hashlib and struct, as in docs/DATA-FORMAT.md.
TEST(ChainHashTest, MatchesIndependentlyComputedVectors) {
  Sha256 hasher;
  Digest zero{};
  Digest h1 = ChainHash(&hasher, zero, Row(1, 1740873599999999, "shop", "checkout", 1, "42"));
  EXPECT_EQ(HexEncode(h1), "c4c39e9042615757a67ff193d433b06af246b2351f62151e2361d43ede025c10");
  Digest h2 = ChainHash(&hasher, h1, Row(2, 1740873600000000, "shop", "note", 3, std::nullopt));
  EXPECT_EQ(HexEncode(h2), "e4a1616bfc37195a0b7f4976c100510f1c0f290cbe1dfb77411d1a2f2d3537ae");
  // Lengths count UTF-8 bytes, not characters.
  Digest h3 =
      ChainHash(&hasher, h2, Row(3, 1740873600000001, "app.x", "\xc3\xa9v\xc3\xa9", 3, "\xc3\xbc"));
  EXPECT_EQ(HexEncode(h3), "a874da5ce2c4c06d382caaeb247ee78557ee5bf2b1fec820b58309edc8504e4c");
}

TEST(ChainHashTest, EqualsSha256OfTheSpelledOutMessage) {
  Sha256 hasher;
  Digest prev = Sha256Of("previous");
  const std::string big(70000, 'x');  // a length above 16 bits
  const struct {
    int64_t seq, ts;
    std::string_view app, event;
    int type;
    std::optional<std::string_view> value;
  } cases[] = {
      {1, 0, "a", "b", 1, "1"},
      {2, 1, "default", "signup", 3, std::nullopt},
      {3, 1740873600123456, "gov.hhs.cms.bb2", "auth:token.refresh", 6, R"({"k":[1,2]})"},
      {4294967297, 4102444800000000, "x", "y", 7, big},
      {5, 5, "x", "y", 3, ""},
  };
  for (const auto& c : cases) {
    Digest got = ChainHash(&hasher, prev, Row(c.seq, c.ts, c.app, c.event, c.type, c.value));
    Digest want = Sha256Of(Message(prev, c.seq, c.ts, c.app, c.event, c.type, c.value));
    EXPECT_EQ(HexEncode(got), HexEncode(want)) << c.seq;
    prev = got;
  }
}

TEST(ChainHashTest, NullValueDiffersFromEmptyValue) {
  Sha256 hasher;
  Digest zero{};
  EXPECT_NE(ChainHash(&hasher, zero, Row(1, 1, "a", "b", 3, std::nullopt)),
            ChainHash(&hasher, zero, Row(1, 1, "a", "b", 3, "")));
}

TEST(ChainHashTest, LengthPrefixesSeparateAppFromEvent) {
  Sha256 hasher;
  Digest zero{};
  EXPECT_NE(ChainHash(&hasher, zero, Row(1, 1, "ab", "c", 3, "v")),
            ChainHash(&hasher, zero, Row(1, 1, "a", "bc", 3, "v")));
}

TEST(ChainHashTest, EveryFieldAndThePreviousHashMatter) {
  Sha256 hasher;
  Digest zero{};
  Digest other = Sha256Of("x");
  Digest base = ChainHash(&hasher, zero, Row(1, 10, "a", "b", 3, "v"));
  EXPECT_NE(base, ChainHash(&hasher, other, Row(1, 10, "a", "b", 3, "v")));
  EXPECT_NE(base, ChainHash(&hasher, zero, Row(2, 10, "a", "b", 3, "v")));
  EXPECT_NE(base, ChainHash(&hasher, zero, Row(1, 11, "a", "b", 3, "v")));
  EXPECT_NE(base, ChainHash(&hasher, zero, Row(1, 10, "A", "b", 3, "v")));
  EXPECT_NE(base, ChainHash(&hasher, zero, Row(1, 10, "a", "B", 3, "v")));
  EXPECT_NE(base, ChainHash(&hasher, zero, Row(1, 10, "a", "b", 4, "v")));
  EXPECT_NE(base, ChainHash(&hasher, zero, Row(1, 10, "a", "b", 3, "w")));
}

TEST(ChainHashTest, ReusedHasherGivesTheSameAsAFreshOne) {
  Sha256 reused;
  Digest zero{};
  ChainRow row = Row(7, 123, "a", "b", 2, "1.5");
  Digest first = ChainHash(&reused, zero, row);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ChainHash(&reused, zero, row), first);
  }
  Sha256 fresh;
  EXPECT_EQ(ChainHash(&fresh, zero, row), first);
}

}  // namespace
}  // namespace itslog
