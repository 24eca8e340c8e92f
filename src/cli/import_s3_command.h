// itslog import-s3 DAY [--config PATH]: writes the day that storage: s3 kept as one JSON object
// per event into a standard local day file (docs/OPERATIONS.md, "Storage in S3").
#pragma once

#include "cli/commands.h"

namespace itslog {

// Exit codes: 0 the day file was written, 1 the import failed (stderr says why; no day file is
// left behind), 2 bad usage or configuration.
int RunImportS3Command(const Args& args, Env* env);

}  // namespace itslog
