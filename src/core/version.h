// The version printed by `itslog --version` and reported by GET /healthz.
#pragma once

namespace itslog {
inline constexpr char kVersion[] = "0.1.0";
}  // namespace itslog
