#include "http/query_params.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace itslog {
namespace {

const std::vector<std::string_view> kEventsParams = {"app",   "event", "day",  "since",
                                                     "until", "limit", "after"};

TEST(ParseQueryTest, DecodesPairsInOrder) {
  const struct {
    std::string query;
    std::vector<std::pair<std::string, std::string>> pairs;
  } cases[] = {
      {"", {}},
      {"&&", {}},
      {"app=shop&event=cart.items", {{"app", "shop"}, {"event", "cart.items"}}},
      {"app=a&&limit=2&", {{"app", "a"}, {"limit", "2"}}},
      {"app=a%20b+c%2B", {{"app", "a b c+"}}},
      {"app=%C3%A9", {{"app", "\xc3\xa9"}}},
      {"app", {{"app", ""}}},
      {"app=", {{"app", ""}}},
      {"app=x=y", {{"app", "x=y"}}},
      {"%61pp=1", {{"app", "1"}}},
      {"after=" + std::string(1024, 'a'), {{"after", std::string(1024, 'a')}}},
  };
  for (const auto& c : cases) {
    Result<QueryParams> q = ParseQuery(c.query, kEventsParams);
    ASSERT_TRUE(q.ok()) << c.query << ": " << q.status().ToString();
    EXPECT_EQ(q->pairs(), c.pairs) << c.query;
  }
  Result<QueryParams> q = ParseQuery("limit=5&app=x", kEventsParams);
  EXPECT_EQ(q->Get("limit"), std::optional<std::string>("5"));
  EXPECT_TRUE(q->Has("app"));
  EXPECT_FALSE(q->Has("event"));
  EXPECT_EQ(q->Get("event"), std::nullopt);
}

TEST(ParseQueryTest, RejectsNamingTheParameter) {
  const struct {
    std::string query;
    std::string field;
    std::string message;
  } cases[] = {
      {"nope=1", "nope",
       "unknown parameter \"nope\"; this endpoint takes app, event, day, since, until, limit, "
       "after"},
      {"app=a&App=b", "App",
       "unknown parameter \"App\"; this endpoint takes app, event, day, since, until, limit, "
       "after"},
      {"a+b=1", "a b",
       "unknown parameter \"a b\"; this endpoint takes app, event, day, since, until, limit, "
       "after"},
      {"app=a&app=b", "app", "parameter app is given more than once"},
      {"app=a&app", "app", "parameter app is given more than once"},
      {"app=%zz", "app", "parameter app has a malformed percent-escape or a control character"},
      {"app=%2", "app", "parameter app has a malformed percent-escape or a control character"},
      {"app=a%", "app", "parameter app has a malformed percent-escape or a control character"},
      {"app=%00", "app", "parameter app has a malformed percent-escape or a control character"},
      {"app=a%0Ab", "app", "parameter app has a malformed percent-escape or a control character"},
      {"app=a%7f", "app", "parameter app has a malformed percent-escape or a control character"},
      {"app=a\tb", "app", "parameter app has a malformed percent-escape or a control character"},
      {"after=" + std::string(1025, 'a'), "after", "parameter after is longer than 1024 bytes"},
      {"=1", "query", "the query string has a malformed parameter name"},
      {"%zz=1", "query", "the query string has a malformed parameter name"},
      {"%01=1", "query", "the query string has a malformed parameter name"},
  };
  for (const auto& c : cases) {
    Result<QueryParams> q = ParseQuery(c.query, kEventsParams);
    ASSERT_FALSE(q.ok()) << c.query;
    EXPECT_EQ(q.status().code(), Code::kInvalid) << c.query;
    EXPECT_EQ(q.status().reason(), "invalid_parameter") << c.query;
    EXPECT_EQ(q.status().field(), c.field) << c.query;
    EXPECT_EQ(q.status().message(), c.message) << c.query;
  }
  Result<QueryParams> none = ParseQuery("x=1", {});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), "unknown parameter \"x\"; this endpoint takes none");
  EXPECT_TRUE(ParseQuery("", {}).ok());
}

TEST(TypedParamsTest, Days) {
  for (const char* good : {"2025-03-01", "2024-02-29", "0001-01-01", "9999-12-31"}) {
    Result<std::string> d = ParseDayParam("day", good);
    ASSERT_TRUE(d.ok()) << good;
    EXPECT_EQ(*d, good);
  }
  for (const char* bad : {"", "2025-02-29", "2025-3-1", "2025-03-01x", "2025-13-01", "20250301",
                          "2025-03-00", "2025-03-01T00:00:00Z", "yesterday", "0000-01-01"}) {
    Result<std::string> d = ParseDayParam("from", bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().reason(), "invalid_parameter");
    EXPECT_EQ(d.status().field(), "from");
    EXPECT_EQ(d.status().message(), "from must be a date YYYY-MM-DD, not " + Quote(bad));
  }
}

