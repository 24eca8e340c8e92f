#include "s3store/object_keys.h"

#include <cassert>
#include <cstdio>
#include <iterator>

#include "core/crypto.h"
#include "core/json_writer.h"
#include "event/event.h"

namespace itslog {

namespace {

std::string HashOfPair(std::string_view a, std::string_view b) {
  Sha256 h;
  h.Update(a);
  h.Update("/");
  h.Update(b);
  return HexEncode(h.Finish());
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

// "<folder>/<64 lower-case hex>.json" -> the hex, else "".
std::string_view HashName(std::string_view rest, std::string_view folder) {
  constexpr std::string_view kSuffix = ".json";
  if (!rest.starts_with(folder) || rest.size() != folder.size() + 1 + 64 + kSuffix.size() ||
      rest[folder.size()] != '/' || !rest.ends_with(kSuffix)) {
    return {};
  }
  std::string_view hex = rest.substr(folder.size() + 1, 64);
  return IsLowerHex(hex) ? hex : std::string_view();
}

}  // namespace

std::string DayPrefix(std::string_view prefix, std::string_view day) {
  std::string out(prefix);
  out += day;
  out += '/';
  return out;
}

int64_t EventNumber(int64_t seconds_since_day_start, int64_t n) {
  assert(seconds_since_day_start >= 0 && seconds_since_day_start < kMaxSecondsPerDay);
  assert(n >= 0 && n < kEventsPerSecond);
  return seconds_since_day_start * kEventsPerSecond + n;
}

std::string NumberedKey(std::string_view prefix, std::string_view day, int64_t number) {
  char digits[24];
  std::snprintf(digits, sizeof(digits), "%010lld", static_cast<long long>(number));
  return DayPrefix(prefix, day) + digits + ".json";
}

std::string UniqueKey(std::string_view prefix, std::string_view day, std::string_view app,
                      std::string_view event) {
  return DayPrefix(prefix, day) + "unique/" + NameHash(app, event) + ".json";
}

std::string IdempotencyKey(std::string_view prefix, std::string_view day, std::string_view app,
                           std::string_view key) {
  return DayPrefix(prefix, day) + "idempotency/" + IdempotencyHash(app, key) + ".json";
}

std::string IdempotencyHash(std::string_view app, std::string_view key) {
  return HashOfPair(app, key);
}

std::string NameHash(std::string_view app, std::string_view event) {
  return HashOfPair(app, event);
}

std::string NameMarkerPrefix(std::string_view prefix, std::string_view day, std::string_view app) {
  std::string out = DayPrefix(prefix, day);
  out += "names/";
  out += app;
  out += '/';
  return out;
}

std::string NameMarkerKey(std::string_view prefix, std::string_view day, std::string_view app,
                          std::string_view event) {
  return NameMarkerPrefix(prefix, day, app) + NameHash(app, event) + ".json";
}

std::string NameMarkerBody(std::string_view app, std::string_view event) {
  JsonWriter w;
  w.BeginObject().Key("app").String(app).Key("event").String(event).EndObject();
  return w.Take();
}

std::optional<NameMarker> ParseNameMarker(std::string_view day_prefix, std::string_view key) {
  constexpr std::string_view kFolder = "names/";
  if (!key.starts_with(day_prefix) || !key.substr(day_prefix.size()).starts_with(kFolder)) {
    return std::nullopt;
  }
  std::string_view rest = key.substr(day_prefix.size() + kFolder.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view app = rest.substr(0, slash);
  std::string_view hex = HashName(rest, app);
  if (hex.empty() || !ValidateAppName(app).ok()) {
    return std::nullopt;
  }
  return NameMarker{std::string(app), std::string(hex)};
}

ObjectName ParseObjectName(std::string_view day_prefix, std::string_view key) {
  ObjectName out;
  if (!key.starts_with(day_prefix)) {
    return out;
  }
  std::string_view rest = key.substr(day_prefix.size());
  if (rest.size() == 15 && rest.ends_with(".json")) {
    int64_t n = 0;
    for (char c : rest.substr(0, 10)) {
      if (c < '0' || c > '9') {
        return out;
      }
      n = n * 10 + (c - '0');
    }
    if (n >= kMaxSecondsPerDay * kEventsPerSecond) {
      return out;
    }
    out.kind = ObjectKind::kNumbered;
    out.number = n;
    return out;
  }
  if (std::string_view hex = HashName(rest, "unique"); !hex.empty()) {
    out.kind = ObjectKind::kUnique;
    out.hash_hex = std::string(hex);
  } else if (std::string_view hex2 = HashName(rest, "idempotency"); !hex2.empty()) {
    out.kind = ObjectKind::kIdempotent;
    out.hash_hex = std::string(hex2);
  }
  return out;
}

int64_t& KeyCounter::Slot(const std::string& day, int64_t second) {
  auto [it, inserted] = next_.try_emplace({day, second}, 0);
  if (inserted && next_.size() > kRememberedSeconds) {
    // Forget the oldest second other than this one (keys order chronologically).
    next_.erase(next_.begin() != it ? next_.begin() : std::next(next_.begin()));
  }
  return it->second;
}

std::optional<int64_t> KeyCounter::Next(const std::string& day, int64_t second) {
  int64_t& next = Slot(day, second);
  if (next >= kEventsPerSecond) {
    return std::nullopt;
  }
  return next++;
}

void KeyCounter::Taken(const std::string& day, int64_t second, int64_t n) {
  int64_t& next = Slot(day, second);
  if (next <= n) {
    next = n + 1;
  }
}

}  // namespace itslog
