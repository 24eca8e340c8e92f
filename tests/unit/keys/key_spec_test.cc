#include "keys/key_spec.h"

#include <gtest/gtest.h>

#include "config/config.h"
#include "core/time_util.h"

namespace itslog {
namespace {

const int64_t kNow = *ParseIso8601Micros("2025-03-01T12:00:00Z");

TEST(KeySpecTest, ReadsEveryField) {
  Result<KeySpec> spec =
      ParseKeySpec(R"({"name":"team-a","scopes":["ingest","read"],"apps":["app.a","app-b"],)"
                   R"("rate_limit":50,"expires_at":"2025-03-02T00:00:00Z"})",
                   kNow);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->name, "team-a");
  EXPECT_EQ(spec->scopes, kScopeIngest | kScopeRead);
  EXPECT_FALSE(spec->all_apps);
  EXPECT_EQ(spec->apps, (std::vector<std::string>{"app.a", "app-b"}));
  EXPECT_EQ(spec->rate_limit, 50);
  EXPECT_EQ(spec->expires_at_micros, *ParseIso8601Micros("2025-03-02T00:00:00Z"));
}

TEST(KeySpecTest, OptionalFieldsMayBeAbsentOrNull) {
  Result<KeySpec> spec = ParseKeySpec(
      R"({"name":"x","scopes":["admin"],"apps":["*"],"rate_limit":null,"expires_at":null})", kNow);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(spec->all_apps);
  EXPECT_TRUE(spec->apps.empty());
  EXPECT_EQ(spec->rate_limit, 0);
  EXPECT_EQ(spec->expires_at_micros, 0);
  EXPECT_TRUE(ParseKeySpec(R"({"name":"x","scopes":["read"],"apps":["a"]})", kNow).ok());
}

TEST(KeySpecTest, RejectsBadInputNamingReasonAndField) {
  const struct {
    std::string_view body, reason, field;
  } cases[] = {
      {"", "empty_body", "body"},
      {"  ", "empty_body", "body"},
      {"{", "invalid_json", "body"},
      {"[1]", "invalid_json", "body"},
      {R"("name")", "invalid_json", "body"},
      {R"({"name":"a","name":"b","scopes":["read"],"apps":["a"]})", "invalid_json", "body"},
      {R"({"scopes":["read"],"apps":["a"]})", "missing_field", "name"},
      {R"({"name":"a","apps":["a"]})", "missing_field", "scopes"},
      {R"({"name":"a","scopes":["read"]})", "missing_field", "apps"},
      {R"({"name":"a","scopes":["read"],"apps":["a"],"key":"x"})", "unknown_field", "key"},
      {R"({"name":"a","scopes":["read"],"apps":["a"],"id":"x"})", "unknown_field", "id"},
      {R"({"name":"a","scopes":["read"],"apps":["a"],"":"x"})", "unknown_field", "body"},
      {R"({"name":1,"scopes":["read"],"apps":["a"]})", "invalid_key_name", "name"},
      {R"({"name":"","scopes":["read"],"apps":["a"]})", "invalid_key_name", "name"},
      {R"({"name":"-a","scopes":["read"],"apps":["a"]})", "invalid_key_name", "name"},
      {R"({"name":"a b","scopes":["read"],"apps":["a"]})", "invalid_key_name", "name"},
      {R"({"name":"<script>","scopes":["read"],"apps":["a"]})", "invalid_key_name", "name"},
      {R"({"name":"a","scopes":"read","apps":["a"]})", "invalid_scopes", "scopes"},
      {R"({"name":"a","scopes":[],"apps":["a"]})", "invalid_scopes", "scopes"},
      {R"({"name":"a","scopes":["root"],"apps":["a"]})", "invalid_scopes", "scopes"},
      {R"({"name":"a","scopes":["read","read"],"apps":["a"]})", "invalid_scopes", "scopes"},
      {R"({"name":"a","scopes":[1],"apps":["a"]})", "invalid_scopes", "scopes"},
      {R"({"name":"a","scopes":["read"],"apps":"a"})", "invalid_apps", "apps"},
      {R"({"name":"a","scopes":["read"],"apps":[]})", "invalid_apps", "apps"},
      {R"({"name":"a","scopes":["read"],"apps":["*","a"]})", "invalid_apps", "apps"},
      {R"({"name":"a","scopes":["read"],"apps":["a","a"]})", "invalid_apps", "apps"},
      {R"({"name":"a","scopes":["read"],"apps":["a/b"]})", "invalid_apps", "apps"},
      {R"({"name":"a","scopes":["read"],"apps":[null]})", "invalid_apps", "apps"},
      {R"({"name":"a","scopes":["read"],"apps":["a"],"rate_limit":0})", "invalid_rate_limit",
       "rate_limit"},
      {R"({"name":"a","scopes":["read"],"apps":["a"],"rate_limit":-5})", "invalid_rate_limit",
       "rate_limit"},
      {R"({"name":"a","scopes":["read"],"apps":["a"],"rate_limit":1.5})", "invalid_rate_limit",
       "rate_limit"},
      {R"({"name":"a","scopes":["read"],"apps":["a"],"rate_limit":"10"})", "invalid_rate_limit",
       "rate_limit"},
      {R"({"name":"a","scopes":["read"],"apps":["a"],"rate_limit":1000001})", "invalid_rate_limit",
       "rate_limit"},
      {R"({"name":"a","scopes":["read"],"apps":["a"],"expires_at":"tomorrow"})",
       "invalid_expires_at", "expires_at"},
      {R"({"name":"a","scopes":["read"],"apps":["a"],"expires_at":1740830400})",
       "invalid_expires_at", "expires_at"},
      {R"({"name":"a","scopes":["read"],"apps":["a"],"expires_at":"2025-03-01T11:59:59Z"})",
       "invalid_expires_at", "expires_at"},
  };
  for (const auto& c : cases) {
    Result<KeySpec> r = ParseKeySpec(c.body, kNow);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), Code::kInvalid) << c.body;
    EXPECT_EQ(r.status().reason(), c.reason) << c.body;
    EXPECT_EQ(r.status().field(), c.field) << c.body;
  }
}

TEST(KeySpecTest, ScopeNamesRoundTrip) {
  Result<uint32_t> bits = ScopesFromNames({"admin", "ingest"});
  ASSERT_TRUE(bits.ok());
  EXPECT_EQ(ScopeNamesOf(*bits), (std::vector<std::string>{"ingest", "admin"}));
}

}  // namespace
}  // namespace itslog
