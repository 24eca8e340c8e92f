#include "docgen/usage.h"

#include <gtest/gtest.h>

namespace itslog {
namespace {

TEST(UsageTest, OptionsWithValuesFlagsAndDefaults) {
  Usage u = ParseUsage("itslog fcgi [--config PATH] [--listen ADDR] [--threads N (4)] [-f]");
  ASSERT_EQ(u.options.size(), 4u);
  EXPECT_EQ(u.options[0].name, "--config");
  EXPECT_EQ(u.options[0].value, "PATH");
  EXPECT_EQ(u.options[1].name, "--listen");
  EXPECT_EQ(u.options[1].value, "ADDR");
  EXPECT_EQ(u.options[2].name, "--threads");
  EXPECT_EQ(u.options[2].value, "N");
  EXPECT_EQ(u.options[3].name, "-f");
  EXPECT_EQ(u.options[3].value, "");
  EXPECT_TRUE(u.positional.empty());
}

TEST(UsageTest, AlternativeNamesChoicesAndPositionals) {
  Usage u = ParseUsage(
      "itslog export FILE|DAY [--format jsonl|csv] [-f|--follow] [--no-header] [DAY|FILE]");
  ASSERT_EQ(u.options.size(), 4u);
  EXPECT_EQ(u.options[0].name, "--format");
  EXPECT_EQ(u.options[0].value, "jsonl|csv");
  EXPECT_EQ(u.options[1].name, "-f");
  EXPECT_EQ(u.options[2].name, "--follow");
  EXPECT_EQ(u.options[2].value, "");
  EXPECT_EQ(u.options[3].name, "--no-header");
  ASSERT_EQ(u.positional.size(), 2u);
  EXPECT_EQ(u.positional[0], "FILE|DAY");
  EXPECT_EQ(u.positional[1], "[DAY|FILE]");
}

TEST(UsageTest, ValueNotTakenFromTheNextOption) {
  Usage u = ParseUsage("itslog tail -n --json");
  ASSERT_EQ(u.options.size(), 2u);
  EXPECT_EQ(u.options[0].value, "");
  EXPECT_EQ(u.options[1].name, "--json");
}

}  // namespace
}  // namespace itslog
