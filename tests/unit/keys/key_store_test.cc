#include "keys/key_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "lib/temp_dir.h"

namespace itslog {
namespace {

KeySpec Spec(const std::string& name, int64_t rate_limit = 0) {
  KeySpec s;
  s.name = name;
  s.scopes = kScopeIngest | kScopeAdmin;
  s.apps = {"app.a", "app.b"};
  s.rate_limit = rate_limit;
  return s;
}

// Reads one text value back through a connection of its own.
std::string QueryText(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  std::string v = "(no row)";
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(stmt, 0);
    v = t == nullptr ? "(null)" : reinterpret_cast<const char*>(t);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return v;
}

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = ControlDb::Open(ControlDbPath(dir_.path()));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }
  TempDir dir_;
  std::unique_ptr<ControlDb> db_;
};

TEST_F(KeyStoreTest, StoresWhatTheSpecSaysAndReadsItBack) {
  KeySpec spec = Spec("team-a", 9);
  spec.expires_at_micros = 2000;
  Result<StoredKey> k = InsertStoredKey(db_.get(), spec, Sha256Of("s"), "key_01", 1000, 8);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->key.rate_slot, 0);
  // In the file, by another road: names for people, the hash as 32 bytes.
  std::string path = ControlDbPath(dir_.path());
  EXPECT_EQ(QueryText(path,
                      "SELECT scopes || '|' || apps || '|' || length(key_sha256) || '|' || "
                      "rate_limit || '|' || expires_at || '|' || created_at FROM api_keys"),
            "ingest admin|app.a app.b|32|9|2000|1000");
  EXPECT_EQ(QueryText(path, "SELECT lower(hex(key_sha256)) FROM api_keys"),
            HexEncode(Sha256Of("s")));
  Result<std::vector<StoredKey>> all = LoadStoredKeys(db_.get());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  const StoredKey& back = (*all)[0];
  EXPECT_EQ(back.key.id, "key_01");
  EXPECT_EQ(back.key.name, "team-a");
  EXPECT_EQ(back.key.sha256, Sha256Of("s"));
  EXPECT_EQ(back.key.scopes, kScopeIngest | kScopeAdmin);
  EXPECT_EQ(back.key.apps, (std::vector<std::string>{"app.a", "app.b"}));
  EXPECT_FALSE(back.key.all_apps);
  EXPECT_EQ(back.key.rate_limit, 9);
  EXPECT_EQ(back.key.rate_slot, 0);
  EXPECT_EQ(back.key.expires_at_micros, 2000);
  EXPECT_EQ(back.created_at_micros, 1000);
  EXPECT_EQ(back.last_used_at_micros, 0);
}

TEST_F(KeyStoreTest, BucketsGoToTheLowestFreeSlotAndRunOut) {
  auto add = [&](const std::string& name, int64_t rate) {
    return InsertStoredKey(db_.get(), Spec(name, rate), Sha256Of(name), "key_" + name, 1, 3);
  };
  EXPECT_EQ(add("a", 1)->key.rate_slot, 0);
  EXPECT_EQ(add("b", 1)->key.rate_slot, 1);
  EXPECT_EQ(add("none", 0)->key.rate_slot, -1);
  EXPECT_EQ(add("c", 1)->key.rate_slot, 2);
  Result<StoredKey> full = add("d", 1);
  EXPECT_EQ(full.status().code(), Code::kConflict);
  EXPECT_EQ(full.status().reason(), "too_many_keys");
  Result<std::optional<int>> freed = DeleteStoredKey(db_.get(), "key_b");
  ASSERT_TRUE(freed.ok());
  EXPECT_EQ(*freed, std::optional<int>(1));
  EXPECT_EQ(add("d", 1)->key.rate_slot, 1);
  EXPECT_EQ(*DeleteStoredKey(db_.get(), "key_none"), std::nullopt);
  EXPECT_EQ(DeleteStoredKey(db_.get(), "key_none").status().reason(), "key_not_found");
}

TEST_F(KeyStoreTest, NamesAreUniqueAndAFailedInsertLeavesNothing) {
  ASSERT_TRUE(InsertStoredKey(db_.get(), Spec("a"), Sha256Of("1"), "key_1", 1, 8).ok());
  Result<StoredKey> again = InsertStoredKey(db_.get(), Spec("a"), Sha256Of("2"), "key_2", 1, 8);
  EXPECT_EQ(again.status().reason(), "name_taken");
  EXPECT_EQ(again.status().field(), "name");
  EXPECT_EQ(LoadStoredKeys(db_.get())->size(), 1u);
}

TEST_F(KeyStoreTest, TouchOnlyMovesLastUseForward) {
  ASSERT_TRUE(InsertStoredKey(db_.get(), Spec("a"), Sha256Of("1"), "key_1", 1, 8).ok());
  ASSERT_TRUE(TouchStoredKey(db_.get(), "key_1", 500).ok());
  ASSERT_TRUE(TouchStoredKey(db_.get(), "key_1", 400).ok());
  EXPECT_EQ((*LoadStoredKeys(db_.get()))[0].last_used_at_micros, 500);
  EXPECT_TRUE(TouchStoredKey(db_.get(), "key_gone", 600).ok());
}

}  // namespace
}  // namespace itslog