TEST(TypedParamsTest, Times) {
  TimeZone utc;
  const struct {
    const char* text;
    const char* iso;
  } good[] = {
      {"2025-03-01", "2025-03-01T00:00:00Z"},
      {"2025-03-01T12:00:00Z", "2025-03-01T12:00:00Z"},
      {"2025-03-01T12:00:00.5Z", "2025-03-01T12:00:00.5Z"},
      {"2025-03-01T12:00:00+01:00", "2025-03-01T11:00:00Z"},
      {"2025-03-01 12:00", "2025-03-01T12:00:00Z"},
  };
  for (const auto& g : good) {
    Result<int64_t> t = ParseTimeParam("since", g.text, utc);
    ASSERT_TRUE(t.ok()) << g.text;
    EXPECT_EQ(*t, *ParseIso8601Micros(g.iso)) << g.text;
  }
  for (const char* bad : {"", "now", "2025-03-01T25:00:00Z", "2025-02-30", "1700000000"}) {
    Result<int64_t> t = ParseTimeParam("until", bad, utc);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().reason(), "invalid_parameter");
    EXPECT_EQ(t.status().field(), "until");
  }
  Result<TimeZone> berlin = TimeZone::Load("Europe/Berlin");
  if (berlin.ok()) {
    EXPECT_EQ(*ParseTimeParam("since", "2025-03-01", *berlin),
              *ParseIso8601Micros("2025-02-28T23:00:00Z"));
  }
  // An offset that moves a time out of the named days (year 0 or 10000) is refused, not
  // handed on to code that names its day.
  for (const char* edge : {"0001-01-01T00:00+01:00", "9999-12-31T23:30-01:00"}) {
    Result<int64_t> t = ParseTimeParam("since", edge, utc);
    ASSERT_FALSE(t.ok()) << edge;
    EXPECT_EQ(t.status().reason(), "invalid_parameter");
    EXPECT_EQ(t.status().field(), "since");
  }
  EXPECT_TRUE(ParseTimeParam("since", "0001-01-01T00:00-01:00", utc).ok());
  EXPECT_TRUE(ParseTimeParam("until", "9999-12-31T23:30+01:00", utc).ok());
}

TEST(TypedParamsTest, Integers) {
  const struct {
    const char* text;
    bool ok;
    int64_t value;
  } cases[] = {
      {"1", true, 1},      {"1000", true, 1000}, {"0", false, 0},
      {"1001", false, 0},  {"-1", false, 0},     {"", false, 0},
      {"abc", false, 0},   {"5x", false, 0},     {" 5", false, 0},
      {"5 ", false, 0},    {"+5", false, 0},     {"0x10", false, 0},
      {"1e2", false, 0},   {"2.0", false, 0},    {"99999999999999999999", false, 0},
      {"0100", true, 100},
  };
  for (const auto& c : cases) {
    Result<int64_t> n = ParseIntParam("limit", c.text, 1, 1000);
    ASSERT_EQ(n.ok(), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(*n, c.value);
    } else {
      EXPECT_EQ(n.status().reason(), "invalid_parameter");
      EXPECT_EQ(n.status().field(), "limit");
      EXPECT_EQ(n.status().message(),
                std::string("limit must be an integer from 1 to 1000, not ") + Quote(c.text));
    }
  }
}

TEST(TypedParamsTest, NamesFollowTheContract) {
  EXPECT_TRUE(CheckAppParam("app", "gov.hhs.cms.bb2").ok());
  EXPECT_TRUE(CheckEventParam("event", "auth:login.ok").ok());
  for (const char* bad : {"", "-x", "a b", "a/b", "a:b"}) {
    Status s = CheckAppParam("app", bad);
    EXPECT_EQ(s.reason(), "invalid_parameter") << bad;
    EXPECT_EQ(s.field(), "app") << bad;
  }
  EXPECT_TRUE(CheckAppParam("app", std::string(128, 'a')).ok());
  EXPECT_FALSE(CheckAppParam("app", std::string(129, 'a')).ok());
  EXPECT_TRUE(CheckEventParam("event", std::string(256, 'e')).ok());
  for (const std::string& bad :
       {std::string(), std::string("_x"), std::string("a b"), std::string(257, 'e')}) {
    Status s = CheckEventParam("event", bad);
    EXPECT_EQ(s.reason(), "invalid_parameter") << bad;
    EXPECT_EQ(s.field(), "event") << bad;
  }
}

Digest Key(char c) {
  Digest d;
  d.fill(static_cast<uint8_t>(c));
  return d;
}

TEST(CursorTest, RoundTripsUnderTheSameKeyAndBinding) {
  // Days before 1970 too: the day number is signed (a cursor the server issued for 1969 was
  // once refused).
  for (const Cursor& c :
       {Cursor{"2025-03-01", 0}, Cursor{"2025-03-01", 1}, Cursor{"1970-01-01", 42},
        Cursor{"9999-12-31", INT64_MAX}, Cursor{"1969-12-31", 7}, Cursor{"0001-01-01", 1}}) {
    const std::string binding("events\0a", 8);
    std::string text = EncodeCursor(c, Key('k'), binding);
    EXPECT_LE(text.size(), 64u);
    for (char ch : text) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') << text;
    }
    Result<Cursor> back = DecodeCursor(text, Key('k'), binding, "after");
    EXPECT_FALSE(DecodeCursor(text, Key('k'), "events", "after").ok());
    ASSERT_TRUE(back.ok()) << c.day << " " << c.seq;
    EXPECT_EQ(*back, c);
  }
}

