#include "http/alerts_api.h"

#include <gtest/gtest.h>

#include <functional>

#include "event/json_value.h"
#include "http/api.h"
#include "lib/fake_env.h"
#include "lib/temp_dir.h"

namespace itslog {
namespace {

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

ApiKey Key(const std::string& name, uint32_t scopes, std::vector<std::string> apps) {
  ApiKey k;
  k.name = name;
  k.sha256 = Sha256Of(name + "-secret");
  k.scopes = scopes;
  k.all_apps = apps.size() == 1 && apps[0] == "*";
  if (!k.all_apps) {
    k.apps = std::move(apps);
  }
  return k;
}

class AlertsApiTest : public ::testing::Test {
 protected:
  AlertsApiTest() : env_("2025-03-01T12:00:00Z") {
    config_.data_dir = dir_.path();
    config_.keys = {Key("root", kScopeAdmin, {"*"}),    Key("admin-a", kScopeAdmin, {"a"}),
                    Key("reader-a", kScopeRead, {"a"}), Key("oncall-a", kScopeIncidents, {"a"}),
                    Key("ingest", kScopeIngest, {"*"}), Key("reader-all", kScopeRead, {"*"})};
    ApiContext ctx;
    ctx.config = &config_;
    ctx.env = &env_;
    ctx.log = &log_;
    ctx.append = [](std::span<const Event>) -> Result<std::vector<Result<AppendOutcome>>> {
      return std::vector<Result<AppendOutcome>>{};
    };
    ctx.health = []() { return DayStore::Health{}; };
    api_ = std::make_unique<Api>(ctx);
  }

  Response Call(const std::string& method, const std::string& path, const std::string& key,
                const std::string& body = "") {
    Request r;
    r.method = method;
    size_t q = path.find('?');
    r.path = path.substr(0, q);
    r.query = q == std::string::npos ? "" : path.substr(q + 1);
    if (!key.empty()) {
      r.authorization = "Bearer " + key + "-secret";
    }
    r.body = body;
    return api_->Handle(r);
  }

  JsonValue Body(const Response& r) {
    Result<JsonValue> v = ParseJsonValue(r.body);
    EXPECT_TRUE(v.ok()) << r.body;
    return v.ok() ? *v : JsonValue{};
  }

  std::string Create(const std::string& path, const std::string& body,
                     const std::string& key = "root") {
    Response r = Call("POST", path, key, body);
    EXPECT_EQ(r.status, 201) << path << " " << r.body;
    JsonValue answer = Body(r);
    const JsonValue* id = answer.Find("id");
    return id != nullptr ? id->string : "";
  }

  std::string NewChannel() {
    return Create(
        "/v1/notifications/channels",
        std::string(
            R"({"name":"ops","channel_type":"webhook","config":{"url":"http://127.0.0.1:9/h","secret":")") +
            kSecret + R"(","headers":{"X-Team":"ops"}}})");
  }
  std::string NewRule() {
    return Create(
        "/v1/alerts/rules",
        R"({"name":"errors","query":{"app":"a","event":"error"},"threshold":5,"window_seconds":60})");
  }
  std::string NewIncident() {
    return Create("/v1/incidents", R"({"title":"db down","severity":"critical","app":"a"})");
  }

