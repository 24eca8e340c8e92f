// Verify: re-checks a day file against docs/DATA-FORMAT.md: meta, the schema, dense seq, the
// hash chain (and, when a seal is given or the file is sealed, the row count and final hash),
// the links from uniques and idempotency to log, and PRAGMA integrity_check. On a broken chain
// it names the first bad seq and what was done to the file. Opens the file read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"
#include "core/result.h"

namespace itslog {

// The seal published beside a shipped day: {"day","host","rows","final_hash","file_sha256"}
// (docs/DATA-FORMAT.md); the first layout's seals have no "host".
struct Seal {
  std::string day;
  std::string host;  // "" when the seal has none
  int64_t rows = 0;
  Digest final_hash{};
  std::optional<Digest> file_sha256;
};

// Parses a seal file's JSON (one object; unknown members are ignored; day, rows and
// final_hash are required, host and file_sha256 optional, host a valid host_id). Fails kInvalid
// "invalid_seal" with a message naming the member.
Result<Seal> ParseSeal(std::string_view json);

enum class Damage {
  kEditedRow,      // a row's contents (ts, event, type or value) no longer match its hash
  kDeletedRow,     // rows are missing (a gap in seq, renumbered rows, or a cut-off tail)
  kInsertedRow,    // rows that were never written by its-log
  kReorderedRows,  // rows moved to other seqs
  kWrongSeed,      // meta.chain_seed is not the seed the chain was built on
  kBadMeta,        // meta is missing keys or holds values of the wrong form
  kBadSchema,      // tables, index, view or triggers differ from the format (e.g. a dropped
                   // trigger)
  kBrokenLink,     // uniques or idempotency name rows that do not exist or do not match
  kSealMismatch,   // the file differs from its seal in a way none of the above explains
  kIntegrity,      // PRAGMA integrity_check failed: the SQLite file itself is damaged
};

// "edited_row", "deleted_row", "inserted_row", "reordered_rows", "wrong_seed", "bad_meta",
// "bad_schema", "broken_link", "seal_mismatch", "integrity".
std::string_view DamageName(Damage d);

struct Problem {
  Damage kind = Damage::kEditedRow;
  int64_t seq = 0;  // the first bad seq; 0 when the problem is not about one row
  std::string message;
};

struct VerifyOptions {
  std::optional<Seal> seal;  // --seal: also check rows, final hash and the file's SHA-256
  bool integrity_check = true;
  // Compare meta.chain_seed with the last hash of the previous day's file when that file is
  // beside this one (the days' chain link).
  bool check_previous_day = true;
};

struct VerifyReport {
  std::string day;
  int64_t rows = 0;               // rows whose chain verified (all of them when ok())
  Digest last_hash{};             // hash of the last verified row (or the seed)
  bool sealed = false;            // meta holds a seal
  std::vector<Problem> problems;  // the chain's problem (if any) comes first
  bool ok() const { return problems.empty(); }
};

// Verifies the file at path. The checks run on two threads (chain; integrity_check and links).
// Fails (rather than reporting problems) only when the file cannot be opened or is not an
// SQLite database at all: kNotFound "not_found", kCorrupt "not_itslog_file", kUnavailable.
Result<VerifyReport> VerifyDayFile(const std::string& path, const VerifyOptions& options);

}  // namespace itslog
