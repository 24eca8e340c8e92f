#include "ship/shipped_layout.h"

#include <gtest/gtest.h>

namespace itslog {
namespace {

TEST(ShippedLayoutTest, KeysOfBothLayouts) {
  EXPECT_EQ(ShippedFileKey("logs/", "2025-12-01", "vm-a"),
            "logs/2025-12-01/hosts/vm-a/2025-12-01-v1.itslog");
  EXPECT_EQ(ShippedSealKey("logs/", "2025-12-01", "vm-a"),
            "logs/2025-12-01/hosts/vm-a/2025-12-01-v1.seal.json");
  EXPECT_EQ(ShippedHostsPrefix("logs/", "2025-12-01"), "logs/2025-12-01/hosts/");
  EXPECT_EQ(LegacyFileKey("logs/", "2025-12-01"), "logs/2025-12-01-v1.itslog");
  EXPECT_EQ(LegacySealKey("logs/", "2025-12-01"), "logs/2025-12-01-v1.seal.json");
  EXPECT_EQ(ShippedFileKey("", "2025-12-01", "a"), "2025-12-01/hosts/a/2025-12-01-v1.itslog");
  // A host's folder never lists the first layout's objects of that day, and a listing of the
  // day's hosts never holds another day's.
  EXPECT_FALSE(LegacyFileKey("", "2025-12-01").starts_with(ShippedHostsPrefix("", "2025-12-01")));
  EXPECT_FALSE(
      ShippedFileKey("", "2025-12-11", "a").starts_with(ShippedHostsPrefix("", "2025-12-1")));
}

TEST(ShippedLayoutTest, ParsesWhatItWrites) {
  for (const char* prefix : {"", "logs/", "a/b/"}) {
    for (const char* host : {"vm-a", "0", "h.example.org"}) {
      std::optional<ShippedObject> f =
          ParseShippedKey(prefix, ShippedFileKey(prefix, "2025-12-01", host));
      ASSERT_TRUE(f.has_value()) << prefix << host;
      EXPECT_EQ(f->day, "2025-12-01");
      EXPECT_EQ(f->host, host);
      EXPECT_FALSE(f->legacy);
      EXPECT_FALSE(f->seal);
      std::optional<ShippedObject> s =
          ParseShippedKey(prefix, ShippedSealKey(prefix, "2025-12-01", host));
      ASSERT_TRUE(s.has_value());
      EXPECT_EQ(s->host, host);
      EXPECT_TRUE(s->seal);
    }
    std::optional<ShippedObject> l = ParseShippedKey(prefix, LegacyFileKey(prefix, "2024-02-29"));
    ASSERT_TRUE(l.has_value());
    EXPECT_EQ(l->day, "2024-02-29");
    EXPECT_EQ(l->host, "");
    EXPECT_TRUE(l->legacy);
    EXPECT_FALSE(l->seal);
    l = ParseShippedKey(prefix, LegacySealKey(prefix, "2024-02-29"));
    ASSERT_TRUE(l.has_value());
    EXPECT_TRUE(l->legacy);
    EXPECT_TRUE(l->seal);
  }
}

TEST(ShippedLayoutTest, RefusesEverythingElse) {
  const char* bad[] = {
      "",
      "logs/",
      "other/2025-12-01-v1.itslog",                         // another prefix
      "logs/2025-02-30-v1.itslog",                          // no such date
      "logs/2025-12-01-v2.itslog",                          // another format version
      "logs/2025-12-01-v1.itslog.shipped",                  // not a shipped name
      "logs/2025-12-01/hosts/vm-a/2025-12-02-v1.itslog",    // another day's file
      "logs/2025-12-01/hosts/VM-A/2025-12-01-v1.itslog",    // not a host_id
      "logs/2025-12-01/hosts/-a/2025-12-01-v1.itslog",      // not a host_id
      "logs/2025-12-01/hosts//2025-12-01-v1.itslog",        // no host
      "logs/2025-12-01/hosts/vm-a/x/2025-12-01-v1.itslog",  // deeper
      "logs/2025-12-01/hosts/vm-a/2025-12-01-v1.itslog/x",  // deeper
      "logs/2025-12-01/hosts/vm-a",                         // the folder
      "logs/2025-12-01/unique/ab.json",                     // storage: s3's objects
      "logs/2025-12-01/0000000001.json",                    // storage: s3's objects
      "logs/2025-12-01/host/vm-a/2025-12-01-v1.itslog",     // not "hosts"
  };
  for (const char* key : bad) {
    EXPECT_FALSE(ParseShippedKey("logs/", key).has_value()) << key;
  }
}

}  // namespace
}  // namespace itslog
