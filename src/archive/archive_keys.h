// Where shipped day files are in the bucket (docs/DATA-FORMAT.md, "Shipped days"), as the
// read side names it; the keys themselves are ship/shipped_layout.h's. Pure: no I/O.
//   <prefix>YYYY-MM-DD/hosts/<host_id>/YYYY-MM-DD-v1.itslog   a host's file of the day
//   <prefix>YYYY-MM-DD/hosts/<host_id>/YYYY-MM-DD-v1.seal.json its seal
//   <prefix>YYYY-MM-DD-v1.itslog, <prefix>YYYY-MM-DD-v1.seal.json   the first layout (one host)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/host_id.h"         // IsValidHostId
#include "ship/shipped_layout.h"  // ShippedFileKey, ShippedSealKey: shipping writes these

namespace itslog {

// This host's id: config host_id when set, else the machine's hostname lower-cased.
std::string HostIdOf(const Config& config);

// "<prefix>DAY/hosts/" (ShippedHostsPrefix)
std::string HostsPrefix(std::string_view prefix, std::string_view day);
// "<prefix>DAY-v1.itslog" and "<prefix>DAY-v1.seal.json" (LegacyFileKey, LegacySealKey)
std::string FirstLayoutFileKey(std::string_view prefix, std::string_view day);
std::string FirstLayoutSealKey(std::string_view prefix, std::string_view day);
// The host of a key under HostsPrefix (<prefix>DAY/hosts/<host>/...), when it is a valid
// host_id; nullopt otherwise.
std::optional<std::string> HostOfShippedKey(std::string_view prefix, std::string_view day,
                                            std::string_view key);

}  // namespace itslog
