#include "core/time_util.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <filesystem>
#include <limits>
#include <optional>
#include <string>

namespace itslog {
namespace {

// Written apart from time_util.cc: the Gregorian rules, stepped one day at a time.
bool IsLeap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
int MonthLength(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}
CivilDay NextDay(CivilDay d) {
  if (++d.day > MonthLength(d.year, d.month)) {
    d.day = 1;
    if (++d.month > 12) {
      d.month = 1;
      ++d.year;
    }
  }
  return d;
}

constexpr int64_t k2025_03_01 = 1740787200;  // seconds: 2025-03-01T00:00:00Z (date -d)

TEST(TimeUtilTest, KnownCivilDays) {
  EXPECT_EQ(DaysFromCivil({1970, 1, 1}), 0);
  EXPECT_EQ(DaysFromCivil({1969, 12, 31}), -1);
  EXPECT_EQ(DaysFromCivil({2000, 3, 1}), 11017);
  EXPECT_EQ(DaysFromCivil({2025, 3, 1}), k2025_03_01 / 86400);
  EXPECT_EQ(DaysFromCivil({1, 1, 1}), -719162);
  EXPECT_EQ(DaysFromCivil({9999, 12, 31}), 2932896);
  EXPECT_EQ(CivilFromDays(0), (CivilDay{1970, 1, 1}));
  EXPECT_EQ(CivilFromDays(-1), (CivilDay{1969, 12, 31}));
  EXPECT_EQ(CivilFromDays(-719162), (CivilDay{1, 1, 1}));
}

TEST(TimeUtilTest, CivilDaysStepOneDayAtATimeFromYear1To9999) {
  CivilDay expected{1, 1, 1};
  const int64_t first = DaysFromCivil(expected);
  const int64_t last = DaysFromCivil({9999, 12, 31});
  for (int64_t n = first; n <= last; ++n) {
    CivilDay d = CivilFromDays(n);
    ASSERT_EQ(d, expected) << n;
    ASSERT_EQ(DaysFromCivil(d), n);
    expected = NextDay(expected);
  }
}

TEST(TimeUtilTest, CivilDaysRoundTripFarOutside) {
  for (int64_t n = -100000000; n <= 100000000; n += 9973) {
    ASSERT_EQ(DaysFromCivil(CivilFromDays(n)), n) << n;
  }
}

TEST(TimeUtilTest, FormatDayPadsWithZeros) {
  EXPECT_EQ(FormatDay({2025, 3, 1}), "2025-03-01");
  EXPECT_EQ(FormatDay({1, 1, 1}), "0001-01-01");
  EXPECT_EQ(FormatDay({9999, 12, 31}), "9999-12-31");
}

TEST(TimeUtilTest, ParseDayAcceptsRealCalendarDays) {
  const struct {
    const char* text;
    CivilDay day;
  } cases[] = {
      {"2024-02-29", {2024, 2, 29}},  {"2000-02-29", {2000, 2, 29}}, {"0001-01-01", {1, 1, 1}},
      {"9999-12-31", {9999, 12, 31}}, {"2025-04-30", {2025, 4, 30}}, {"1970-01-01", {1970, 1, 1}},
  };
  for (const auto& c : cases) {
    std::optional<CivilDay> d = ParseDay(c.text);
    ASSERT_TRUE(d.has_value()) << c.text;
    EXPECT_EQ(*d, c.day) << c.text;
    EXPECT_EQ(FormatDay(*d), c.text);
  }
}

TEST(TimeUtilTest, ParseDayRejectsAnythingElse) {
  const std::string cases[] = {
      "2025-02-29",
      "1900-02-29",
      "2100-02-29",
      "2025-04-31",
      "2025-06-31",
      "2025-01-32",
      "2025-13-01",
      "2025-00-01",
      "2025-01-00",
      "0000-01-01",
      "10000-01-01",
      "2025-1-01",
      "2025-01-1",
      "25-01-01",
      " 2025-01-01",
      "2025-01-01 ",
      "2025/01/01",
      "2025-01-0a",
      "+025-01-01",
      "-025-01-01",
      "2025-01-01T00:00:00Z",
      "",
      "2025-0101",
      std::string("2025-01-01\0", 11),
  };
  for (const std::string& c : cases) {
    EXPECT_FALSE(ParseDay(c).has_value()) << c;
  }
}

TEST(TimeUtilTest, AddDaysCrossesMonthsYearsAndLeapDays) {
  EXPECT_EQ(AddDays("2025-02-28", 1), "2025-03-01");
  EXPECT_EQ(AddDays("2024-02-28", 1), "2024-02-29");
  EXPECT_EQ(AddDays("2024-03-01", -1), "2024-02-29");
  EXPECT_EQ(AddDays("2025-01-01", -1), "2024-12-31");
  EXPECT_EQ(AddDays("2024-12-31", 1), "2025-01-01");
  EXPECT_EQ(AddDays("2025-03-01", 0), "2025-03-01");
  EXPECT_EQ(AddDays("2025-03-01", 365), "2026-03-01");
  EXPECT_EQ(AddDays("not a day", 1), "");
}

TEST(TimeUtilTest, ParsesIso8601WithOffsetsAndFractions) {
  constexpr int64_t kBase = k2025_03_01 * kMicrosPerSecond;
  const struct {
    const char* text;
    int64_t micros;
  } cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"1970-01-01T00:00:00", 0},
      {"1969-12-31T23:59:59.999999Z", -1},
      {"2025-03-01T00:00:00Z", kBase},
      {"2025-03-01t00:00:00z", kBase},
      {"2025-03-01 00:00:00Z", kBase},
      {"2025-03-01T00:00Z", kBase},
      {"2025-03-01T00:00", kBase},
      {"2025-03-01T01:00:00+01:00", kBase},
      {"2025-03-01T01:00:00+0100", kBase},
      {"2025-02-28T19:00:00-05:00", kBase},
      {"2025-03-01T05:30:00+05:30", kBase},
      {"2025-03-01T00:00:00-00:00", kBase},
      {"2025-03-01T00:00:00.5Z", kBase + 500000},
      {"2025-03-01T00:00:00,25Z", kBase + 250000},
      {"2025-03-01T00:00:00.000001Z", kBase + 1},
      {"2025-03-01T00:00:00.123456789Z", kBase + 123456},  // beyond microseconds: cut
      {"2025-03-01T23:59:59.999999Z", kBase + kMicrosPerDay - 1},
      {"2025-03-01T12:30:45+01:00", kBase + (11 * 3600 + 30 * 60 + 45) * kMicrosPerSecond},
      {"2016-12-31T23:59:60Z", 1483228799 * kMicrosPerSecond},  // leap second folded into :59
      {"0001-01-01T00:00:00Z", -62135596800 * kMicrosPerSecond},
      {"9999-12-31T23:59:59Z", 253402300799 * kMicrosPerSecond},
  };
  for (const auto& c : cases) {
    std::optional<int64_t> t = ParseIso8601Micros(c.text);
    ASSERT_TRUE(t.has_value()) << c.text;
    EXPECT_EQ(*t, c.micros) << c.text;
  }
}

