#include "keys/key_ring.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/time_util.h"
#include "lib/fake_env.h"
#include "lib/temp_dir.h"

namespace itslog {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

KeySpec Spec(const std::string& name, int64_t rate_limit = 0) {
  KeySpec s;
  s.name = name;
  s.scopes = kScopeIngest;
  s.apps = {"app.a"};
  s.rate_limit = rate_limit;
  return s;
}

class KeyRingTest : public ::testing::Test {
 protected:
  KeyRingTest() : env_("2025-03-01T12:00:00Z") {
    config_.data_dir = dir_.path();
    ApiKey from_config;
    from_config.name = "ops";
    from_config.sha256 = Sha256Of("config-key");
    from_config.scopes = kScopeAdmin;
    from_config.all_apps = true;
    config_.keys = {from_config};
  }

  // The key made over HTTP that the ring's current set finds for secret, or nullptr.
  static const ApiKey* Find(KeyRing& ring, const std::string& secret) {
    return ring.Current()->Find(Sha256Of(secret));
  }

  TempDir dir_;
  FakeEnv env_;
  NullLogger log_;
  Config config_;
};

TEST_F(KeyRingTest, AKeyMadeInOneProcessIsFoundByAnotherAtItsNextLook) {
  KeyRing maker(&config_, &env_, &log_);
  KeyRing worker(&config_, &env_, &log_);  // another process's view of the same data_dir
  EXPECT_TRUE(worker.Current()->keys().empty());
  // Before any key is made, looking creates nothing.
  EXPECT_FALSE(env_.FileExists(dir_.path() + "/" + SharedKeyState::kFileName));
  EXPECT_FALSE(env_.FileExists(ControlDbPath(dir_.path())));
  Result<MadeKey> made = maker.Create(Spec("team-a"));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  // The first key of a data_dir creates the keys file, which a process that found none looks
  // for again 100 ms later; from then on every change is seen at the next look.
  EXPECT_EQ(Find(worker, made->secret), nullptr);
  env_.Advance(std::chrono::milliseconds(100));
  EXPECT_TRUE(made->secret.starts_with("itslog_"));
  EXPECT_EQ(made->secret.size(), 7u + 64u);  // 256 random bits in hex
  const ApiKey* found = Find(worker, made->secret);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name, "team-a");
  EXPECT_EQ(found->id, made->listing.key.id);
  EXPECT_EQ(found->scopes, kScopeIngest);
  EXPECT_EQ(Find(worker, made->secret + "x"), nullptr);

  ASSERT_TRUE(maker.Revoke(made->listing.key.id).ok());
  EXPECT_EQ(Find(worker, made->secret), nullptr);
}

TEST_F(KeyRingTest, NoReloadWhileNothingChanged) {
  KeyRing ring(&config_, &env_, &log_);
  ASSERT_TRUE(ring.Create(Spec("a")).ok());
  std::shared_ptr<const KeySet> first = ring.Current();
  EXPECT_EQ(ring.Current().get(), first.get());
  KeyRing other(&config_, &env_, &log_);
  ASSERT_TRUE(other.Create(Spec("b")).ok());
  std::shared_ptr<const KeySet> second = ring.Current();
  EXPECT_NE(second.get(), first.get());
  EXPECT_EQ(second->keys().size(), 2u);
  EXPECT_EQ(ring.Current().get(), second.get());
}

TEST_F(KeyRingTest, TheControlDatabaseNeverHoldsAKeyInClear) {
  KeyRing ring(&config_, &env_, &log_);
  std::vector<std::string> secrets;
  for (int i = 0; i < 20; ++i) {
    Result<MadeKey> made = ring.Create(Spec("k" + std::to_string(i)));
    ASSERT_TRUE(made.ok());
    secrets.push_back(made->secret);
  }
  std::string bytes = ReadAll(ControlDbPath(dir_.path())) +
                      ReadAll(ControlDbPath(dir_.path()) + "-wal") +
                      ReadAll(dir_.path() + "/" + SharedKeyState::kFileName);
  ASSERT_GT(bytes.size(), 0u);
  int hashes_found = 0;
  for (const std::string& s : secrets) {
    EXPECT_EQ(bytes.find(s), std::string::npos);
    EXPECT_EQ(bytes.find(s.substr(7, 32)), std::string::npos);  // nor a part of it
    Digest d = Sha256Of(s);
    hashes_found += bytes.find(std::string(reinterpret_cast<const char*>(d.data()), d.size())) !=
                            std::string::npos
                        ? 1
                        : 0;
  }
  EXPECT_EQ(hashes_found, 20);  // the hashes are there: the search above can find bytes
}

TEST_F(KeyRingTest, ListsConfigKeysThenMadeOnes) {
  KeyRing ring(&config_, &env_, &log_);
  KeySpec spec = Spec("team-a", 7);
  spec.expires_at_micros = env_.NowMicros() + 3600 * kMicrosPerSecond;
  ASSERT_TRUE(ring.Create(spec).ok());
  Result<std::vector<KeyListing>> listed = ring.List();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key.id, "config:ops");
  EXPECT_TRUE((*listed)[0].from_config);
  EXPECT_FALSE((*listed)[1].from_config);
  EXPECT_EQ((*listed)[1].key.name, "team-a");
  EXPECT_EQ((*listed)[1].key.rate_limit, 7);
  EXPECT_EQ((*listed)[1].key.expires_at_micros, spec.expires_at_micros);
  EXPECT_EQ((*listed)[1].created_at_micros, env_.NowMicros());
  EXPECT_EQ((*listed)[1].last_used_at_micros, 0);
}

