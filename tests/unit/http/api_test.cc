#include "http/api.h"

#include <gtest/gtest.h>

#include <map>

#include "lib/fake_env.h"
#include "lib/temp_dir.h"

namespace itslog {
namespace {

// Records what the handlers would store; behaves like the store for uniques and keys.
struct FakeStore {
  std::vector<Event> stored;
  std::map<std::string, int64_t> uniques, keys;
  Status fail;  // when not OK, every append fails with it

  Result<std::vector<Result<AppendOutcome>>> Append(std::span<const Event> events) {
    if (!fail.ok()) {
      return fail;
    }
    std::vector<Result<AppendOutcome>> out;
    for (const Event& e : events) {
      AppendOutcome o;
      o.day = "2025-03-01";
      std::string ukey = e.app + "/" + e.name;
      if (e.idempotency_key && keys.count(e.app + "/" + *e.idempotency_key)) {
        o.duplicate = true;
        o.seq = keys[e.app + "/" + *e.idempotency_key];
      } else if (e.is_unique && uniques.count(ukey)) {
        o.duplicate = true;
        o.seq = uniques[ukey];
      } else if (e.name == "capped") {
        out.push_back(Status(Code::kUnprocessable, "too_many_event_names", "cap", "event"));
        continue;
      } else {
        stored.push_back(e);
        o.seq = static_cast<int64_t>(stored.size());
        if (e.is_unique) {
          uniques[ukey] = o.seq;
        }
        if (e.idempotency_key) {
          keys[e.app + "/" + *e.idempotency_key] = o.seq;
        }
      }
      out.push_back(o);
    }
    return out;
  }
};

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() : env_("2025-03-01T12:00:00Z") {
    config_.limits.max_batch = 3;
    config_.limits.max_body_bytes = 1000;
    ApiKey ingest;
    ingest.name = "bb2";
    ingest.sha256 = Sha256Of("ingest-key");
    ingest.scopes = kScopeIngest;
    ingest.apps = {"gov.hhs.cms.bb2"};
    ApiKey reader;
    reader.name = "reader";
    reader.sha256 = Sha256Of("read-key");
    reader.scopes = kScopeRead;
    reader.all_apps = true;
    config_.keys = {ingest, reader};
    api_ = std::make_unique<Api>(Context());
  }

  // What the handlers get: this fixture's config, clock, store, and counters and keys when set.
  ApiContext Context() {
    ApiContext ctx;
    ctx.config = &config_;
    ctx.env = &env_;
    ctx.log = &log_;
    ctx.append = [this](std::span<const Event> e) { return store_.Append(e); };
    ctx.health = [this]() { return health_; };
    ctx.metrics = metrics_.get();
    ctx.keys = ring_.get();
    return ctx;
  }

  // Rebuilds the Api with shared counters in a temporary data_dir.
  void EnableMetrics() {
    auto m = Metrics::Open(metrics_dir_.path());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    metrics_ = std::move(m).value();
    api_ = std::make_unique<Api>(Context());
  }

  Response Call(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& key = "ingest-key") {
    Request r;
    r.method = method;
    r.path = path;
    r.body = body;
    r.api_key = key;
    r.idempotency_key = idem_;
    r.has_idempotency_key = !idem_.empty();
    r.content_type = content_type_;
    return api_->Handle(r);
  }

