// Where storage: s3 keeps each event (docs/OPERATIONS.md, "Storage in S3"): the object names
// under <prefix>YYYY-MM-DD/, and the counter that numbers events within a second. Pure: no
// I/O.
//   <prefix>YYYY-MM-DD/NNNNNNNNNN.json        an event; N = seconds since the day's start
//                                             * 100000 + n, n counting within that second
//   <prefix>YYYY-MM-DD/unique/<H>.json        a unique event, H = hex SHA-256(app "/" event)
//   <prefix>YYYY-MM-DD/idempotency/<H>.json   an event sent with an idempotency key,
//                                             H = hex SHA-256(app "/" key)
//   <prefix>YYYY-MM-DD/names/<app>/<H>.json   not an event: marks that app used the event
//                                             name that day, H = hex SHA-256(app "/" event)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace itslog {

// n runs from 0 to kEventsPerSecond - 1 within one second.
inline constexpr int64_t kEventsPerSecond = 100000;
// A day has at most 25 hours (a daylight saving change), so N always fits ten digits.
inline constexpr int64_t kMaxSecondsPerDay = 25 * 3600;

// "<prefix><day>/": every object of that day starts with it.
std::string DayPrefix(std::string_view prefix, std::string_view day);

// seconds * kEventsPerSecond + n. seconds in [0, kMaxSecondsPerDay), n in
// [0, kEventsPerSecond).
int64_t EventNumber(int64_t seconds_since_day_start, int64_t n);

// "<prefix><day>/NNNNNNNNNN.json", number as ten digits with leading zeros.
std::string NumberedKey(std::string_view prefix, std::string_view day, int64_t number);
// "<prefix><day>/unique/<hex SHA-256(app "/" event)>.json"
std::string UniqueKey(std::string_view prefix, std::string_view day, std::string_view app,
                      std::string_view event);
// "<prefix><day>/idempotency/<IdempotencyHash(app, key)>.json"
std::string IdempotencyKey(std::string_view prefix, std::string_view day, std::string_view app,
                           std::string_view key);
// hex SHA-256(app "/" key): names an idempotent event's object, and is kept in a unique
// event's metadata so that a retry can be recognised.
std::string IdempotencyHash(std::string_view app, std::string_view key);

// hex SHA-256(app "/" event): names a unique event's object and a name marker.
std::string NameHash(std::string_view app, std::string_view event);
// "<prefix><day>/names/<app>/": where the name markers of one app's day are.
std::string NameMarkerPrefix(std::string_view prefix, std::string_view day, std::string_view app);
// "<prefix><day>/names/<app>/<hex SHA-256(app "/" event)>.json"
std::string NameMarkerKey(std::string_view prefix, std::string_view day, std::string_view app,
                          std::string_view event);
// A marker's content, {"app":..,"event":..}: the name in readable form.
std::string NameMarkerBody(std::string_view app, std::string_view event);

struct NameMarker {
  std::string app;
  std::string hash_hex;  // the 64 hex digits of the name
};
// The app and hash of a name marker's key under the day's prefix (DayPrefix); nullopt for
// anything else (an invalid app name, upper-case hex, deeper folders). Markers are never
// events: ParseObjectName calls them kOther.
std::optional<NameMarker> ParseNameMarker(std::string_view day_prefix, std::string_view key);

enum class ObjectKind { kNumbered, kUnique, kIdempotent, kOther };

struct ObjectName {
  ObjectKind kind = ObjectKind::kOther;
  int64_t number = 0;    // kNumbered: N
  std::string hash_hex;  // kUnique, kIdempotent: the 64 hex digits of the name
};

// What a listed key names, given the day's prefix (DayPrefix). kOther for anything that is
// not exactly one of the three forms (upper-case hex, other digits counts, deeper folders).
ObjectName ParseObjectName(std::string_view day_prefix, std::string_view key);

// Hands out n for the events of one process within each second, counting from 0. Not
// thread-safe: the caller serialises. Remembers the last kRememberedSeconds seconds used, so
// that threads whose clocks were read a little apart (or a clock stepped back a little) never
// get an n twice. Another writer (process or host) may hold an n already: Taken() moves past it.
class KeyCounter {
 public:
  static constexpr size_t kRememberedSeconds = 128;
  // The next n for this second of day, or nullopt when the second has none left.
  std::optional<int64_t> Next(const std::string& day, int64_t second);
  // n of this second is held by someone else: later calls for it return more than n.
  void Taken(const std::string& day, int64_t second, int64_t n);

 private:
  int64_t& Slot(const std::string& day, int64_t second);
  std::map<std::pair<std::string, int64_t>, int64_t> next_;  // (day, second) -> next n
};

}  // namespace itslog
