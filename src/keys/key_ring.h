// KeyRing: the keys made over HTTP or by `itslog keys`, as one process (a worker, or the
// command) sees and manages them. Made, listed and revoked in the control database; every
// process notices a change through the generation number of .itslog-keys-v1 (one atomic load
// per request) and reloads its KeySet only then, so a new or revoked key takes effect on every
// worker of the host at its next request. Rate limits are token buckets in the same file.
// Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "control/control_db.h"
#include "core/env.h"
#include "core/log.h"
#include "keys/key_set.h"
#include "keys/key_spec.h"
#include "keys/key_store.h"
#include "keys/shared_key_state.h"

namespace itslog {

// A key as GET /v1/admin/keys lists it.
struct KeyListing {
  ApiKey key;
  bool from_config = false;
  int64_t created_at_micros = 0;    // 0: unknown (config keys)
  int64_t last_used_at_micros = 0;  // 0: never, or not recorded (config keys)
};

// What making a key returns: the key itself, shown this once.
struct MadeKey {
  KeyListing listing;
  std::string secret;
};

class KeyRing {
 public:
  // The id a config key is listed under: "config:" + its name.
  static constexpr std::string_view kConfigIdPrefix = "config:";
  // How often a process records a key's use at most (last_used_at).
  static constexpr int64_t kNoteUseMicros = 60 * 1000000LL;

  // config: its keys are listed (read-only), and their names are taken. Nothing is opened
  // before the first call that needs it.
  KeyRing(const Config* config, Env* env, Logger* log);
  ~KeyRing();

  // The keys made over HTTP as of now: reloaded from the control database when the shared
  // generation moved since the last reload (blocking other callers while it runs). Until the
  // keys file exists (no key was ever made in this data_dir) nothing is opened or created; it
  // is looked for at most every 100 ms. On a failed reload the previous set is kept (and
  // logged); the next try is 100 ms later. Never nullptr (an empty set when nothing can be
  // read).
  std::shared_ptr<const KeySet> Current();

  // Makes a key from spec: a random key of 256 bits from the system's CSPRNG, stored as its
  // SHA-256. Fails kConflict "name_taken" (field "name") when a config key or another key has
  // the name, kConflict "too_many_keys", kUnavailable when the control database or the
  // shared file cannot be written, kInternal when the CSPRNG fails.
  Result<MadeKey> Create(const KeySpec& spec);
  // The config's keys, then the made ones, oldest first.
  Result<std::vector<KeyListing>> List();
  // Revokes a made key. Fails kConflict "config_key" for a config key's id (edit the config),
  // kNotFound "key_not_found", kUnavailable as Create.
  Status Revoke(const std::string& id);

  // Counts one request of key (found in the current set) against its rate limit; a key
  // without one is always allowed. Lock-free.
  RateDecision Admit(const ApiKey& key);
  // Records that key, found in set, was used now: in the control database at most once per
  // kNoteUseMicros per key and process. Blocks on SQLite only then; failures are logged.
  void NoteUsed(const KeySet& set, const ApiKey& key);

 private:
  Status OpenLocked();  // mu_ held
  Status ReloadLocked(uint64_t generation);

  const Config* config_;
  Env* env_;
  Logger* log_;
  std::mutex mu_;  // the database connection, the shared file's opening, reloads
  std::unique_ptr<ControlDb> db_;
  std::unique_ptr<SharedKeyState> shared_;
  std::atomic<SharedKeyState*> shared_ready_{nullptr};  // shared_ once opened
  std::atomic<bool> open_failed_{false};
  std::atomic<uint64_t> loaded_generation_{~uint64_t{0}};  // none loaded yet
  std::atomic<int64_t> next_try_micros_{0};                // after a failed reload
  std::atomic<std::shared_ptr<const KeySet>> current_;
};

}  // namespace itslog