  Config config_;
  FakeEnv env_;
  NullLogger log_;
  FakeStore store_;
  DayStore::Health health_{true, "", "", "2025-03-01-v1.itslog", 123};
  std::string idem_, content_type_;
  std::unique_ptr<Api> api_;
  TempDir metrics_dir_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<KeyRing> ring_;  // set by the tests of keys made over HTTP
};

TEST_F(ApiTest, SinglePostStoresAndAnswers204) {
  Response r = Call("POST", "/v1/log", R"({"event":"app.start","value":"3","type":1})");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  ASSERT_EQ(store_.stored.size(), 1u);
  EXPECT_EQ(store_.stored[0].app, "gov.hhs.cms.bb2");  // the key's single app
  EXPECT_EQ(store_.stored[0].value, "3");
}

TEST_F(ApiTest, BatchReportsAcceptedRejectedAndErrorsByIndex) {
  Response r = Call("POST", "/v1/log",
                    R"([{"event":"a"},{"event":"bad name"},{"event":"b","app":"other"}])");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("accepted":1,"rejected":2,"duplicates":0)"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"({"index":1,"error":{"code":"invalid_event_name")"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"({"index":2,"error":{"code":"app_not_allowed")"), std::string::npos)
      << r.body;
  EXPECT_EQ(store_.stored.size(), 1u);
}

TEST_F(ApiTest, NdjsonBatchAndCapErrorInBatch) {
  content_type_ = "application/x-ndjson; charset=utf-8";
  Response r = Call("POST", "/v1/log", "{\"event\":\"a\"}\n{\"event\":\"capped\"}\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("accepted":1,"rejected":1)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"({"index":1,"error":{"code":"too_many_event_names")"), std::string::npos)
      << r.body;
}

TEST_F(ApiTest, PutEventAndUnique) {
  EXPECT_EQ(Call("PUT", "/v1/event/gov.hhs.cms.bb2/app.start").status, 204);
  Response first = Call("PUT", "/unique/gov.hhs.cms.bb2/auth.app.alice");
  EXPECT_EQ(first.status, 201);
  EXPECT_EQ(first.body, "{\"day\":\"2025-03-01\",\"seq\":2}\n");
  Response again = Call("PUT", "/v1/unique/gov.hhs.cms.bb2/auth.app.alice");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, "{\"duplicate\":true,\"day\":\"2025-03-01\",\"seq\":2}\n");
  EXPECT_EQ(store_.stored.size(), 2u);
}

TEST_F(ApiTest, IdempotencyHeaderStoresOnce) {
  idem_ = "retry-1";
  EXPECT_EQ(Call("PUT", "/v1/event/gov.hhs.cms.bb2/x").status, 204);
  EXPECT_EQ(Call("PUT", "/v1/event/gov.hhs.cms.bb2/x").status, 204);
  EXPECT_EQ(store_.stored.size(), 1u);
  // A batch under one header: each item gets its own derived key, so a retry adds nothing.
  Response b1 = Call("POST", "/v1/log", R"([{"event":"a"},{"event":"b"}])");
  Response b2 = Call("POST", "/v1/log", R"([{"event":"a"},{"event":"b"}])");
  EXPECT_NE(b2.body.find(R"("accepted":2,"rejected":0,"duplicates":2)"), std::string::npos)
      << b2.body;
  EXPECT_EQ(store_.stored.size(), 3u);
}

TEST_F(ApiTest, ErrorsHaveTheContractStatusAndCode) {
  const struct {
    const char* method;
    const char* path;
    const char* body;
    const char* key;
    int status;
    const char* code;
  } cases[] = {
      {"POST", "/v1/log", "{", "ingest-key", 400, "invalid_json"},
      {"POST", "/v1/log", R"({"event":"x","type":9})", "ingest-key", 400, "invalid_type"},
      {"POST", "/v1/log", R"({"event":"x","value":"x","type":1})", "ingest-key", 400,
       "invalid_value"},
      {"PUT", "/v1/event/bad app/x", "", "ingest-key", 400, "invalid_app_name"},
      {"PUT", "/v1/event/gov.hhs.cms.bb2/-x", "", "ingest-key", 400, "invalid_event_name"},
      {"POST", "/v1/log", R"({"event":"x"})", "", 401, "missing_key"},
      {"POST", "/v1/log", R"({"event":"x"})", "wrong", 401, "unknown_key"},
      {"POST", "/v1/log", R"({"event":"x"})", "read-key", 403, "missing_scope"},
      {"PUT", "/v1/event/gov.hhs.cms.bfd/x", "", "ingest-key", 403, "app_not_allowed"},
      {"GET", "/v1/nothing", "", "ingest-key", 404, "not_found"},
      {"GET", "/v1/log", "", "ingest-key", 405, "method_not_allowed"},
      {"POST", "/v1/log", R"([{"event":"a"},{"event":"a"},{"event":"a"},{"event":"a"}])",
       "ingest-key", 413, "batch_too_large"},
      {"PUT", "/v1/event/gov.hhs.cms.bb2/capped", "", "ingest-key", 422, "too_many_event_names"},
  };
  for (const auto& c : cases) {
    Response r = Call(c.method, c.path, c.body, c.key);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.path << " " << c.body;
    EXPECT_NE(r.body.find(std::string("{\"error\":{\"code\":\"") + c.code + "\""),
              std::string::npos)
        << r.body;
  }
  EXPECT_TRUE(store_.stored.empty());
}

TEST_F(ApiTest, MethodNotAllowedNamesAllow) {
  Response r = Call("GET", "/v1/log");
  ASSERT_EQ(r.status, 405);
  bool found = false;
  for (const auto& [n, v] : r.headers) {
    found |= n == "Allow" && v == "POST";
  }
  EXPECT_TRUE(found);
}

TEST_F(ApiTest, OversizedBodyIs413BeforeAuth) {
  Request r;
  r.method = "POST";
  r.path = "/v1/log";
  r.body_too_large = true;
  Response resp = api_->Handle(r);
  EXPECT_EQ(resp.status, 413);
  EXPECT_NE(resp.body.find("body_too_large"), std::string::npos);
}

TEST_F(ApiTest, StorageFailureIs503WithRetryAfterAndNothingClaimed) {
  store_.fail = UnavailableError("lock_timeout", "busy");
  Response r = Call("PUT", "/v1/event/gov.hhs.cms.bb2/x");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("lock_timeout"), std::string::npos);
  bool retry = false;
  for (const auto& [n, v] : r.headers) {
    retry |= n == "Retry-After";
  }
  EXPECT_TRUE(retry);
}

TEST_F(ApiTest, HealthzNeedsNoKeyAndReportsUnavailable) {
  Response ok = Call("GET", "/healthz", "", "");
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find(R"("status":"ok")"), std::string::npos);
  health_.writable = false;
  health_.reason = "disk_full";
  Response bad = Call("GET", "/healthz", "", "");
  EXPECT_EQ(bad.status, 503);
  EXPECT_NE(bad.body.find(R"("reason":"disk_full")"), std::string::npos);
}

TEST_F(ApiTest, BadIdempotencyHeaderIs400) {
  idem_ = std::string(129, 'k');
  Response r = Call("PUT", "/v1/event/gov.hhs.cms.bb2/x");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("field":"Idempotency-Key")"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace itslog

namespace itslog {
namespace {

// The value of one exposition line (name with labels), or -1 when the page lacks it.
int64_t MetricValue(const std::string& page, const std::string& series) {
  size_t at = page.find("\n" + series + " ");
  if (at == std::string::npos) {
    return -1;
  }
  return std::stoll(page.substr(at + series.size() + 2));
}

TEST_F(ApiTest, IngestOutcomesAreCountedInTheSharedMetrics) {
  EnableMetrics();
  EXPECT_EQ(Call("POST", "/v1/log", R"({"event":"one"})").status, 204);
  Response batch =
      Call("POST", "/v1/log", R"([{"event":"two"},{"event":"bad name!"},{"event":"capped"}])");
  ASSERT_EQ(batch.status, 200) << batch.body;
  EXPECT_EQ(Call("PUT", "/v1/unique/gov.hhs.cms.bb2/u").status, 201);
  EXPECT_EQ(Call("PUT", "/v1/unique/gov.hhs.cms.bb2/u").status, 200);
  EXPECT_EQ(Call("POST", "/v1/log", R"({"event":"x"})", "").status, 401);
  EXPECT_EQ(Call("POST", "/v1/log", "{").status, 400);

  std::string page = metrics_->RenderPrometheus({});
  EXPECT_EQ(MetricValue(page, "itslog_events_accepted_total"), 4) << page;
  EXPECT_EQ(MetricValue(page, "itslog_events_duplicates_total"), 1);
  EXPECT_EQ(MetricValue(page, "itslog_events_rejected_total{reason=\"invalid_event_name\"}"), 1);
  EXPECT_EQ(MetricValue(page, "itslog_events_rejected_total{reason=\"too_many_event_names\"}"), 1);
  EXPECT_EQ(MetricValue(page, "itslog_events_rejected_total{reason=\"missing_key\"}"), 1);
  EXPECT_EQ(MetricValue(page, "itslog_events_rejected_total{reason=\"invalid_json\"}"), 1);
  EXPECT_EQ(MetricValue(page, "itslog_http_requests_total{route=\"log\",code=\"204\"}"), 1);
  EXPECT_EQ(MetricValue(page, "itslog_http_requests_total{route=\"log\",code=\"200\"}"), 1);
  EXPECT_EQ(MetricValue(page, "itslog_http_requests_total{route=\"unique\",code=\"201\"}"), 1);
  EXPECT_EQ(MetricValue(page, "itslog_http_requests_total{route=\"log\",code=\"401\"}"), 1);
  EXPECT_EQ(MetricValue(page, "itslog_http_request_duration_seconds_count{route=\"log\"}"), 4);
  EXPECT_EQ(MetricValue(page, "itslog_http_request_duration_seconds_count{route=\"unique\"}"), 2);
}

}  // namespace
}  // namespace itslog

namespace itslog {
namespace {

// The admin routes and keys made over HTTP, with a KeyRing over a temporary data_dir.
class ApiKeysTest : public ApiTest {
 protected:
  ApiKeysTest() {
    config_.data_dir = data_dir_.path();
    ApiKey admin;
    admin.name = "admin";
    admin.sha256 = Sha256Of("admin-key");
    admin.scopes = kScopeAdmin;
    admin.all_apps = true;
    config_.keys.push_back(admin);
    ring_ = std::make_unique<KeyRing>(&config_, &env_, &log_);
    api_ = std::make_unique<Api>(Context());
  }

  // Makes a key over the API; returns the key itself.
  std::string Make(const std::string& body) {
    Response r = Call("POST", "/v1/admin/keys", body, "admin-key");
    EXPECT_EQ(r.status, 201) << r.body;
    size_t at = r.body.find("\"key\":\"");
    return at == std::string::npos ? "" : r.body.substr(at + 7, r.body.find('"', at + 7) - at - 7);
  }

  TempDir data_dir_;
};

TEST_F(ApiKeysTest, OnlyAdminManagesKeys) {
  for (const char* key : {"ingest-key", "read-key"}) {
    EXPECT_EQ(Call("GET", "/v1/admin/keys", "", key).status, 403) << key;
    EXPECT_EQ(Call("POST", "/v1/admin/keys", R"({"name":"x","scopes":["read"],"apps":["a"]})", key)
                  .status,
              403)
        << key;
    EXPECT_EQ(Call("DELETE", "/v1/admin/keys/key_00", "", key).status, 403) << key;
  }
  for (const char* key : {"", "unknown-key"}) {
    EXPECT_EQ(Call("GET", "/v1/admin/keys", "", key).status, 401) << key;
    EXPECT_EQ(Call("DELETE", "/v1/admin/keys/key_00", "", key).status, 401) << key;
  }
  EXPECT_EQ(Call("PUT", "/v1/admin/keys", "", "admin-key").status, 405);
  EXPECT_EQ(Call("GET", "/v1/admin/keys/key_00", "", "admin-key").status, 405);
}

TEST_F(ApiKeysTest, MadeKeyWorksIsListedWithoutSecretAndRevokedIsRefused) {
  std::string key = Make(R"({"name":"team-a","scopes":["ingest"],"apps":["gov.hhs.cms.bb2"]})");
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(Call("PUT", "/v1/event/gov.hhs.cms.bb2/e", "", key).status, 204);
  EXPECT_EQ(Call("PUT", "/v1/event/other/e", "", key).status, 403);
  Response list = Call("GET", "/v1/admin/keys", "", "admin-key");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(key), std::string::npos);
  EXPECT_EQ(list.body.find(HexEncode(Sha256Of(key))), std::string::npos);
  EXPECT_NE(list.body.find(R"("name":"team-a")"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find(R"("source":"config")"), std::string::npos) << list.body;
  size_t at = list.body.find("\"id\":\"key_");
  ASSERT_NE(at, std::string::npos);
  std::string id = list.body.substr(at + 6, list.body.find('"', at + 6) - at - 6);
  EXPECT_EQ(Call("DELETE", "/v1/admin/keys/" + id, "", "admin-key").status, 204);
  Response refused = Call("PUT", "/v1/event/gov.hhs.cms.bb2/e", "", key);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.error_code, "unknown_key");
  EXPECT_EQ(Call("DELETE", "/v1/admin/keys/" + id, "", "admin-key").status, 404);
  Response config = Call("DELETE", "/v1/admin/keys/config:admin", "", "admin-key");
  EXPECT_EQ(config.status, 409);
  EXPECT_EQ(config.error_code, "config_key");
}

TEST_F(ApiKeysTest, ExpiredKeyIs401FromItsExpiryOn) {
  std::string key = Make(
      R"({"name":"temp","scopes":["ingest"],"apps":["*"],"expires_at":"2025-03-01T12:00:10Z"})");
  env_.SetNow("2025-03-01T12:00:09.999999Z");
  EXPECT_EQ(Call("PUT", "/v1/event/a/e", "", key).status, 204);
  env_.SetNow("2025-03-01T12:00:10Z");
  Response r = Call("PUT", "/v1/event/a/e", "", key);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.error_code, "expired_key");
  EXPECT_EQ(store_.stored.size(), 1u);
}

TEST_F(ApiKeysTest, PastTheRateLimitIs429WithRetryAfterAndNothingStored) {
  EnableMetrics();
  std::string key = Make(R"({"name":"slow","scopes":["ingest"],"apps":["*"],"rate_limit":3})");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Call("PUT", "/v1/event/a/e", "", key).status, 204);
  }
  Response r = Call("PUT", "/v1/event/a/e", "", key);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.error_code, "rate_limited");
  bool retry_after = false;
  for (const auto& [name, value] : r.headers) {
    retry_after |= name == "Retry-After" && value == "1";
  }
  EXPECT_TRUE(retry_after);
  EXPECT_EQ(store_.stored.size(), 3u);
  EXPECT_NE(metrics_->RenderPrometheus({}).find(
                "itslog_events_rejected_total{reason=\"rate_limited\"} 1"),
            std::string::npos);
  env_.Advance(std::chrono::milliseconds(334));
  EXPECT_EQ(Call("PUT", "/v1/event/a/e", "", key).status, 204);
}

TEST_F(ApiKeysTest, BadBodiesAre400NamingTheField) {
  Response r =
      Call("POST", "/v1/admin/keys", R"({"name":"a","scopes":["x"],"apps":["a"]})", "admin-key");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("field":"scopes")"), std::string::npos) << r.body;
  r = Call("POST", "/v1/admin/keys", R"({"name":"admin","scopes":["read"],"apps":["a"]})",
           "admin-key");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find(R"("field":"name")"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace itslog