TEST(TimeUtilTest, Iso8601RejectsMalformedText) {
  const std::string cases[] = {
      "",
      "2025-03-01",
      "2025-03-01T",
      "2025-03-01T1:00",
      "2025-03-01T24:00:00Z",
      "2025-03-01T12:60:00Z",
      "2025-03-01T12:30:61Z",
      "2025-03-01X12:30:00Z",
      "2025-02-29T12:00:00Z",
      "2025-03-01T12:30:00.Z",
      "2025-03-01T12:30:00.1234567890Z",
      "2025-03-01T12:30.5Z",
      "2025-03-01T12:30:00+",
      "2025-03-01T12:30:00+01",
      "2025-03-01T12:30:00+1:00",
      "2025-03-01T12:30:00+01:0",
      "2025-03-01T12:30:00+24:00",
      "2025-03-01T12:30:00+01:60",
      "2025-03-01T12:30:00ZZ",
      "2025-03-01T12:30:00Z ",
      "2025-03-01T12:30:00 Z",
      "2025-03-01T12:30:00UTC",
      " 2025-03-01T12:30:00Z",
      "1740787200",
      std::string("2025-03-01T12:30:00Z\0", 21),
  };
  for (const std::string& c : cases) {
    EXPECT_FALSE(ParseIso8601Micros(c).has_value()) << c;
  }
}

