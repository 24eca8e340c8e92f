#include "s3store/object_keys.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace itslog {
namespace {

TEST(ObjectKeysTest, NumberedKeysHaveTenDigitsOfSecondTimes100000PlusN) {
  EXPECT_EQ(DayPrefix("logs/", "2025-03-01"), "logs/2025-03-01/");
  EXPECT_EQ(DayPrefix("", "2025-03-01"), "2025-03-01/");
  EXPECT_EQ(EventNumber(0, 0), 0);
  EXPECT_EQ(EventNumber(1, 2), 100002);
  EXPECT_EQ(EventNumber(86399, 99999), 8639999999);
  EXPECT_EQ(NumberedKey("logs/", "2025-03-01", 0), "logs/2025-03-01/0000000000.json");
  EXPECT_EQ(NumberedKey("logs/", "2025-03-01", EventNumber(45296, 7)),
            "logs/2025-03-01/4529600007.json");
  // The last second of a 25-hour day (clocks turned back) still fits ten digits.
  EXPECT_EQ(NumberedKey("", "2025-10-26", EventNumber(kMaxSecondsPerDay - 1, 99999)),
            "2025-10-26/8999999999.json");
}

TEST(ObjectKeysTest, UniqueAndIdempotencyKeysHashAppSlashName) {
  // Expected digests computed independently: sha256(b"app.x/ev"), sha256(b"app.x/order-17").
  EXPECT_EQ(UniqueKey("p/", "2025-03-01", "app.x", "ev"),
            "p/2025-03-01/unique/"
            "fac401fd9cf2a770366659a1900ff50eff1e5c985e9e3e1ba08a72a2909387b3.json");
  EXPECT_EQ(IdempotencyKey("p/", "2025-03-01", "app.x", "order-17"),
            "p/2025-03-01/idempotency/"
            "6220114d54cf5f99cb4d2c7aa4f9bee01a3bb5307d57160f5c0d399fa8dc16c8.json");
  EXPECT_EQ(IdempotencyHash("app.x", "order-17"),
            "6220114d54cf5f99cb4d2c7aa4f9bee01a3bb5307d57160f5c0d399fa8dc16c8");
  // The separator keeps "a/b" + "c" apart from "a" + "b/c" only for apps without '/', which
  // app names cannot contain; different events of one app never share a name.
  EXPECT_NE(UniqueKey("", "2025-03-01", "a", "b"), UniqueKey("", "2025-03-01", "a", "c"));
  EXPECT_NE(UniqueKey("", "2025-03-01", "a", "b"), UniqueKey("", "2025-03-02", "a", "b"));
}

TEST(ObjectKeysTest, ParsesTheThreeNamesItWrites) {
  const std::string prefix = DayPrefix("logs/", "2025-03-01");
  ObjectName n = ParseObjectName(prefix, NumberedKey("logs/", "2025-03-01", 4529600007));
  EXPECT_EQ(n.kind, ObjectKind::kNumbered);
  EXPECT_EQ(n.number, 4529600007);
  n = ParseObjectName(prefix, UniqueKey("logs/", "2025-03-01", "app.x", "ev"));
  EXPECT_EQ(n.kind, ObjectKind::kUnique);
  EXPECT_EQ(n.hash_hex, "fac401fd9cf2a770366659a1900ff50eff1e5c985e9e3e1ba08a72a2909387b3");
  n = ParseObjectName(prefix, IdempotencyKey("logs/", "2025-03-01", "app.x", "order-17"));
  EXPECT_EQ(n.kind, ObjectKind::kIdempotent);
  EXPECT_EQ(n.hash_hex, "6220114d54cf5f99cb4d2c7aa4f9bee01a3bb5307d57160f5c0d399fa8dc16c8");
}

TEST(ObjectKeysTest, AnythingElseUnderTheDayIsOther) {
  const std::string prefix = "logs/2025-03-01/";
  const std::string hex(64, 'a');
  const char* others[] = {
      "logs/2025-03-02/0000000000.json",   // another day
      "logs/2025-03-01/000000000.json",    // nine digits
      "logs/2025-03-01/00000000000.json",  // eleven
      "logs/2025-03-01/000000000a.json",
      "logs/2025-03-01/0000000000.JSON",
      "logs/2025-03-01/0000000000.json.tmp",
      "logs/2025-03-01/9000000000.json",  // beyond 25 hours
      "logs/2025-03-01/-000000001.json",
      "logs/2025-03-01/README.txt",
      "logs/2025-03-01/",
      "logs/2025-03-01/x/0000000000.json",
  };
  for (const char* key : others) {
    EXPECT_EQ(ParseObjectName(prefix, key).kind, ObjectKind::kOther) << key;
  }
  const std::string hash_others[] = {
      prefix + "unique/" + std::string(64, 'A') + ".json",  // upper-case hex
      prefix + "unique/" + std::string(63, 'a') + ".json",
      prefix + "unique/" + std::string(65, 'a') + ".json",
      prefix + "unique/" + std::string(63, 'a') + "g.json",
      prefix + "unique/x/" + hex + ".json",
      prefix + "uniques/" + hex + ".json",
      prefix + "idempotency/" + hex + ".txt",
      prefix + "idempotency" + hex + ".json",
  };
  for (const std::string& key : hash_others) {
    EXPECT_EQ(ParseObjectName(prefix, key).kind, ObjectKind::kOther) << key;
  }
}

TEST(ObjectKeysTest, NameMarkersLiveUnderTheAppAndAreNoEvents) {
  // sha256(b"app.x/ev"), as for the unique event of the same name.
  const std::string hex = "fac401fd9cf2a770366659a1900ff50eff1e5c985e9e3e1ba08a72a2909387b3";
  EXPECT_EQ(NameHash("app.x", "ev"), hex);
  EXPECT_EQ(NameMarkerPrefix("p/", "2025-03-01", "app.x"), "p/2025-03-01/names/app.x/");
  const std::string key = NameMarkerKey("p/", "2025-03-01", "app.x", "ev");
  EXPECT_EQ(key, "p/2025-03-01/names/app.x/" + hex + ".json");
  EXPECT_EQ(NameMarkerBody("app.x", "a:b"), R"({"app":"app.x","event":"a:b"})");

  const std::string prefix = DayPrefix("p/", "2025-03-01");
  std::optional<NameMarker> m = ParseNameMarker(prefix, key);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->app, "app.x");
  EXPECT_EQ(m->hash_hex, hex);
  EXPECT_EQ(ParseObjectName(prefix, key).kind, ObjectKind::kOther);  // never an event