TEST_F(KeyRingTest, ConfigKeysCannotBeRevokedAndNamesAreUnique) {
  KeyRing ring(&config_, &env_, &log_);
  Status s = ring.Revoke("config:ops");
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_EQ(s.reason(), "config_key");
  EXPECT_NE(s.message().find("configuration"), std::string::npos);
  EXPECT_EQ(ring.Revoke("key_0123").reason(), "key_not_found");
  EXPECT_EQ(ring.Revoke("config:nope").reason(), "key_not_found");

  Result<MadeKey> dup_config = ring.Create(Spec("ops"));
  EXPECT_EQ(dup_config.status().reason(), "name_taken");
  EXPECT_EQ(dup_config.status().field(), "name");
  ASSERT_TRUE(ring.Create(Spec("a")).ok());
  EXPECT_EQ(ring.Create(Spec("a")).status().reason(), "name_taken");
}

TEST_F(KeyRingTest, RateLimitIsSharedByEveryRingOfTheDataDir) {
  KeyRing a(&config_, &env_, &log_);
  KeyRing b(&config_, &env_, &log_);
  Result<MadeKey> made = a.Create(Spec("limited", 4));
  ASSERT_TRUE(made.ok());
  const ApiKey* in_a = Find(a, made->secret);
  const ApiKey* in_b = Find(b, made->secret);
  ASSERT_NE(in_a, nullptr);
  ASSERT_NE(in_b, nullptr);
  int allowed = 0;
  for (int i = 0; i < 10; ++i) {
    allowed += a.Admit(*in_a).allowed ? 1 : 0;
    allowed += b.Admit(*in_b).allowed ? 1 : 0;
  }
  EXPECT_EQ(allowed, 4);
  env_.Advance(std::chrono::seconds(1));
  EXPECT_TRUE(b.Admit(*in_b).allowed);
}

TEST_F(KeyRingTest, ABucketIsReusedAndStartsFullForItsNextKey) {
  KeyRing ring(&config_, &env_, &log_);
  Result<MadeKey> first = ring.Create(Spec("first", 1));
  ASSERT_TRUE(first.ok());
  const ApiKey* k1 = Find(ring, first->secret);
  ASSERT_NE(k1, nullptr);
  ASSERT_TRUE(ring.Admit(*k1).allowed);
  ASSERT_FALSE(ring.Admit(*k1).allowed);
  int slot = k1->rate_slot;
  ASSERT_TRUE(ring.Revoke(first->listing.key.id).ok());
  Result<MadeKey> second = ring.Create(Spec("second", 1));
  ASSERT_TRUE(second.ok());
  const ApiKey* k2 = Find(ring, second->secret);
  ASSERT_NE(k2, nullptr);
  EXPECT_EQ(k2->rate_slot, slot);
  EXPECT_TRUE(ring.Admit(*k2).allowed);
  Result<MadeKey> unlimited = ring.Create(Spec("unlimited"));
  ASSERT_TRUE(unlimited.ok());
  EXPECT_EQ(unlimited->listing.key.rate_slot, -1);
}

TEST_F(KeyRingTest, UseIsRecordedAtMostOncePerMinute) {
  KeyRing ring(&config_, &env_, &log_);
  Result<MadeKey> made = ring.Create(Spec("used"));
  ASSERT_TRUE(made.ok());
  auto last_used = [&]() {
    Result<std::vector<KeyListing>> listed = ring.List();
    for (const KeyListing& l : listed.value()) {
      if (l.key.name == "used") {
        return l.last_used_at_micros;
      }
    }
    return int64_t{-1};
  };
  const int64_t t0 = env_.NowMicros();
  std::shared_ptr<const KeySet> set = ring.Current();
  ring.NoteUsed(*set, *set->Find(Sha256Of(made->secret)));
  EXPECT_EQ(last_used(), t0);
  env_.Advance(std::chrono::seconds(59));
  ring.NoteUsed(*set, *set->Find(Sha256Of(made->secret)));
  EXPECT_EQ(last_used(), t0);
  // A reload (another key made) does not forget when the use was last recorded.
  ASSERT_TRUE(ring.Create(Spec("other")).ok());
  set = ring.Current();
  ring.NoteUsed(*set, *set->Find(Sha256Of(made->secret)));
  EXPECT_EQ(last_used(), t0);
  env_.Advance(std::chrono::seconds(1));
  ring.NoteUsed(*set, *set->Find(Sha256Of(made->secret)));
  EXPECT_EQ(last_used(), t0 + 60 * kMicrosPerSecond);
}

TEST_F(KeyRingTest, AnUnusableDataDirLeavesConfigKeysOnly) {
  config_.data_dir = dir_.path() + "/missing/dir";
  KeyRing ring(&config_, &env_, &log_);
  EXPECT_TRUE(ring.Current()->keys().empty());
  Result<MadeKey> made = ring.Create(Spec("a"));
  EXPECT_EQ(made.status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace itslog
