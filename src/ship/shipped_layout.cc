#include "ship/shipped_layout.h"

#include "core/host_id.h"
#include "core/time_util.h"

namespace itslog {

namespace {

constexpr std::string_view kFileSuffix = "-v1.itslog";
constexpr std::string_view kSealSuffix = "-v1.seal.json";
constexpr std::string_view kHosts = "/hosts/";

std::string Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) {
    out.append(p);
  }
  return out;
}

// "YYYY-MM-DD-v1.itslog" or "YYYY-MM-DD-v1.seal.json" of day: sets *seal.
bool IsDayObjectName(std::string_view name, std::string_view day, bool* seal) {
  if (!name.starts_with(day)) {
    return false;
  }
  name.remove_prefix(day.size());
  *seal = name == kSealSuffix;
  return *seal || name == kFileSuffix;
}

}  // namespace

std::string ShippedFileKey(std::string_view prefix, std::string_view day, std::string_view host) {
  return Join({prefix, day, kHosts, host, "/", day, kFileSuffix});
}

std::string ShippedSealKey(std::string_view prefix, std::string_view day, std::string_view host) {
  return Join({prefix, day, kHosts, host, "/", day, kSealSuffix});
}

std::string ShippedHostsPrefix(std::string_view prefix, std::string_view day) {
  return Join({prefix, day, kHosts});
}

std::string LegacyFileKey(std::string_view prefix, std::string_view day) {
  return Join({prefix, day, kFileSuffix});
}

std::string LegacySealKey(std::string_view prefix, std::string_view day) {
  return Join({prefix, day, kSealSuffix});
}

std::optional<ShippedObject> ParseShippedKey(std::string_view prefix, std::string_view key) {
  if (!key.starts_with(prefix) || key.size() < prefix.size() + 10) {
    return std::nullopt;
  }
  key.remove_prefix(prefix.size());
  std::string_view day = key.substr(0, 10);
  if (!ParseDay(day)) {
    return std::nullopt;
  }
  ShippedObject out;
  out.day = std::string(day);
  if (IsDayObjectName(key, day, &out.seal)) {
    out.legacy = true;
    return out;
  }
  std::string_view rest = key.substr(10);
  if (!rest.starts_with(kHosts)) {
    return std::nullopt;
  }
  rest.remove_prefix(kHosts.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || !IsValidHostId(rest.substr(0, slash)) ||
      !IsDayObjectName(rest.substr(slash + 1), day, &out.seal)) {
    return std::nullopt;
  }
  out.host = std::string(rest.substr(0, slash));
  return out;
}

}  // namespace itslog
