#include "archive/archive_keys.h"

#include <algorithm>
#include <cctype>

#include "dayset/day_files.h"

namespace itslog {

bool IsValidHostId(std::string_view id) {
  if (id.empty() || id.size() > 63) {
    return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(id[0])) {
    return false;
  }
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '-'; });
}

std::string HostIdOf(const Config& config) {
  (void)config;  // host_id joins the configuration with the per-host layout
  return DefaultHostId();
}

std::string HostsPrefix(std::string_view prefix, std::string_view day) {
  return std::string(prefix) + std::string(day) + "/hosts/";
}

std::string ShippedFileKey(std::string_view prefix, std::string_view day, std::string_view host) {
  return HostsPrefix(prefix, day) + std::string(host) + "/" + std::string(day) + "-v1.itslog";
}

std::string ShippedSealKey(std::string_view prefix, std::string_view day, std::string_view host) {
  return HostsPrefix(prefix, day) + std::string(host) + "/" + std::string(day) + "-v1.seal.json";
}

std::string FirstLayoutFileKey(std::string_view prefix, std::string_view day) {
  return std::string(prefix) + std::string(day) + "-v1.itslog";
}

std::string FirstLayoutSealKey(std::string_view prefix, std::string_view day) {
  return std::string(prefix) + std::string(day) + "-v1.seal.json";
}

std::optional<std::string> HostOfShippedKey(std::string_view prefix, std::string_view day,
                                            std::string_view key) {
  std::string hosts = HostsPrefix(prefix, day);
  if (!key.starts_with(hosts)) {
    return std::nullopt;
  }
  key.remove_prefix(hosts.size());
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view host = key.substr(0, slash);
  if (!IsValidHostId(host)) {
    return std::nullopt;
  }
  return std::string(host);
}

}  // namespace itslog
