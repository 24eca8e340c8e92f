#include "core/time_util.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace itslog {

// Howard Hinnant's days_from_civil / civil_from_days algorithms.
int64_t DaysFromCivil(const CivilDay& d) {
  int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = (d.month + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDay CivilFromDays(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return CivilDay{static_cast<int>(y + (m <= 2 ? 1 : 0)), m, d};
}

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) {
    return false;
  }
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

std::string FormatDay(const CivilDay& d) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

std::optional<CivilDay> ParseDay(std::string_view t) {
  CivilDay d;
  if (t.size() != 10 || t[4] != '-' || t[7] != '-' || !Digits(t, 0, 4, &d.year) ||
      !Digits(t, 5, 2, &d.month) || !Digits(t, 8, 2, &d.day)) {
    return std::nullopt;
  }
  if (d.year < 1 || d.month < 1 || d.month > 12 || d.day < 1 ||
      d.day > DaysInMonth(d.year, d.month)) {
    return std::nullopt;
  }
  return d;
}

std::string AddDays(std::string_view day, int delta) {
  std::optional<CivilDay> d = ParseDay(day);
  return d ? FormatDay(CivilFromDays(DaysFromCivil(*d) + delta)) : std::string();
}

std::string FormatIso8601Micros(int64_t ts) {
  int64_t days = FloorDiv(ts, kMicrosPerDay);
  // Not ts - days * kMicrosPerDay: that product overflows for ts near INT64_MIN.
  int64_t rem = ts % kMicrosPerDay;
  if (rem < 0) {
    rem += kMicrosPerDay;
  }
  CivilDay d = CivilFromDays(days);
  int64_t secs = rem / kMicrosPerSecond;
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", d.year, d.month, d.day,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60), static_cast<int>(rem % kMicrosPerSecond));
  return buf;
}

std::optional<int64_t> ParseIso8601Micros(std::string_view t) {
  if (t.size() < 16) {
    return std::nullopt;
  }
  std::optional<CivilDay> day = ParseDay(t.substr(0, 10));
  if (!day || (t[10] != 'T' && t[10] != 't' && t[10] != ' ')) {
    return std::nullopt;
  }
  int hh, mm, ss = 0;
  if (!Digits(t, 11, 2, &hh) || t[13] != ':' || !Digits(t, 14, 2, &mm) || hh > 23 || mm > 59) {
    return std::nullopt;
  }
  size_t pos = 16;
  int64_t frac_micros = 0;
  if (pos < t.size() && t[pos] == ':') {
    if (!Digits(t, pos + 1, 2, &ss) || ss > 60) {  // 60: a leap second, folded into :59
      return std::nullopt;
    }
    pos += 3;
    if (pos < t.size() && (t[pos] == '.' || t[pos] == ',')) {
      ++pos;
      size_t start = pos;
      int64_t scale = 100000;
      while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
        frac_micros += (t[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start || pos - start > 9) {
        return std::nullopt;
      }
    }
  }
  if (ss == 60) {
    ss = 59;
  }
  int64_t offset_secs = 0;
  if (pos < t.size()) {
    char c = t[pos];
    if (c == 'Z' || c == 'z') {
      ++pos;
    } else if (c == '+' || c == '-') {
      int oh, om;
      if (!Digits(t, pos + 1, 2, &oh)) {
        return std::nullopt;
      }
      size_t mpos = pos + 3;
      if (mpos < t.size() && t[mpos] == ':') {
        ++mpos;
      }
      if (!Digits(t, mpos, 2, &om) || oh > 23 || om > 59) {
        return std::nullopt;
      }
      offset_secs = (oh * 3600 + om * 60) * (c == '-' ? -1 : 1);
      pos = mpos + 2;
    } else {
      return std::nullopt;
    }
  }
  if (pos != t.size()) {
    return std::nullopt;
  }
  int64_t secs = DaysFromCivil(*day) * 86400 + hh * 3600 + mm * 60 + ss - offset_secs;
  return secs * kMicrosPerSecond + frac_micros;
}

Result<TimeZone> TimeZone::Load(const std::string& name) {
  TimeZone tz;
  if (name == "UTC" || name == "Etc/UTC" || name == "Z") {
    return tz;
  }
  bool sane = !name.empty() && name.find("..") == std::string::npos && name[0] != '/';
  if (!sane || !std::ifstream("/usr/share/zoneinfo/" + name).good()) {
    return InvalidError("invalid_timezone",
                        "unknown time zone " + Quote(name) +
                            "; use UTC or an IANA name such as Europe/Berlin (package tzdata)",
                        "timezone");
  }
  setenv("TZ", (":" + name).c_str(), 1);
  tzset();
  tz.name_ = name;
  tz.utc_ = false;
  return tz;
}

std::string TimeZone::DayOf(int64_t ts_micros) const {
  if (utc_) {
    return FormatDay(CivilFromDays(FloorDiv(ts_micros, kMicrosPerDay)));
  }
  time_t secs = static_cast<time_t>(FloorDiv(ts_micros, kMicrosPerSecond));
  struct tm tm;
  localtime_r(&secs, &tm);
  return FormatDay(CivilDay{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday});
}

int64_t TimeZone::StartOfDay(std::string_view day) const {
  std::optional<CivilDay> d = ParseDay(day);
  int64_t utc_start = d ? DaysFromCivil(*d) * kMicrosPerDay : 0;
  if (utc_ || !d) {
    return utc_start;
  }
  struct tm tm = {};
  tm.tm_year = d->year - 1900;
  tm.tm_mon = d->month - 1;
  tm.tm_mday = d->day;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(mktime(&tm)) * kMicrosPerSecond;
}

}  // namespace itslog