  TempDir dir_;
  FakeEnv env_;
  Config config_;
  NullLogger log_;
  std::unique_ptr<Api> api_;
};

TEST_F(AlertsApiTest, ScopeMatrixRouteByRoute) {
  struct Row {
    const char* method;
    std::function<std::string()> path;  // creates what the route needs
    std::string body;
    std::vector<std::string> allowed;  // every other key gets 403
  };
  auto rule_path = [&] { return "/v1/alerts/rules/" + NewRule(); };
  auto incident_path = [&] { return "/v1/incidents/" + NewIncident(); };
  std::string channel_body =
      std::string(
          R"({"name":"x","channel_type":"webhook","config":{"url":"https://example.org/h","secret":")") +
      kSecret + "\"}}";
  const std::vector<Row> rows = {
      {"GET", [] { return std::string("/v1/alerts"); }, "", {"root", "admin-a", "reader-a"}},
      {"GET", [] { return std::string("/v1/alerts/rules"); }, "", {"root", "admin-a", "reader-a"}},
      {"POST",
       [] { return std::string("/v1/alerts/rules"); },
       R"({"name":"n","query":{"app":"a"},"threshold":1,"window_seconds":60})",
       {"root", "admin-a"}},
      {"GET", rule_path, "", {"root", "admin-a", "reader-a"}},
      {"PUT", rule_path, R"({"threshold":9})", {"root", "admin-a"}},
      {"DELETE", rule_path, "", {"root", "admin-a"}},
      {"GET", [] { return std::string("/v1/notifications/channels"); }, "", {"root", "admin-a"}},
      {"POST",
       [] { return std::string("/v1/notifications/channels"); },
       channel_body,
       {"root", "admin-a"}},
      {"DELETE",
       [&] { return "/v1/notifications/channels/" + NewChannel(); },
       "",
       {"root", "admin-a"}},
      {"GET", [] { return std::string("/v1/notifications/deliveries"); }, "", {"root", "admin-a"}},
      {"GET", [] { return std::string("/v1/incidents"); }, "", {"root", "admin-a", "reader-a"}},
      {"POST",
       [] { return std::string("/v1/incidents"); },
       R"({"title":"t","severity":"info","app":"a"})",
       {"root", "admin-a", "oncall-a"}},
      {"GET", incident_path, "", {"root", "admin-a", "reader-a"}},
      {"PATCH", incident_path, R"({"status":"acknowledged"})", {"root", "admin-a", "oncall-a"}},
      {"POST",
       [&] { return incident_path() + "/timeline"; },
       R"({"event_type":"comment","content":"looking"})",
       {"root", "admin-a", "oncall-a"}},
  };
  const std::vector<std::string> keys = {"root", "admin-a", "reader-a", "oncall-a", "ingest"};
  for (const Row& row : rows) {
    std::string path = row.path();
    EXPECT_EQ(Call(row.method, path, "", row.body).status, 401) << row.method << " " << path;
    EXPECT_EQ(Call(row.method, path, "nobody", row.body).status, 401) << row.method << " " << path;
    for (const std::string& key : keys) {
      path = row.path();  // fresh resources: a DELETE or PATCH before must not interfere
      Response r = Call(row.method, path, key, row.body);
      bool allowed = std::find(row.allowed.begin(), row.allowed.end(), key) != row.allowed.end();
      if (allowed) {
        EXPECT_GE(r.status, 200) << row.method << " " << path << " " << key << " " << r.body;
        EXPECT_LT(r.status, 300) << row.method << " " << path << " " << key << " " << r.body;
      } else {
        EXPECT_EQ(r.status, 403) << row.method << " " << path << " " << key << " " << r.body;
        EXPECT_EQ(Body(r).Find("error")->Find("code")->string, "missing_scope") << r.body;
      }
    }
  }
}

TEST_F(AlertsApiTest, RuleCrudWithDefaultsAndReplacement) {
  std::string channel = NewChannel();
  Response created = Call(
      "POST", "/v1/alerts/rules", "root",
      R"({"name":"burst","query":{"app":"a"},"threshold":10,"window_seconds":300,"channels":[")" +
          channel + R"("]})");
  ASSERT_EQ(created.status, 201) << created.body;
  JsonValue rule = Body(created);
  std::string id = rule.Find("id")->string;
  EXPECT_EQ(id.substr(0, 4), "rul_");
  EXPECT_EQ(rule.Find("aggregate")->string, "count");
  EXPECT_EQ(rule.Find("comparator")->string, ">=");
  EXPECT_EQ(rule.Find("severity")->string, "warning");
  EXPECT_EQ(rule.Find("for_seconds")->integer, 0);
  EXPECT_TRUE(rule.Find("create_incident")->boolean);
  EXPECT_TRUE(rule.Find("is_active")->boolean);
  EXPECT_EQ(rule.Find("query")->Find("event")->kind, JsonValue::Kind::kNull);
  EXPECT_EQ(rule.Find("channels")->items.at(0).string, channel);

  Response updated = Call("PUT", "/v1/alerts/rules/" + id, "root",
                          R"({"comparator":"<","threshold":1,"query":{"app":"a","event":"beat"}})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  JsonValue read = Body(Call("GET", "/v1/alerts/rules/" + id, "reader-a"));
  EXPECT_EQ(read.Find("comparator")->string, "<");
  EXPECT_EQ(read.Find("name")->string, "burst");  // not given: kept
  EXPECT_EQ(read.Find("query")->Find("event")->string, "beat");
  EXPECT_EQ(read.Find("window_seconds")->integer, 300);

  JsonValue list = Body(Call("GET", "/v1/alerts/rules", "reader-a"));
  ASSERT_EQ(list.Find("rules")->items.size(), 1u);
  JsonValue alerts = Body(Call("GET", "/v1/alerts", "reader-a"));
  ASSERT_EQ(alerts.Find("alerts")->items.size(), 1u);
  EXPECT_EQ(alerts.Find("alerts")->items[0].Find("state")->string, "ok");
  EXPECT_EQ(alerts.Find("alerts")->items[0].Find("rule")->Find("id")->string, id);

  EXPECT_EQ(Call("DELETE", "/v1/alerts/rules/" + id, "root").status, 204);
  EXPECT_EQ(Call("GET", "/v1/alerts/rules/" + id, "root").status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/alerts/rules/" + id, "root").status, 404);
  EXPECT_EQ(Call("PUT", "/v1/alerts/rules/nope", "root", "{}").status, 404);
}

TEST_F(AlertsApiTest, RuleForAnotherKeysAppIsForbidden) {
  Response r = Call("POST", "/v1/alerts/rules", "admin-a",
                    R"({"name":"n","query":{"app":"b"},"threshold":1,"window_seconds":60})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Body(r).Find("error")->Find("code")->string, "app_not_allowed");
  EXPECT_EQ(Body(r).Find("error")->Find("field")->string, "query.app");
  std::string other = Create(
      "/v1/alerts/rules", R"({"name":"n","query":{"app":"b"},"threshold":1,"window_seconds":60})");
  EXPECT_EQ(Call("GET", "/v1/alerts/rules/" + other, "reader-a").status, 403);
  EXPECT_EQ(Call("PUT", "/v1/alerts/rules/" + other, "admin-a", R"({"threshold":2})").status, 403);
  std::string mine = NewRule();
  EXPECT_EQ(Call("PUT", "/v1/alerts/rules/" + mine, "admin-a", R"({"query":{"app":"b"}})").status,
            403);
  // Listings show only the key's apps.
  EXPECT_EQ(Body(Call("GET", "/v1/alerts/rules", "reader-a")).Find("rules")->items.size(), 1u);
  EXPECT_EQ(Body(Call("GET", "/v1/alerts/rules", "reader-all")).Find("rules")->items.size(), 2u);
  EXPECT_EQ(Body(Call("GET", "/v1/alerts", "reader-a")).Find("alerts")->items.size(), 1u);
}

TEST_F(AlertsApiTest, RuleBodiesAreValidatedFieldByField) {
  const std::string base = R"("name":"n","query":{"app":"a"},"threshold":1,"window_seconds":60)";
  const struct {
    std::string body, reason, field;
  } cases[] = {
      {"", "empty_body", "body"},
      {"{", "invalid_json", "body"},
      {"[]", "invalid_json", "body"},
      {R"({"name":"n","name":"m"})", "invalid_json", "body"},
      {R"({"query":{"app":"a"},"threshold":1,"window_seconds":60})", "missing_field", "name"},
      {R"({"name":"n","threshold":1,"window_seconds":60})", "missing_field", "query.app"},
      {R"({"name":"n","query":{},"threshold":1,"window_seconds":60})", "missing_field",
       "query.app"},
      {R"({"name":"n","query":{"app":"a"},"window_seconds":60})", "missing_field", "threshold"},
      {R"({"name":"n","query":{"app":"a"},"threshold":1})", "missing_field", "window_seconds"},
      {"{" + base + R"(,"colour":1})", "unknown_field", "colour"},
      {R"({"name":"","query":{"app":"a"},"threshold":1,"window_seconds":60})", "invalid_field",
       "name"},
      {R"({"name":7,"query":{"app":"a"},"threshold":1,"window_seconds":60})", "invalid_field",
       "name"},
      {"{\"name\":\"" + std::string(201, 'x') +
           R"(","query":{"app":"a"},"threshold":1,"window_seconds":60})",
       "invalid_field", "name"},
      {R"({"name":"n","query":"a","threshold":1,"window_seconds":60})", "invalid_field", "query"},
      {R"({"name":"n","query":{"app":"-bad"},"threshold":1,"window_seconds":60})",
       "invalid_app_name", "query.app"},
      {R"({"name":"n","query":{"app":1},"threshold":1,"window_seconds":60})", "invalid_field",
       "query.app"},
      {R"({"name":"n","query":{"app":"a","event":"a b"},"threshold":1,"window_seconds":60})",
       "invalid_event_name", "query.event"},
      {R"({"name":"n","query":{"app":"a","event":5},"threshold":1,"window_seconds":60})",
       "invalid_field", "query.event"},
      {R"({"name":"n","query":{"app":"a","x":1},"threshold":1,"window_seconds":60})",
       "unknown_field", "query.x"},
      {"{" + base + R"(,"aggregate":"median"})", "invalid_field", "aggregate"},
      {"{" + base + R"(,"aggregate":1})", "invalid_field", "aggregate"},
      {"{" + base + R"(,"comparator":"=="})", "invalid_field", "comparator"},
      {R"({"name":"n","query":{"app":"a"},"threshold":"5","window_seconds":60})", "invalid_field",
       "threshold"},
      {R"({"name":"n","query":{"app":"a"},"threshold":null,"window_seconds":60})", "invalid_field",
       "threshold"},
      {R"({"name":"n","query":{"app":"a"},"threshold":1,"window_seconds":0})", "invalid_field",
       "window_seconds"},
      {R"({"name":"n","query":{"app":"a"},"threshold":1,"window_seconds":86401})", "invalid_field",
       "window_seconds"},
      {R"({"name":"n","query":{"app":"a"},"threshold":1,"window_seconds":1.5})", "invalid_field",
       "window_seconds"},
      {R"({"name":"n","query":{"app":"a"},"threshold":1,"window_seconds":"60"})", "invalid_field",
       "window_seconds"},
      {"{" + base + R"(,"for_seconds":-1})", "invalid_field", "for_seconds"},
      {"{" + base + R"(,"for_seconds":true})", "invalid_field", "for_seconds"},
      {"{" + base + R"(,"severity":"fatal"})", "invalid_field", "severity"},
      {"{" + base + R"(,"channels":"c"})", "invalid_field", "channels"},
      {"{" + base + R"(,"channels":[1]})", "invalid_field", "channels"},
      {"{" + base + R"(,"channels":["chn_missing"]})", "invalid_field", "channels"},
      {"{" + base + R"(,"create_incident":"yes"})", "invalid_field", "create_incident"},
      {"{" + base + R"(,"is_active":1})", "invalid_field", "is_active"},
  };
  for (const auto& c : cases) {
    Response r = Call("POST", "/v1/alerts/rules", "root", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " " << r.body;
    JsonValue e = Body(r);
    ASSERT_NE(e.Find("error"), nullptr) << r.body;
    EXPECT_EQ(e.Find("error")->Find("code")->string, c.reason) << c.body << " " << r.body;
    EXPECT_EQ(e.Find("error")->Find("field")->string, c.field) << c.body << " " << r.body;
  }
  std::string id = NewRule();
  Response r = Call("PUT", "/v1/alerts/rules/" + id, "root", R"({"window_seconds":-5})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r).Find("error")->Find("field")->string, "window_seconds");
  EXPECT_EQ(Body(Call("GET", "/v1/alerts/rules/" + id, "root")).Find("window_seconds")->integer,
            60);
}

TEST_F(AlertsApiTest, ChannelSecretsAreWriteOnlyAndBadConfigsNamed) {
  std::string id = NewChannel();
  for (const Response& r : {Call("GET", "/v1/notifications/channels", "root"),
                            Call("GET", "/v1/notifications/channels/" + id, "root")}) {
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.find("MfKQ9r8"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("X-Team"), std::string::npos) << r.body;
  }
  std::string pd = Create(
      "/v1/notifications/channels",
      R"({"name":"pd","channel_type":"pagerduty","config":{"routing_key":"R0UTINGKEY123"}})");
  Response list = Call("GET", "/v1/notifications/channels", "root");
  EXPECT_EQ(list.body.find("R0UTINGKEY123"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("events.pagerduty.com"), std::string::npos) << list.body;

  const std::string s = kSecret;
  const struct {
    std::string body, reason, field;
  } cases[] = {
      {R"({"channel_type":"webhook","config":{}})", "missing_field", "name"},
      {R"({"name":"x","config":{}})", "missing_field", "channel_type"},
      {R"({"name":"x","channel_type":"webhook"})", "missing_field", "config"},
      {R"({"name":"x","channel_type":"email","config":{}})", "invalid_field", "channel_type"},
      {R"({"name":"x","channel_type":"webhook","config":[]})", "invalid_field", "config"},
      {R"({"name":"x","channel_type":"webhook","config":{"secret":")" + s + "\"}}", "missing_field",
       "config.url"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"http://h/"}})", "missing_field",
       "config.secret"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"ftp://h/","secret":")" + s + "\"}}",
       "invalid_field", "config.url"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"http://169.254.169.254/latest","secret":")" +
           s + "\"}}",
       "invalid_field", "config.url"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"http://[fe80::1]/","secret":")" +
           s + "\"}}",
       "invalid_field", "config.url"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"http://h/ x","secret":")" + s +
           "\"}}",
       "invalid_field", "config.url"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"http://h/","secret":"hunter2"}})",
       "invalid_field", "config.secret"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"http://h/","secret":"whsec_c2hvcnQ="}})",
       "invalid_field", "config.secret"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"http://h/","secret":")" + s +
           R"(","headers":{"webhook-id":"x"}}})",
       "invalid_field", "config.headers"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"http://h/","secret":")" + s +
           R"(","headers":{"Content-Type":"text/plain"}}})",
       "invalid_field", "config.headers"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"http://h/","secret":")" + s +
           R"(","headers":{"X-A":"a\nb"}}})",
       "invalid_field", "config.headers"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"http://h/","secret":")" + s +
           R"(","headers":{"X A":"a"}}})",
       "invalid_field", "config.headers"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"http://h/","secret":")" + s +
           R"(","headers":{"X-A":1}}})",
       "invalid_field", "config.headers"},
      {R"({"name":"x","channel_type":"webhook","config":{"url":"http://h/","secret":")" + s +
           R"(","extra":1}})",
       "unknown_field", "config.extra"},
      {R"({"name":"x","channel_type":"pagerduty","config":{}})", "missing_field",
       "config.routing_key"},
      {R"({"name":"x","channel_type":"pagerduty","config":{"routing_key":""}})", "invalid_field",
       "config.routing_key"},
      {R"({"name":"x","channel_type":"pagerduty","config":{"routing_key":"k","endpoint":"gopher://x"}})",
       "invalid_field", "config.endpoint"},
  };
  for (const auto& c : cases) {
    Response r = Call("POST", "/v1/notifications/channels", "root", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " " << r.body;
    JsonValue e = Body(r);
    ASSERT_NE(e.Find("error"), nullptr) << r.body;
    EXPECT_EQ(e.Find("error")->Find("code")->string, c.reason) << c.body << " " << r.body;
    EXPECT_EQ(e.Find("error")->Find("field")->string, c.field) << c.body << " " << r.body;
    EXPECT_EQ(r.body.find("MfKQ9r8"), std::string::npos) << r.body;
  }
  EXPECT_EQ(Call("DELETE", "/v1/notifications/channels/" + pd, "root").status, 204);
  EXPECT_EQ(Call("DELETE", "/v1/notifications/channels/" + pd, "root").status, 404);
  Response bad_limit = Call("GET", "/v1/notifications/deliveries?limit=0", "root");
  EXPECT_EQ(bad_limit.status, 400);
  EXPECT_EQ(Body(bad_limit).Find("error")->Find("field")->string, "limit");
  EXPECT_EQ(Call("GET", "/v1/notifications/deliveries?bogus=1", "root").status, 400);
}

