// Calendar arithmetic, day names (YYYY-MM-DD), ISO 8601 text and the configured time zone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace itslog {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

struct CivilDay {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  friend bool operator==(const CivilDay&, const CivilDay&) = default;
};

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
int64_t DaysFromCivil(const CivilDay& d);
CivilDay CivilFromDays(int64_t days);

// "YYYY-MM-DD" and back; ParseDay rejects anything but a real calendar date in 0001..9999.
std::string FormatDay(const CivilDay& d);
std::optional<CivilDay> ParseDay(std::string_view text);
// The day before / after a "YYYY-MM-DD" name (which must be valid).
std::string AddDays(std::string_view day, int delta);

// "2025-03-01T23:59:59.999999Z" for microseconds since the epoch.
std::string FormatIso8601Micros(int64_t ts_micros);
// ISO 8601 date-time: YYYY-MM-DD('T'|' ')HH:MM[:SS[.fraction]] followed by 'Z', "+HH:MM",
// "-HH:MM", "+HHMM" or nothing (then UTC). Returns microseconds since the epoch (UTC).
std::optional<int64_t> ParseIso8601Micros(std::string_view text);

// The zone that decides which calendar day an event belongs to. "UTC" is pure arithmetic;
// any other IANA name is resolved through the system's zoneinfo (and sets TZ for the process).
class TimeZone {
 public:
  TimeZone() = default;  // UTC
  // Fails with kInvalid (reason "invalid_timezone") for a name without zoneinfo.
  static Result<TimeZone> Load(const std::string& name);

  const std::string& name() const { return name_; }
  // The calendar day ("YYYY-MM-DD") in this zone of an instant.
  std::string DayOf(int64_t ts_micros) const;
  // The instant at which the given day starts in this zone.
  int64_t StartOfDay(std::string_view day) const;

 private:
  std::string name_ = "UTC";
  bool utc_ = true;
};

}  // namespace itslog
