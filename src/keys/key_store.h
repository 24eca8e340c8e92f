// KeyStore: the api_keys table of the control database (control/control_db.h): keys made over
// HTTP or by `itslog keys`, each stored as the SHA-256 of the key, never the key itself.
// Columns: id, name (unique), key_sha256 (32 bytes), scopes and apps (names separated by
// spaces; apps "*" for all), rate_limit (NULL: none), rate_slot (the key's bucket in
// .itslog-keys-v1), expires_at, created_at, last_used_at (microseconds since the epoch, UTC).
// Blocks on SQLite; one thread at a time per ControlDb.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "control/control_db.h"
#include "core/result.h"
#include "keys/key_spec.h"

namespace itslog {

struct StoredKey {
  ApiKey key;  // with id, rate_limit, rate_slot and expires_at_micros
  int64_t created_at_micros = 0;
  int64_t last_used_at_micros = 0;  // 0: never used
};

// Every key of the table, oldest first. Fails as SqliteStatus; kCorrupt "corrupt_file" for a
// row this its-log cannot read.
Result<std::vector<StoredKey>> LoadStoredKeys(ControlDb* db);

// Stores a new key made from spec, whose SHA-256 is sha256, under id at now_micros; a key with
// a rate limit gets the lowest bucket no other key holds (below slots). Fails kConflict
// "name_taken" (field "name") when a key of that name exists, kConflict "too_many_keys" when
// every bucket is taken, else as SqliteStatus.
Result<StoredKey> InsertStoredKey(ControlDb* db, const KeySpec& spec, const Digest& sha256,
                                  const std::string& id, int64_t now_micros, int slots);

// Removes the key with id; returns its bucket (nullopt: none). Fails kNotFound "key_not_found".
Result<std::optional<int>> DeleteStoredKey(ControlDb* db, const std::string& id);

// Sets the key's last_used_at to at_micros unless it is later already. An unknown id is no
// error (it was revoked meanwhile).
Status TouchStoredKey(ControlDb* db, const std::string& id, int64_t at_micros);

}  // namespace itslog
