#include "alerts/alert_model.h"

#include <gtest/gtest.h>

namespace itslog {
namespace {

TEST(AlertModelTest, LinkLocalAddressesAreRecognised) {
  for (const char* host : {"169.254.169.254", "169.254.0.1", "fe80::1", "FE80::abcd", "febf::1",
                           "::ffff:169.254.169.254"}) {
    EXPECT_TRUE(IsLinkLocalAddress(host)) << host;
  }
  for (const char* host :
       {"127.0.0.1", "10.0.0.1", "169.253.1.1", "fec0::1", "::1", "example.org", "", "169.254.1"}) {
    EXPECT_FALSE(IsLinkLocalAddress(host)) << host;
  }
}

TEST(AlertModelTest, RuleJsonRoundTripsThroughParse) {
  Result<AlertRule> r = ParseRuleBody(
      R"({"name":"n","query":{"app":"a","event":"e"},"aggregate":"avg","comparator":"<=",)"
      R"("threshold":2.5,"window_seconds":60,"for_seconds":30,"severity":"critical",)"
      R"("channels":["c1","c1","c2"],"create_incident":false,"is_active":false})",
      nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->channels, (std::vector<std::string>{"c1", "c2"}));
  Result<AlertRule> again = ParseRuleBody(RuleJson(*r), nullptr);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->aggregate, "avg");
  EXPECT_EQ(again->comparator, "<=");
  EXPECT_EQ(again->threshold, 2.5);
  EXPECT_EQ(again->for_seconds, 30);
  EXPECT_FALSE(again->create_incident);
  EXPECT_FALSE(again->is_active);
  EXPECT_EQ(again->event.value_or(""), "e");
}

}  // namespace
}  // namespace itslog
