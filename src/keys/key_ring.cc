#include "keys/key_ring.h"

#include <algorithm>
#include <vector>

namespace itslog {

namespace {

constexpr int64_t kRetryMicros = 100000;

std::string RandomHex(size_t bytes, Status* status) {
  std::vector<uint8_t> buf(bytes);
  if (!RandomBytes(buf.data(), buf.size())) {
    *status = InternalError("the system's random number generator failed; no key was made");
    return {};
  }
  std::string hex = HexEncode(buf.data(), buf.size());
  std::fill(buf.begin(), buf.end(), 0);
  return hex;
}

}  // namespace

KeyRing::KeyRing(const Config* config, Env* env, Logger* log)
    : config_(config), env_(env), log_(log) {
  current_.store(std::make_shared<const KeySet>(std::vector<ApiKey>{}, nullptr));
}

KeyRing::~KeyRing() = default;

Status KeyRing::OpenLocked() {
  if (shared_ == nullptr) {
    Result<std::unique_ptr<SharedKeyState>> shared = SharedKeyState::Open(config_->data_dir);
    if (!shared.ok()) {
      return shared.status();
    }
    shared_ = std::move(shared).value();
    shared_ready_.store(shared_.get(), std::memory_order_release);
  }
  if (db_ == nullptr) {
    Result<std::unique_ptr<ControlDb>> db = ControlDb::Open(ControlDbPath(config_->data_dir));
    if (!db.ok()) {
      return db.status();
    }
    db_ = std::move(db).value();
  }
  return Status::Ok();
}

Status KeyRing::ReloadLocked(uint64_t generation) {
  Result<std::vector<StoredKey>> stored = LoadStoredKeys(db_.get());
  if (!stored.ok()) {
    return stored.status();
  }
  std::vector<ApiKey> keys;
  keys.reserve(stored->size());
  for (StoredKey& k : *stored) {
    keys.push_back(std::move(k.key));
  }
  std::shared_ptr<const KeySet> previous = current_.load();
  current_.store(std::make_shared<const KeySet>(std::move(keys), previous.get()));
  loaded_generation_.store(generation, std::memory_order_release);
  return Status::Ok();
}

std::shared_ptr<const KeySet> KeyRing::Current() {
  SharedKeyState* shared = shared_ready_.load(std::memory_order_acquire);
  if (shared != nullptr &&
      shared->generation() == loaded_generation_.load(std::memory_order_acquire)) {
    return current_.load();  // the common case: one atomic load beside the snapshot's
  }
  if (open_failed_.load(std::memory_order_relaxed) ||
      env_->MonotonicMicros() < next_try_micros_.load(std::memory_order_relaxed)) {
    return current_.load();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (shared_ == nullptr &&
      !env_->FileExists(config_->data_dir + "/" + SharedKeyState::kFileName)) {
    // No key was ever made here: nothing to load, and nothing to create for a request. The
    // process that makes the first key creates the file; it is looked for again soon.
    next_try_micros_.store(env_->MonotonicMicros() + kRetryMicros, std::memory_order_relaxed);
    return current_.load();
  }
  Status s = OpenLocked();
  if (s.ok()) {
    // Read before the keys: a change committed meanwhile moves it again, and is seen next time.
    uint64_t generation = shared_->generation();
    if (generation == loaded_generation_.load(std::memory_order_acquire)) {
      return current_.load();  // another thread reloaded while this one waited
    }
    s = ReloadLocked(generation);
  }
  if (!s.ok()) {
    if (s.code() == Code::kUnavailable && shared_ == nullptr) {
      // No keys file (e.g. a read-only data_dir): config keys only, said once.
      open_failed_.store(true, std::memory_order_relaxed);
      log_->Error("keys made over HTTP are not available: " + s.ToString());
    } else {
      log_->Error("cannot reload the keys made over HTTP (keeping the previous ones): " +
                  s.ToString());
    }
    next_try_micros_.store(env_->MonotonicMicros() + kRetryMicros, std::memory_order_relaxed);
  }
  return current_.load();
}

Result<MadeKey> KeyRing::Create(const KeySpec& spec) {
  for (const ApiKey& k : config_->keys) {
    if (k.name == spec.name) {
      return Status(
          Code::kConflict, "name_taken",
          "a key named " + Quote(spec.name) + " is in the configuration; pick another name",
          "name");
    }
  }
  Status random;
  std::string secret = "itslog_" + RandomHex(32, &random);
  std::string id = "key_" + RandomHex(12, &random);
  if (!random.ok()) {
    return random;
  }
  Digest digest = Sha256Of(secret);
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = OpenLocked(); !s.ok()) {
    return s;
  }
  Result<StoredKey> stored =
      InsertStoredKey(db_.get(), spec, digest, id, env_->NowMicros(), SharedKeyState::kSlots);
  if (!stored.ok()) {
    return stored.status();
  }
  if (stored->key.rate_slot >= 0) {
    shared_->ResetSlot(stored->key.rate_slot);
  }
  shared_->BumpGeneration();
  next_try_micros_.store(0, std::memory_order_relaxed);  // this process has the file now
  log_->Info("key " + Quote(spec.name) + " made (" + id + ")");
  MadeKey made;
  made.listing.key = std::move(stored->key);
  made.listing.created_at_micros = stored->created_at_micros;
  made.secret = std::move(secret);
  return made;
}

Result<std::vector<KeyListing>> KeyRing::List() {
  std::vector<KeyListing> out;
  for (const ApiKey& k : config_->keys) {
    KeyListing l;
    l.key = k;
    l.key.id = std::string(kConfigIdPrefix) + k.name;
    l.from_config = true;
    out.push_back(std::move(l));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = OpenLocked(); !s.ok()) {
    return s;
  }
  Result<std::vector<StoredKey>> stored = LoadStoredKeys(db_.get());
  if (!stored.ok()) {
    return stored.status();
  }
  for (StoredKey& k : *stored) {
    KeyListing l;
    l.key = std::move(k.key);
    l.created_at_micros = k.created_at_micros;
    l.last_used_at_micros = k.last_used_at_micros;
    out.push_back(std::move(l));
  }
  return out;
}

Status KeyRing::Revoke(const std::string& id) {
  if (id.starts_with(kConfigIdPrefix)) {
    std::string name = id.substr(kConfigIdPrefix.size());
    for (const ApiKey& k : config_->keys) {
      if (k.name == name) {
        return Status(Code::kConflict, "config_key",
                      "key " + Quote(name) +
                          " comes from the configuration file; remove it from auth.keys there "
                          "and restart the workers",
                      "id");
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = OpenLocked(); !s.ok()) {
    return s;
  }
  Result<std::optional<int>> deleted = DeleteStoredKey(db_.get(), id);
  if (!deleted.ok()) {
    return deleted.status();
  }
  shared_->BumpGeneration();
  log_->Info("key " + id + " revoked");
  return Status::Ok();
}

RateDecision KeyRing::Admit(const ApiKey& key) {
  SharedKeyState* shared = shared_ready_.load(std::memory_order_acquire);
  if (key.rate_limit <= 0 || key.rate_slot < 0 || key.rate_slot >= SharedKeyState::kSlots ||
      shared == nullptr) {
    return RateDecision{};
  }
  return shared->Admit(key.rate_slot, key.rate_limit, env_->MonotonicMicros() * 1000);
}

void KeyRing::NoteUsed(const KeySet& set, const ApiKey& key) {
  if (!set.ShouldNoteUse(&key, env_->MonotonicMicros(), kNoteUseMicros)) {
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  Status s = OpenLocked();
  if (s.ok()) {
    s = TouchStoredKey(db_.get(), key.id, env_->NowMicros());
  }
  if (!s.ok()) {
    log_->Warning("cannot record the use of key " + key.id + ": " + s.ToString());
  }
}

}  // namespace itslog
