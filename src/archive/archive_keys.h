// Which host the read side speaks for. The bucket's layout is ship/shipped_layout.h's.
#pragma once

#include <string>

#include "config/config.h"
#include "core/host_id.h"  // IsValidHostId

namespace itslog {

// This host's id: config host_id when set, else the machine's hostname lower-cased.
std::string HostIdOf(const Config& config);

}  // namespace itslog