TEST(TimeUtilTest, FormatsIso8601IncludingBeforeTheEpoch) {
  EXPECT_EQ(FormatIso8601Micros(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatIso8601Micros(1), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(FormatIso8601Micros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatIso8601Micros(-kMicrosPerSecond), "1969-12-31T23:59:59.000000Z");
  EXPECT_EQ(FormatIso8601Micros(-kMicrosPerDay), "1969-12-31T00:00:00.000000Z");
  EXPECT_EQ(FormatIso8601Micros(-kMicrosPerDay - 1), "1969-12-30T23:59:59.999999Z");
  EXPECT_EQ(FormatIso8601Micros(k2025_03_01 * kMicrosPerSecond + kMicrosPerDay - 1),
            "2025-03-01T23:59:59.999999Z");
  EXPECT_EQ(FormatIso8601Micros(-62135596800 * kMicrosPerSecond), "0001-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatIso8601Micros(253402300799999999), "9999-12-31T23:59:59.999999Z");
}

TEST(TimeUtilTest, FormatAndParseRoundTrip) {
  for (int64_t t = -62135596800 * kMicrosPerSecond; t < 253402300800 * kMicrosPerSecond;
       t += 987654321987) {
    std::string text = FormatIso8601Micros(t);
    std::optional<int64_t> back = ParseIso8601Micros(text);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(*back, t) << text;
  }
}

TEST(TimeUtilTest, FormatIso8601SurvivesExtremeTimestamps) {
  // Fixed: the time of day was computed as ts - days * kMicrosPerDay, which overflowed.
  EXPECT_EQ(FormatIso8601Micros(std::numeric_limits<int64_t>::min()),
            "-290308-12-21T19:59:05.224192Z");
  EXPECT_EQ(FormatIso8601Micros(std::numeric_limits<int64_t>::max()),
            "294247-01-10T04:00:54.775807Z");
}

TEST(TimeUtilTest, UtcDayChangesExactlyAtMidnight) {
  TimeZone utc;
  EXPECT_EQ(utc.name(), "UTC");
  const int64_t midnight = k2025_03_01 * kMicrosPerSecond;
  EXPECT_EQ(utc.DayOf(midnight - 1), "2025-02-28");
  EXPECT_EQ(utc.DayOf(midnight), "2025-03-01");
  EXPECT_EQ(utc.DayOf(midnight + kMicrosPerDay - 1), "2025-03-01");
  EXPECT_EQ(utc.DayOf(midnight + kMicrosPerDay), "2025-03-02");
  EXPECT_EQ(utc.DayOf(0), "1970-01-01");
  EXPECT_EQ(utc.DayOf(-1), "1969-12-31");
  EXPECT_EQ(utc.DayOf(-kMicrosPerDay), "1969-12-31");
  EXPECT_EQ(utc.DayOf(-kMicrosPerDay - 1), "1969-12-30");
  EXPECT_EQ(utc.StartOfDay("2025-03-01"), midnight);
  EXPECT_EQ(utc.StartOfDay("1969-12-31"), -kMicrosPerDay);
}

TEST(TimeUtilTest, LoadsUtcByItsNames) {
  for (const char* name : {"UTC", "Etc/UTC", "Z"}) {
    Result<TimeZone> tz = TimeZone::Load(name);
    ASSERT_TRUE(tz.ok()) << name;
    EXPECT_EQ(tz->DayOf(k2025_03_01 * kMicrosPerSecond), "2025-03-01");
  }
}

TEST(TimeUtilTest, RejectsUnknownOrUnsafeZoneNames) {
  for (const char* name :
       {"Nowhere/Atlantis", "", "../../etc/passwd", "/etc/localtime", "Europe/../../etc/passwd"}) {
    Result<TimeZone> tz = TimeZone::Load(name);
    ASSERT_FALSE(tz.ok()) << name;
    EXPECT_EQ(tz.status().code(), Code::kInvalid);
    EXPECT_EQ(tz.status().reason(), "invalid_timezone");
    EXPECT_EQ(tz.status().field(), "timezone");
  }
}

// TimeZone::Load sets TZ for the process: put it back for the other tests.
class SavedTz {
 public:
  SavedTz() {
    const char* tz = getenv("TZ");
    if (tz != nullptr) {
      saved_ = tz;
    }
  }
  ~SavedTz() {
    if (saved_) {
      setenv("TZ", saved_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::optional<std::string> saved_;
};

TEST(TimeUtilTest, BerlinDaysFollowLocalMidnightAcrossDst) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin")) {
    GTEST_SKIP() << "tzdata is not installed";
  }
  SavedTz saved;
  Result<TimeZone> tz = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(tz.ok()) << tz.status().ToString();
  EXPECT_EQ(tz->name(), "Europe/Berlin");
  const int64_t s = kMicrosPerSecond;
  // Winter, UTC+1: the local day starts at 23:00Z the evening before.
  EXPECT_EQ(tz->StartOfDay("2025-03-02"), (k2025_03_01 + 23 * 3600) * s);
  EXPECT_EQ(tz->DayOf((k2025_03_01 + 23 * 3600) * s - 1), "2025-03-01");
  EXPECT_EQ(tz->DayOf((k2025_03_01 + 23 * 3600) * s), "2025-03-02");
  // 2025-03-30 has 23 hours; 2025-03-31 starts at 22:00Z (UTC+2).
  EXPECT_EQ(tz->StartOfDay("2025-03-30"), *ParseIso8601Micros("2025-03-29T23:00:00Z"));
  EXPECT_EQ(tz->StartOfDay("2025-03-31"), *ParseIso8601Micros("2025-03-30T22:00:00Z"));
  EXPECT_EQ(tz->DayOf(*ParseIso8601Micros("2025-03-30T21:59:59.999999Z")), "2025-03-30");
  EXPECT_EQ(tz->DayOf(*ParseIso8601Micros("2025-03-30T22:00:00Z")), "2025-03-31");
  // Every day of 2024 and 2025: its start belongs to it, the moment before to the day before.
  for (std::string day = "2024-01-01"; day != "2026-01-01"; day = AddDays(day, 1)) {
    int64_t start = tz->StartOfDay(day);
    ASSERT_EQ(tz->DayOf(start), day);
    ASSERT_EQ(tz->DayOf(start - 1), AddDays(day, -1));
  }
}

}  // namespace
}  // namespace itslog
