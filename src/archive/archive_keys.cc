#include "archive/archive_keys.h"

namespace itslog {

std::string HostIdOf(const Config& config) {
  return config.host_id.empty() ? DefaultHostId() : config.host_id;
}

}  // namespace itslog
