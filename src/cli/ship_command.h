// itslog ship [--day D] [--config PATH]: copies every closed day to S3, proves each copy, then
// removes the local file if ship.delete_local (docs/OPERATIONS.md, "Shipping to S3").
#pragma once

#include "cli/commands.h"

namespace itslog {

// Exit codes: 0 every day shipped (or nothing to do), 1 some day failed (one line per day on
// stderr says why; its local file is kept), 2 bad usage or configuration.
int RunShipCommand(const Args& args, Env* env);

}  // namespace itslog
