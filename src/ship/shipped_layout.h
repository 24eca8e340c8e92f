// Where shipped day files live in the bucket (docs/DATA-FORMAT.md, "Shipped days"). Pure: no
// I/O. Shipping writes the per-host layout; readers (the archive) read both.
//   <prefix>YYYY-MM-DD/hosts/<host_id>/YYYY-MM-DD-v1.itslog      a host's day file
//   <prefix>YYYY-MM-DD/hosts/<host_id>/YYYY-MM-DD-v1.seal.json   its seal (store/seal.h SealJson)
//   <prefix>YYYY-MM-DD-v1.itslog, <prefix>YYYY-MM-DD-v1.seal.json
//                                      the first layout (one host per bucket): still read, never
//                                      written again but to finish a day begun in it
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace itslog {

// "<prefix><day>/hosts/<host>/<day>-v1.itslog"
std::string ShippedFileKey(std::string_view prefix, std::string_view day, std::string_view host);
// "<prefix><day>/hosts/<host>/<day>-v1.seal.json"
std::string ShippedSealKey(std::string_view prefix, std::string_view day, std::string_view host);
// "<prefix><day>/hosts/": list under it to find every host's files of the day.
std::string ShippedHostsPrefix(std::string_view prefix, std::string_view day);
// "<prefix><day>-v1.itslog" and "<prefix><day>-v1.seal.json": the first layout.
std::string LegacyFileKey(std::string_view prefix, std::string_view day);
std::string LegacySealKey(std::string_view prefix, std::string_view day);

struct ShippedObject {
  std::string day;   // "YYYY-MM-DD"
  std::string host;  // the host_id of the folder; "" in the first layout
  bool legacy = false;
  bool seal = false;  // the seal JSON rather than the day file
};

// What key names under prefix: a day file or a seal of either layout. nullopt for anything
// else (another folder, an invalid day or host_id, a day folder whose file names another day,
// a key not under prefix).
std::optional<ShippedObject> ParseShippedKey(std::string_view prefix, std::string_view key);

}  // namespace itslog
