#include "archive/archive_keys.h"

namespace itslog {

std::string HostIdOf(const Config& config) {
  return config.host_id.empty() ? DefaultHostId() : config.host_id;
}

std::string HostsPrefix(std::string_view prefix, std::string_view day) {
  return ShippedHostsPrefix(prefix, day);
}

std::string FirstLayoutFileKey(std::string_view prefix, std::string_view day) {
  return LegacyFileKey(prefix, day);
}

std::string FirstLayoutSealKey(std::string_view prefix, std::string_view day) {
  return LegacySealKey(prefix, day);
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
