// The schema of a day file (docs/DATA-FORMAT.md, "Schema"): creating it with its meta rows,
// and reading back what a writer needs to continue a file (meta, the last hash).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/crypto.h"
#include "core/result.h"

struct sqlite3;

namespace itslog {

// The statements that create a day file's tables, index, view and triggers, in order.
extern const char* const kDaySchemaSql;

struct DayMeta {
  std::string day;       // "YYYY-MM-DD"
  std::string timezone;  // the configured zone's name
  Digest chain_seed{};   // hash(0)
  std::string host;
};

// Creates the schema and writes the meta rows (format, version, day, timezone, chain_seed,
// host). Must run inside the caller's write transaction, so that a file is either complete or
// untouched. Fails as SqliteStatus.
Status CreateDaySchema(sqlite3* db, const DayMeta& meta);

// True if the file has any schema object at all (a brand-new or zero-length file has none).
Result<bool> HasAnySchema(sqlite3* db);

// Every meta row. Fails as SqliteStatus (kCorrupt "corrupt_file" when meta is missing).
Result<std::map<std::string, std::string>> ReadMeta(sqlite3* db);

// Checks that meta describes an its-log v1 file of the given day and returns its chain seed.
// Fails with kCorrupt "not_itslog_file" naming path.
Result<Digest> CheckMeta(const std::map<std::string, std::string>& meta, const std::string& day,
                         const std::string& path);

// The hash the chain ends with, given the file's meta: the last row's, or meta.chain_seed for
// an empty log. Runs no transaction of its own (call it inside one). Fails as ReadLastHash.
Result<Digest> ChainEnd(sqlite3* db, const std::map<std::string, std::string>& meta,
                        const std::string& path);

// The last row's hash, or meta.chain_seed when the log is empty: what the next day's file
// takes as its chain_seed. Reads in its own (read) transaction. Fails as SqliteStatus, or
// kCorrupt for a hash that is not 32 bytes or a bad seed.
Result<Digest> ReadLastHash(sqlite3* db, const std::string& path);

}  // namespace itslog
