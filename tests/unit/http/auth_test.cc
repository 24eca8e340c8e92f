#include "http/auth.h"

#include <gtest/gtest.h>

namespace itslog {
namespace {

Config TwoKeys() {
  Config c;
  ApiKey a;
  a.name = "bb2";
  a.sha256 = Sha256Of("key-a");
  a.scopes = kScopeIngest;
  a.apps = {"gov.hhs.cms.bb2"};
  ApiKey b;
  b.name = "reader";
  b.sha256 = Sha256Of("key-b");
  b.scopes = kScopeRead;
  b.all_apps = true;
  c.keys = {a, b};
  return c;
}

TEST(AuthTest, FindsKeyFromBearerOrXApiKey) {
  Config c = TwoKeys();
  Request r;
  r.authorization = "Bearer key-a";
  ASSERT_TRUE(Authenticate(r, c).ok());
  EXPECT_EQ((*Authenticate(r, c))->name, "bb2");
  r.authorization = "bearer   key-b";
  EXPECT_EQ((*Authenticate(r, c))->name, "reader");
  r.authorization.clear();
  r.api_key = "key-a";
  EXPECT_EQ((*Authenticate(r, c))->name, "bb2");
}

TEST(AuthTest, RejectsMissingMalformedAndUnknownKeys) {
  Config c = TwoKeys();
  const struct {
    const char* authorization;
    const char* api_key;
    const char* reason;
  } cases[] = {
      {"", "", "missing_key"},       {"Basic a2V5LWE=", "", "missing_key"},
      {"Bearer", "", "missing_key"}, {"Bearer key-c", "", "unknown_key"},
      {"", "key-a ", "unknown_key"}, {"", "KEY-A", "unknown_key"},
  };
  for (const auto& k : cases) {
    Request r;
    r.authorization = k.authorization;
    r.api_key = k.api_key;
    Result<const ApiKey*> got = Authenticate(r, c);
    ASSERT_FALSE(got.ok()) << k.authorization << "|" << k.api_key;
    EXPECT_EQ(got.status().code(), Code::kUnauthenticated);
    EXPECT_EQ(got.status().reason(), k.reason) << k.authorization << "|" << k.api_key;
  }
}

TEST(AuthTest, OpenAccessOnlyWhenAuthNotRequired) {
  Config c = TwoKeys();
  Request r;
  EXPECT_FALSE(Authenticate(r, c).ok());
  c.auth_required = false;
  ASSERT_TRUE(Authenticate(r, c).ok());
  EXPECT_TRUE(RequireScope(**Authenticate(r, c), kScopeIngest).ok());
  // A presented key is still checked.
  r.api_key = "nope";
  EXPECT_FALSE(Authenticate(r, c).ok());
}

TEST(AuthTest, ScopesAndApps) {
  Config c = TwoKeys();
  const ApiKey& a = c.keys[0];
  const ApiKey& b = c.keys[1];
  EXPECT_TRUE(RequireScope(a, kScopeIngest).ok());
  Status s = RequireScope(a, kScopeRead);
  EXPECT_EQ(s.code(), Code::kForbidden);
  EXPECT_EQ(s.reason(), "missing_scope");
  EXPECT_TRUE(RequireApp(a, "gov.hhs.cms.bb2").ok());
  s = RequireApp(a, "gov.hhs.cms.bfd");
  EXPECT_EQ(s.reason(), "app_not_allowed");
  EXPECT_EQ(s.field(), "app");
  EXPECT_TRUE(RequireApp(b, "anything").ok());
  EXPECT_EQ(DefaultAppFor(a), "gov.hhs.cms.bb2");
  EXPECT_EQ(DefaultAppFor(b), "default");
}

}  // namespace
}  // namespace itslog
