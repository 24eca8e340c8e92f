#include "keys/key_set.h"

#include <gtest/gtest.h>

namespace itslog {
namespace {

ApiKey Key(const std::string& id, const std::string& secret) {
  ApiKey k;
  k.id = id;
  k.name = id;
  k.sha256 = Sha256Of(secret);
  return k;
}

TEST(KeySetTest, FindsEachKeyByItsHashOnly) {
  std::vector<ApiKey> keys;
  for (int i = 0; i < 1000; ++i) {
    keys.push_back(Key("key_" + std::to_string(i), "secret-" + std::to_string(i)));
  }
  // A key whose hash shares the first 8 bytes of another's must not be taken for it.
  ApiKey twin = Key("key_twin", "other");
  twin.sha256 = keys[7].sha256;
  twin.sha256[31] ^= 1;
  keys.push_back(twin);
  KeySet set(keys, nullptr);
  for (int i = 0; i < 1000; i += 37) {
    const ApiKey* k = set.Find(Sha256Of("secret-" + std::to_string(i)));
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->id, "key_" + std::to_string(i));
  }
  EXPECT_EQ(set.Find(Sha256Of("secret-7"))->id, "key_7");
  EXPECT_EQ(set.Find(twin.sha256)->id, "key_twin");
  EXPECT_EQ(set.Find(Sha256Of("nope")), nullptr);
  EXPECT_EQ(KeySet({}, nullptr).Find(Sha256Of("x")), nullptr);
}

TEST(KeySetTest, NotesAUseOncePerIntervalAndCarriesNotesOver) {
  KeySet first({Key("key_a", "a"), Key("key_b", "b")}, nullptr);
  const ApiKey* a = first.Find(Sha256Of("a"));
  EXPECT_TRUE(first.ShouldNoteUse(a, 0, 60));
  EXPECT_FALSE(first.ShouldNoteUse(a, 59, 60));
  EXPECT_TRUE(first.ShouldNoteUse(first.Find(Sha256Of("b")), 59, 60));
  KeySet second({Key("key_c", "c"), Key("key_a", "a")}, &first);
  const ApiKey* a2 = second.Find(Sha256Of("a"));
  EXPECT_FALSE(second.ShouldNoteUse(a2, 59, 60));
  EXPECT_TRUE(second.ShouldNoteUse(second.Find(Sha256Of("c")), 59, 60));
  EXPECT_TRUE(second.ShouldNoteUse(a2, 60, 60));
  ApiKey stranger = Key("key_x", "x");
  EXPECT_FALSE(second.ShouldNoteUse(&stranger, 0, 60));
}

}  // namespace
}  // namespace itslog