TEST_F(AlertsApiTest, IncidentLifecycleWithTimeline) {
  Response created = Call("POST", "/v1/incidents", "oncall-a",
                          R"({"title":"db down","severity":"critical","app":"a"})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = Body(created).Find("id")->string;
  EXPECT_EQ(Body(created).Find("status")->string, "triggered");
  env_.Advance(std::chrono::seconds(60));
  Response acked = Call("PATCH", "/v1/incidents/" + id, "oncall-a", R"({"status":"acknowledged"})");
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(Body(acked).Find("acknowledged_at")->string, "2025-03-01T12:01:00.000000Z");
  Response again = Call("PATCH", "/v1/incidents/" + id, "oncall-a", R"({"status":"acknowledged"})");
  EXPECT_EQ(again.status, 409) << again.body;
  ASSERT_EQ(Call("POST", "/v1/incidents/" + id + "/timeline", "oncall-a",
                 R"({"event_type":"comment","content":"restarting the primary"})")
                .status,
            201);
  ASSERT_EQ(Call("PATCH", "/v1/incidents/" + id, "admin-a", R"({"status":"resolved"})").status,
            200);
  EXPECT_EQ(Call("PATCH", "/v1/incidents/" + id, "admin-a", R"({"status":"acknowledged"})").status,
            409);
  JsonValue full = Body(Call("GET", "/v1/incidents/" + id, "reader-a"));
  EXPECT_EQ(full.Find("status")->string, "resolved");
  const auto& tl = full.Find("timeline")->items;
  ASSERT_EQ(tl.size(), 4u);
  EXPECT_EQ(tl[0].Find("event_type")->string, "triggered");
  EXPECT_EQ(tl[0].Find("actor")->string, "oncall-a");
  EXPECT_EQ(tl[1].Find("event_type")->string, "acknowledged");
  EXPECT_EQ(tl[2].Find("event_type")->string, "comment");
  EXPECT_EQ(tl[2].Find("content")->string, "restarting the primary");
  EXPECT_EQ(tl[3].Find("event_type")->string, "resolved");
  EXPECT_EQ(tl[3].Find("actor")->string, "admin-a");

  EXPECT_EQ(Body(Call("GET", "/v1/incidents?status=resolved", "reader-a"))
                .Find("incidents")
                ->items.size(),
            1u);
  EXPECT_EQ(Body(Call("GET", "/v1/incidents?status=triggered", "reader-a"))
                .Find("incidents")
                ->items.size(),
            0u);
  EXPECT_EQ(Call("GET", "/v1/incidents?status=open", "reader-a").status, 400);
  EXPECT_EQ(Call("GET", "/v1/incidents/inc_nope", "reader-a").status, 404);
  EXPECT_EQ(Call("PATCH", "/v1/incidents/inc_nope", "root", R"({"status":"resolved"})").status,
            404);
  EXPECT_EQ(Call("POST", "/v1/incidents/inc_nope/timeline", "root",
                 R"({"event_type":"comment","content":"x"})")
                .status,
            404);

  // An incident without an app is seen only by keys for every app.
  std::string global = Create("/v1/incidents", R"({"title":"dns","severity":"error"})");
  EXPECT_EQ(Call("GET", "/v1/incidents/" + global, "reader-a").status, 403);
  EXPECT_EQ(Call("GET", "/v1/incidents/" + global, "reader-all").status, 200);
  EXPECT_EQ(Body(Call("GET", "/v1/incidents", "reader-a")).Find("incidents")->items.size(), 1u);
  EXPECT_EQ(Call("POST", "/v1/incidents", "oncall-a", R"({"title":"t","severity":"info"})").status,
            403);
  EXPECT_EQ(
      Call("POST", "/v1/incidents", "oncall-a", R"({"title":"t","severity":"info","app":"b"})")
          .status,
      403);

  const struct {
    std::string method, suffix, body, reason, field;
  } bad[] = {
      {"POST", "", R"({"severity":"info"})", "missing_field", "title"},
      {"POST", "", R"({"title":"t"})", "missing_field", "severity"},
      {"POST", "", R"({"title":"t","severity":"bad"})", "invalid_field", "severity"},
      {"POST", "", R"({"title":"t","severity":"info","app":"a b"})", "invalid_app_name", "app"},
      {"POST", "", R"({"title":"t","severity":"info","x":1})", "unknown_field", "x"},
      {"PATCH", "/" + id, R"({"status":"open"})", "invalid_field", "status"},
      {"PATCH", "/" + id, R"({})", "missing_field", "status"},
      {"PATCH", "/" + id, R"({"status":"resolved","x":1})", "unknown_field", "x"},
      {"POST", "/" + id + "/timeline", R"({"event_type":"resolved","content":"x"})",
       "invalid_field", "event_type"},
      {"POST", "/" + id + "/timeline", R"({"event_type":"comment"})", "missing_field", "content"},
      {"POST", "/" + id + "/timeline", R"({"content":"x"})", "missing_field", "event_type"},
      {"POST", "/" + id + "/timeline", R"({"event_type":"comment","content":""})", "invalid_field",
       "content"},
  };
  for (const auto& c : bad) {
    Response r = Call(c.method, "/v1/incidents" + c.suffix, "root", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " " << r.body;
    EXPECT_EQ(Body(r).Find("error")->Find("code")->string, c.reason) << c.body;
    EXPECT_EQ(Body(r).Find("error")->Find("field")->string, c.field) << c.body;
  }
}

TEST_F(AlertsApiTest, UnknownPathsAndMethods) {
  EXPECT_EQ(Call("GET", "/v1/alerts/nothing", "root").status, 404);
  EXPECT_EQ(Call("GET", "/v1/notifications/other", "root").status, 404);
  EXPECT_EQ(Call("GET", "/v1/incidents/x/y", "root").status, 404);
  Response r = Call("PATCH", "/v1/alerts/rules", "root");
  EXPECT_EQ(r.status, 405);
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(Call("DELETE", "/v1/incidents/x", "root").status, 405);
  EXPECT_EQ(Call("POST", "/v1/alerts", "root").status, 405);
}

}  // namespace
}  // namespace itslog