  const std::string not_markers[] = {
      "p/2025-03-02/names/app.x/" + hex + ".json",  // another day
      prefix + "names/" + hex + ".json",            // no app
      prefix + "names/.x/" + hex + ".json",         // not an app name
      prefix + "names/app.x/" + std::string(64, 'A') + ".json",
      prefix + "names/app.x/" + hex.substr(1) + ".json",
      prefix + "names/app.x/y/" + hex + ".json",
      prefix + "names/app.x/" + hex + ".txt",
      prefix + "name/app.x/" + hex + ".json",
      prefix + "unique/" + hex + ".json",
  };
  for (const std::string& k : not_markers) {
    EXPECT_FALSE(ParseNameMarker(prefix, k).has_value()) << k;
  }
}

TEST(KeyCounterTest, CountsFromZeroWithinEachSecond) {
  KeyCounter c;
  EXPECT_EQ(c.Next("2025-03-01", 10), 0);
  EXPECT_EQ(c.Next("2025-03-01", 10), 1);
  EXPECT_EQ(c.Next("2025-03-01", 10), 2);
  EXPECT_EQ(c.Next("2025-03-01", 11), 0);
  EXPECT_EQ(c.Next("2025-03-02", 10), 0);  // another day's second 10
}

TEST(KeyCounterTest, AnEarlierSecondContinuesWhereItWas) {
  // Two threads read the clock in seconds 10 and 11 and reach the counter in the other order.
  KeyCounter c;
  EXPECT_EQ(c.Next("2025-03-01", 10), 0);
  EXPECT_EQ(c.Next("2025-03-01", 11), 0);
  EXPECT_EQ(c.Next("2025-03-01", 10), 1);
  EXPECT_EQ(c.Next("2025-03-01", 11), 1);
}

TEST(KeyCounterTest, TakenMovesPastAnotherWritersN) {
  KeyCounter c;
  EXPECT_EQ(c.Next("2025-03-01", 5), 0);
  c.Taken("2025-03-01", 5, 0);  // our n=0 met another writer's object: never 0 again
  EXPECT_EQ(c.Next("2025-03-01", 5), 1);
  c.Taken("2025-03-01", 5, 7);
  EXPECT_EQ(c.Next("2025-03-01", 5), 8);
  c.Taken("2025-03-01", 5, 3);  // behind us already: no change
  EXPECT_EQ(c.Next("2025-03-01", 5), 9);
  c.Taken("2025-03-01", 6, 4);  // a second we have not used yet
  EXPECT_EQ(c.Next("2025-03-01", 6), 5);
}

TEST(KeyCounterTest, ASecondRunsOutAfter100000) {
  KeyCounter c;
  c.Taken("2025-03-01", 5, kEventsPerSecond - 2);
  EXPECT_EQ(c.Next("2025-03-01", 5), kEventsPerSecond - 1);
  EXPECT_EQ(c.Next("2025-03-01", 5), std::nullopt);
  EXPECT_EQ(c.Next("2025-03-01", 5), std::nullopt);
  EXPECT_EQ(c.Next("2025-03-01", 6), 0);
}

TEST(KeyCounterTest, NeverRepeatsAnNWithinTheRememberedSeconds) {
  KeyCounter c;
  std::set<std::pair<int64_t, int64_t>> given;
  // Seconds visited out of order, each a few times, over more than the remembered window.
  for (int round = 0; round < 3; ++round) {
    for (int64_t s = 0; s < static_cast<int64_t>(KeyCounter::kRememberedSeconds); ++s) {
      int64_t second = 1000 + (s * 37) % static_cast<int64_t>(KeyCounter::kRememberedSeconds);
      std::optional<int64_t> n = c.Next("2025-03-01", second);
      ASSERT_TRUE(n.has_value());
      EXPECT_TRUE(given.insert({second, *n}).second) << second << " " << *n;
    }
  }
  // Far newer seconds push the oldest out; the newest are still remembered.
  for (int64_t s = 0; s < static_cast<int64_t>(KeyCounter::kRememberedSeconds); ++s) {
    EXPECT_EQ(c.Next("2025-03-01", 5000 + s), 0);
  }
  EXPECT_EQ(c.Next("2025-03-01", 5000 + KeyCounter::kRememberedSeconds - 1), 1);
  EXPECT_EQ(c.Next("2025-03-01", 5000), 1);
}

}  // namespace
}  // namespace itslog