TEST(CursorTest, ForgedEditedOrForeignCursorsAreRefused) {
  const Cursor c{"2025-03-01", 77};
  const std::string good = EncodeCursor(c, Key('k'), "events");
  std::vector<std::string> bad = {
      "",
      "x",
      good.substr(0, good.size() - 1),                            // truncated
      good.substr(1),                                             // truncated at the front
      good + "A",                                                 // lengthened
      good + "=",                                                 // padded
      EncodeCursor(c, Key('o'), "events"),                        // another installation's key
      EncodeCursor(c, Key('k'), std::string("events\0app", 10)),  // another query
      EncodeCursor(Cursor{"2025-03-01", 78}, Key('o'), "events"),
      std::string(200, 'A'),
  };
  // Every single character changed, including the last one's unused low bits.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < good.size(); ++i) {
    std::string edited = good;
    size_t at = alphabet.find(good[i]);
    edited[i] = alphabet[(at + 1) % 64];
    bad.push_back(edited);
    edited[i] = '+';
    bad.push_back(edited);
  }
  for (const std::string& text : bad) {
    Result<Cursor> r = DecodeCursor(text, Key('k'), "events", "after");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().reason(), "invalid_parameter");
    EXPECT_EQ(r.status().field(), "after");
    EXPECT_EQ(r.status().message(),
              "after is not a cursor this server issued for this query; use the \"next\" value "
              "of the previous page unchanged, with the same filters");
  }
  Result<Cursor> header = DecodeCursor("zz", Key('k'), "tail", "Last-Event-ID");
  EXPECT_EQ(header.status().field(), "Last-Event-ID");
}

// The cursor of the log merged across hosts carries ts and host as well.
TEST(CursorTest, HostCursorsRoundTripAndRefuseEdits) {
  const std::string longest_host(63, 'h');
  for (const Cursor& c :
       {Cursor{"2025-03-01", 1, "a", 0}, Cursor{"2025-03-01", 7, "web-1.example", 1740823200000000},
        Cursor{"1969-12-31", INT64_MAX, longest_host, -5},
        Cursor{"0001-01-01", 0, "z", INT64_MIN}}) {
    std::string text = EncodeCursor(c, Key('k'), "events");
    EXPECT_LE(text.size(), 160u);
    Result<Cursor> back = DecodeCursor(text, Key('k'), "events", "after");
    ASSERT_TRUE(back.ok()) << c.host;
    EXPECT_EQ(*back, c);
    EXPECT_FALSE(DecodeCursor(text, Key('o'), "events", "after").ok());
    EXPECT_FALSE(DecodeCursor(text, Key('k'), "tail", "after").ok());
  }
  const Cursor c{"2025-03-01", 5, "web-2", 1740823200000001};
  const std::string good = EncodeCursor(c, Key('k'), "events");
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::vector<std::string> bad = {good.substr(0, good.size() - 1), good + "AA", good.substr(2)};
  for (size_t i = 0; i < good.size(); ++i) {
    std::string edited = good;
    edited[i] = alphabet[(alphabet.find(good[i]) + 1) % 64];
    bad.push_back(edited);
  }
  for (const std::string& text : bad) {
    Result<Cursor> r = DecodeCursor(text, Key('k'), "events", "after");
    EXPECT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().field(), "after");
  }
  // A host cursor and a one-host cursor of the same row differ.
  EXPECT_NE(EncodeCursor(Cursor{"2025-03-01", 5}, Key('k'), "events"), good);
}

TEST(HostParamTest, AcceptsHostIdsOnly) {
  for (const char* ok : {"a", "web-1", "web-1.example.org", "0", "a1.b2-c3"}) {
    EXPECT_TRUE(CheckHostParam("host", ok).ok()) << ok;
  }
  for (std::string bad : {std::string(""), std::string("Web"), std::string("-a"), std::string(".a"),
                          std::string("a_b"), std::string("a/b"), std::string("a b"),
                          std::string(64, 'a'), std::string("a\0b", 3)}) {
    Status s = CheckHostParam("host", bad);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.reason(), "invalid_parameter");
    EXPECT_EQ(s.field(), "host");
  }
}

TEST(HmacTest, MatchesRfc4231) {
  Digest key{};
  const char* jefe = "Jefe";
  std::copy(jefe, jefe + 4, key.begin());
  EXPECT_EQ(HexEncode(HmacSha256(key, "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  Digest twenty{};
  std::fill(twenty.begin(), twenty.begin() + 20, 0x0b);
  EXPECT_EQ(HexEncode(HmacSha256(twenty, "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

}  // namespace
}  // namespace itslog
