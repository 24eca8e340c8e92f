// Host identity (docs/OPERATIONS.md, "Running several hosts"): the name a host's day files
// carry in meta.host, in their seal and in the bucket (<prefix>YYYY-MM-DD/hosts/<host_id>/).
#pragma once

#include <string>
#include <string_view>

namespace itslog {

// Whether id matches [a-z0-9][a-z0-9.-]{0,62}: lower-case, at most 63 characters, usable in an
// object key without escaping. Pure.
bool IsValidHostId(std::string_view id);

// The default host_id: this machine's hostname, lower-cased ("" when it cannot be read). Not
// checked: the caller validates it with IsValidHostId.
std::string DefaultHostId();

}  // namespace itslog
