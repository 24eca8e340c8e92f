#include "http/read_api.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "http/metrics.h"
#include "http/query_params.h"
#include "http/router.h"
#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "store/day_store.h"
#include "store/reader.h"
#include "unit/dayset/fixed_day_files_for_tests.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using testing_days::Append;
using testing_days::Ev;

ApiKey MakeKey(const std::string& name, uint32_t scopes, std::vector<std::string> apps) {
  ApiKey k;
  k.name = name;
  k.sha256 = Sha256Of(name);
  k.scopes = scopes;
  k.all_apps = apps.size() == 1 && apps[0] == "*";
  if (!k.all_apps) {
    k.apps = std::move(apps);
  }
  return k;
}

// One event of an answer, as JSON text.
std::string EventJson(const std::string& day, int seq, const std::string& time,
                      const std::string& app, const std::string& event, const std::string& value,
                      int type, int is_unique = 0) {
  return "{\"day\":\"" + day + "\",\"seq\":" + std::to_string(seq) + ",\"time\":\"" + time +
         "\",\"app\":\"" + app + "\",\"event\":\"" + event + "\",\"value\":" + value +
         ",\"type\":" + std::to_string(type) + ",\"is_unique\":" + std::to_string(is_unique) +
         ",\"host\":\"test\"}";
}

// The (day, seq) pairs of the events of an answer, in order.
std::vector<std::string> Positions(const std::string& body) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = body.find("{\"day\":\"", at)) != std::string::npos) {
    std::string day = body.substr(at + 8, 10);
    size_t seq_at = body.find("\"seq\":", at) + 6;
    out.push_back(day + "/" + std::to_string(std::strtoll(body.c_str() + seq_at, nullptr, 10)));
    at = seq_at;
  }
  return out;
}

// The "next" cursor of an events answer; "" for null.
std::string NextOf(const std::string& body) {
  size_t at = body.rfind("\"next\":");
  if (at == std::string::npos || body.compare(at + 7, 4, "null") == 0) {
    return "";
  }
  size_t start = at + 8;
  return body.substr(start, body.find('"', start) - start);
}

class ReadApiTest : public ::testing::Test {
 protected:
  ReadApiTest() : env_("2025-03-01T10:00:00Z") {
    config_.data_dir = dir_.path();
    config_.tail_max_seconds = 5;
    config_.keys = {
        MakeKey("all", kScopeRead, {"*"}),
        MakeKey("shop-reader", kScopeRead, {"shop"}),
        MakeKey("shop-blog", kScopeRead, {"shop", "blog"}),
        MakeKey("ingest", kScopeIngest, {"*"}),
        MakeKey("admin", kScopeAdmin, {"*"}),
    };
    ReadContext ctx;
    ctx.config = &config_;
    ctx.env = &env_;
    ctx.log = &log_;
    ctx.host = "test";
    ctx.day_files = &local_files_;
    ctx.sleep = [this](int64_t micros) {
      slept_micros_ += micros;
      env_.Advance(microseconds(micros));
      ++sleeps_;
      std::function<void(int)> writers = on_sleep_;  // it may replace itself
      if (writers) {
        writers(sleeps_);
      }
    };
    api_ = std::make_unique<ReadApi>(ctx);
  }

  const ApiKey& Key(const std::string& name) {
    for (const ApiKey& k : config_.keys) {
      if (k.name == name) {
        return k;
      }
    }
    ADD_FAILURE() << "no key " << name;
    return config_.keys[0];
  }

  // Two days: 2025-03-01 (9 rows) and 2025-03-02 (6 rows); today is 2025-03-02, 12:00.
  void WriteTwoDays() {
    Append(&env_, dir_.path(),
           {Ev("shop", "view", ValueType::kText, "/a"), Ev("blog", "read"),
            Ev("shop", "buy", ValueType::kInteger, "3")});
    env_.Advance(hours(1));
    Append(
        &env_, dir_.path(),
        {Ev("shop", "view", ValueType::kText, "/b"), Ev("shop", "buy", ValueType::kInteger, "-1"),
         Ev("shop", "price", ValueType::kReal, "2.5"),
         Ev("shop", "price", ValueType::kReal, "0.25"),
         Ev("shop", "login", ValueType::kText, std::nullopt, true),
         Ev("blog", "login", ValueType::kText, std::nullopt, true)});
    env_.SetNow("2025-03-02T09:00:00Z");
    Append(&env_, dir_.path(),
           {Ev("shop", "view", ValueType::kText, "/c"), Ev("blog", "read"),
            Ev("shop", "buy", ValueType::kInteger, "10"),
            Ev("shop", "mixed", ValueType::kInteger, "1"),
            Ev("shop", "mixed", ValueType::kReal, "0.5"),
            Ev("shop", "login", ValueType::kText, std::nullopt, true)});
    env_.SetNow("2025-03-02T12:00:00Z");
  }

  Response Get(const std::string& target, const std::string& key = "all",
               const std::string& last_event_id = "", const std::string& method = "GET") {
    Request r;
    r.method = method;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.last_event_id = last_event_id;
    Route route = MatchRoute(r.method, r.path);
    Response response = api_->Handle(route, r, Key(key));
    if (response.stream) {
      // A client that reads every chunk (until accept_writes_ runs out).
      response.stream([&](std::string_view chunk) {
        if (chunk.empty()) {
          return !server_stopping_;  // only asks whether to go on
        }
        if (accept_writes_ == 0) {
          return false;
        }
        --accept_writes_;
        response.body.append(chunk);
        return true;
      });
    }
    return response;
  }

  // Follows "next" from the first page to the last; returns every event's position.
  std::vector<std::string> AllPages(const std::string& query, int* pages = nullptr) {
    std::vector<std::string> out;
    std::string after;
    for (int page = 1; page < 100; ++page) {
      Response r = Get("/v1/events?" + query + (after.empty() ? "" : "&after=" + after));
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) {
        break;
      }
      std::vector<std::string> got = Positions(r.body);
      out.insert(out.end(), got.begin(), got.end());
      after = NextOf(r.body);
      if (after.empty()) {
        if (pages != nullptr) {
          *pages = page;
        }
        break;
      }
      EXPECT_FALSE(got.empty()) << "a page without events but with a next cursor";
    }
    return out;
  }

  static void ExpectError(const Response& r, int status, const std::string& code,
                          const std::string& field, const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    EXPECT_EQ(r.error_code, code) << what << ": " << r.body;
    std::string want_field = field.empty() ? "" : ",\"field\":\"" + field + "\"";
    if (field.empty()) {
      EXPECT_EQ(r.body.find("\"field\""), std::string::npos) << what << ": " << r.body;
    } else {
      EXPECT_NE(r.body.find(want_field + "}}"), std::string::npos) << what << ": " << r.body;
    }
    EXPECT_EQ(r.body.rfind("{\"error\":{\"code\":\"" + code + "\"", 0), 0u) << r.body;
  }

  TempDir dir_;
  FakeEnv env_;
  Config config_;
  LocalDayFiles local_files_{dir_.path(), "test"};
  NullLogger log_;
  std::unique_ptr<ReadApi> api_;
  std::function<void(int)> on_sleep_;
  int sleeps_ = 0;
  int64_t slept_micros_ = 0;
  int accept_writes_ = -1;        // how many chunks the client takes before it leaves; -1: all
  bool server_stopping_ = false;  // what the worker answers to an empty chunk, inverted
};

// GET /v1/events ----------------------------------------------------------------------------

TEST_F(ReadApiTest, EventsOfTodayByDefaultOldestFirst) {
  WriteTwoDays();
  Response r = Get("/v1/events");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Positions(r.body),
            (std::vector<std::string>{"2025-03-02/1", "2025-03-02/2", "2025-03-02/3",
                                      "2025-03-02/4", "2025-03-02/5", "2025-03-02/6"}));
  EXPECT_EQ(NextOf(r.body), "");
}

TEST_F(ReadApiTest, EventsOfOneDayAsExactJson) {
  WriteTwoDays();
  Response r = Get("/v1/events?day=2025-03-01&app=blog");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      "{\"events\":[" +
          EventJson("2025-03-01", 2, "2025-03-01T10:00:00.000000Z", "blog", "read", "null", 3) +
          "," +
          EventJson("2025-03-01", 9, "2025-03-01T11:00:00.000000Z", "blog", "login", "null", 3, 1) +
          "],\"next\":null,\"hosts\":[\"test\"]}\n");
}

TEST_F(ReadApiTest, KeysetPaginationCrossesDaysWithoutLossOrRepeat) {
  WriteTwoDays();
  std::vector<std::string> all;
  for (int s = 1; s <= 9; ++s) {
    all.push_back("2025-03-01/" + std::to_string(s));
  }
  for (int s = 1; s <= 6; ++s) {
    all.push_back("2025-03-02/" + std::to_string(s));
  }
  int pages = 0;
  EXPECT_EQ(AllPages("since=2025-03-01&limit=4", &pages), all);
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(AllPages("since=2025-03-01&limit=1000", &pages), all);
  EXPECT_EQ(pages, 1);
  // The last page ends exactly at the last row: "next" is null, no empty page follows.
  EXPECT_EQ(AllPages("since=2025-03-01&limit=5", &pages), all);
  EXPECT_EQ(pages, 3);
  // Filtered by app (several event ids: a scan of the log) ...
  EXPECT_EQ(
      AllPages("app=shop&since=2025-03-01&limit=2", &pages),
      (std::vector<std::string>{"2025-03-01/1", "2025-03-01/3", "2025-03-01/4", "2025-03-01/5",
                                "2025-03-01/6", "2025-03-01/7", "2025-03-01/8", "2025-03-02/1",
                                "2025-03-02/3", "2025-03-02/4", "2025-03-02/5", "2025-03-02/6"}));
  EXPECT_EQ(pages, 6);
  // ... and by one event (through the event's index).
  EXPECT_EQ(AllPages("app=shop&event=view&since=2025-03-01&limit=1", &pages),
            (std::vector<std::string>{"2025-03-01/1", "2025-03-01/4", "2025-03-02/1"}));
  EXPECT_EQ(pages, 3);
  // One event name in two apps.
  EXPECT_EQ(AllPages("event=login&since=2025-03-01&limit=2"),
            (std::vector<std::string>{"2025-03-01/8", "2025-03-01/9", "2025-03-02/6"}));
}

TEST_F(ReadApiTest, EventsWithinSinceAndUntil) {
  WriteTwoDays();
  EXPECT_EQ(AllPages("since=2025-03-01T10:30:00Z&until=2025-03-02T09:00:00Z"),
            (std::vector<std::string>{"2025-03-01/4", "2025-03-01/5", "2025-03-01/6",
                                      "2025-03-01/7", "2025-03-01/8", "2025-03-01/9"}));
  EXPECT_EQ(AllPages("since=2025-03-01T10:00:00.000001Z&until=2025-03-01T11:00:00.000001Z"),
            (std::vector<std::string>{"2025-03-01/4", "2025-03-01/5", "2025-03-01/6",
                                      "2025-03-01/7", "2025-03-01/8", "2025-03-01/9"}));
  EXPECT_EQ(AllPages("event=buy&since=2025-03-01T10:30:00Z&until=2025-03-02T09:00:00.000001Z"),
            (std::vector<std::string>{"2025-03-01/5", "2025-03-02/3"}));
  // until alone: the day it ends in.
  EXPECT_EQ(AllPages("until=2025-03-01T10:00:00.000001Z"),
            (std::vector<std::string>{"2025-03-01/1", "2025-03-01/2", "2025-03-01/3"}));
  // A day without a file, and a day in the future: no events.
  EXPECT_TRUE(AllPages("day=2025-02-27").empty());
  EXPECT_TRUE(AllPages("since=2025-03-10").empty());
}

TEST_F(ReadApiTest, CursorIsBoundToItsQueryAndInstallation) {
  WriteTwoDays();
  Response first = Get("/v1/events?since=2025-03-01&limit=2&app=shop");
  std::string next = NextOf(first.body);
  ASSERT_FALSE(next.empty());
  ExpectError(Get("/v1/events?since=2025-03-01&limit=2&after=" + next), 400, "invalid_parameter",
              "after", "other filters");
  ExpectError(Get("/v1/events?since=2025-03-01&limit=2&app=blog&after=" + next, "shop-blog"), 400,
              "invalid_parameter", "after", "other app");
  // The limit is not part of the query's identity.
  EXPECT_EQ(Get("/v1/events?since=2025-03-01&limit=3&app=shop&after=" + next).status, 200);
  // Another worker of the same installation accepts it; another installation does not.
  ReadContext same;
  same.config = &config_;
  same.env = &env_;
  same.log = &log_;
  ReadApi twin(same);
  Request req;
  req.method = "GET";
  req.path = "/v1/events";
  req.query = "since=2025-03-01&limit=2&app=shop&after=" + next;
  EXPECT_EQ(twin.Handle(MatchRoute("GET", "/v1/events"), req, Key("all")).status, 200);
  Config other = config_;
  other.data_dir = dir_.path() + "/elsewhere";
  ReadContext foreign = same;
  foreign.config = &other;
  ReadApi stranger(foreign);
  ExpectError(stranger.Handle(MatchRoute("GET", "/v1/events"), req, Key("all")), 400,
              "invalid_parameter", "after", "another installation");
  // A cursor of day 2025-03-02 does not belong to a query about 2025-03-01.
  Response day2 = Get("/v1/events?day=2025-03-02&limit=1");
  std::string day2_next = NextOf(day2.body);
  ASSERT_FALSE(day2_next.empty());
  EXPECT_EQ(Get("/v1/events?day=2025-03-02&limit=1&after=" + day2_next).status, 200);
  // Without day or times a query is about today: yesterday's cursor is outside it.
  std::string today_next = NextOf(Get("/v1/events?limit=1").body);
  ASSERT_FALSE(today_next.empty());
  env_.SetNow("2025-03-03T00:00:01Z");
  Response stale = Get("/v1/events?limit=1&after=" + today_next);
  ExpectError(stale, 400, "invalid_parameter", "after", "yesterday's cursor");
  EXPECT_NE(stale.body.find("the cursor lies outside this query's days"), std::string::npos);
}

TEST_F(ReadApiTest, EventsRejectBadParametersNamingThem) {
  WriteTwoDays();
  const std::string shop_cursor = NextOf(Get("/v1/events?app=shop&limit=1").body);
  const std::string day2_cursor = NextOf(Get("/v1/events?day=2025-03-02&limit=1").body);
  ASSERT_FALSE(shop_cursor.empty());
  const struct {
    std::string query;
    int status;
    const char* code;
    const char* field;
  } cases[] = {
      {"day=2025-02-30", 400, "invalid_parameter", "day"},
      {"day=2025-3-1", 400, "invalid_parameter", "day"},
      {"day=", 400, "invalid_parameter", "day"},
      {"limit=0", 400, "invalid_parameter", "limit"},
      {"limit=1001", 400, "invalid_parameter", "limit"},
      {"limit=abc", 400, "invalid_parameter", "limit"},
      {"limit=-1", 400, "invalid_parameter", "limit"},
      {"limit=", 400, "invalid_parameter", "limit"},
      {"since=yesterday", 400, "invalid_parameter", "since"},
      {"until=2025-03-01T24:00:01Z", 400, "invalid_parameter", "until"},
      {"since=2025-03-02&until=2025-03-01", 400, "invalid_parameter", "until"},
      {"since=2025-03-01T10:00:00Z&until=2025-03-01T10:00:00Z", 400, "invalid_parameter", "until"},
      {"day=2025-03-01&since=2025-03-01", 400, "invalid_parameter", "day"},
      {"day=2025-03-01&until=2025-03-02", 400, "invalid_parameter", "day"},
      {"since=2024-01-01", 400, "invalid_parameter", "since"},
      {"since=2020-01-01&until=2020-01-02", 200, "", ""},
      {"since=2024-01-01&until=2025-01-02", 400, "invalid_parameter", "since"},
      {"foo=1", 400, "invalid_parameter", "foo"},
      {"from=2025-03-01", 400, "invalid_parameter", "from"},
      {"app=shop&app=blog", 400, "invalid_parameter", "app"},
      {"app=-shop", 400, "invalid_parameter", "app"},
      {"app=", 400, "invalid_parameter", "app"},
      {"event=bad%20name", 400, "invalid_parameter", "event"},
      {"event=" + std::string(257, 'e'), 400, "invalid_parameter", "event"},
      {"app=sh%ZZop", 400, "invalid_parameter", "app"},
      {"after=", 400, "invalid_parameter", "after"},
      {"after=garbage", 400, "invalid_parameter", "after"},
      {"after=" + shop_cursor, 400, "invalid_parameter", "after"},
      {"app=shop&after=" + shop_cursor.substr(0, shop_cursor.size() - 2), 400, "invalid_parameter",
       "after"},
      {"app=shop&after=" + shop_cursor, 200, "", ""},
      {"day=2025-03-01&after=" + day2_cursor, 400, "invalid_parameter", "after"},
  };
  for (const auto& c : cases) {
    Response r = Get("/v1/events?" + c.query);
    if (c.status == 200) {
      EXPECT_EQ(r.status, 200) << c.query << ": " << r.body;
    } else {
      ExpectError(r, c.status, c.code, c.field, c.query);
    }
  }
}

// GET /v1/events/<day>/<seq> ----------------------------------------------------------------

TEST_F(ReadApiTest, OneEventByDayAndSeq) {
  WriteTwoDays();
  Response r = Get("/v1/events/2025-03-01/6");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, EventJson("2025-03-01", 6, "2025-03-01T11:00:00.000000Z", "shop", "price",
                              "\"2.5\"", 2) +
                        "\n");
  ExpectError(Get("/v1/events/2025-03-01/10"), 404, "not_found", "", "past the end");
  ExpectError(Get("/v1/events/2025-02-01/1"), 404, "not_found", "", "no file");
  ExpectError(Get("/v1/events/2025-02-30/1"), 400, "invalid_parameter", "day", "bad day");
  ExpectError(Get("/v1/events/2025-03-01/0"), 400, "invalid_parameter", "seq", "seq 0");
  ExpectError(Get("/v1/events/2025-03-01/-1"), 400, "invalid_parameter", "seq", "seq -1");
  ExpectError(Get("/v1/events/2025-03-01/x1"), 400, "invalid_parameter", "seq", "seq x1");
  ExpectError(Get("/v1/events/2025-03-01/99999999999999999999"), 400, "invalid_parameter", "seq",
              "seq overflow");
  ExpectError(Get("/v1/events/2025-03-01/1?app=shop"), 400, "invalid_parameter", "app",
              "parameters");
  // Another app's event does not exist for this key: 404, the same as a missing one.
  Response hidden = Get("/v1/events/2025-03-01/2", "shop-reader");
  ExpectError(hidden, 404, "not_found", "", "another app");
  std::string missing = Get("/v1/events/2025-03-01/10", "shop-reader").body;
  missing.replace(missing.find("/10"), 3, "/2");
  EXPECT_EQ(hidden.body, missing);
  EXPECT_EQ(Get("/v1/events/2025-03-01/1", "shop-reader").status, 200);
}

// GET /v1/counts ----------------------------------------------------------------------------

TEST_F(ReadApiTest, DailyCountsWithSumMinMax) {
  WriteTwoDays();
  Response r = Get("/v1/counts?day=2025-03-01&app=shop");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      "{\"interval\":\"day\",\"from\":\"2025-03-01\",\"to\":\"2025-03-01\",\"counts\":["
      "{\"day\":\"2025-03-01\",\"bucket\":\"2025-03-01\",\"app\":\"shop\",\"event\":\"buy\","
      "\"count\":2,\"numeric\":2,\"sum\":2,\"min\":-1,\"max\":3},"
      "{\"day\":\"2025-03-01\",\"bucket\":\"2025-03-01\",\"app\":\"shop\",\"event\":\"login\","
      "\"count\":1},"
      "{\"day\":\"2025-03-01\",\"bucket\":\"2025-03-01\",\"app\":\"shop\",\"event\":\"price\","
      "\"count\":2,\"numeric\":2,\"sum\":2.75,\"min\":0.25,\"max\":2.5},"
      "{\"day\":\"2025-03-01\",\"bucket\":\"2025-03-01\",\"app\":\"shop\",\"event\":\"view\","
      "\"count\":2}],\"hosts\":[\"test\"]}\n");
}

TEST_F(ReadApiTest, HourlyCountsAndMixedIntegerAndReal) {
  WriteTwoDays();
  Response r = Get("/v1/counts?day=2025-03-01&interval=hour&event=buy");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "{\"interval\":\"hour\",\"from\":\"2025-03-01\",\"to\":\"2025-03-01\",\"counts\":["
            "{\"day\":\"2025-03-01\",\"bucket\":\"2025-03-01T10:00:00.000000Z\",\"app\":\"shop\","
            "\"event\":\"buy\",\"count\":1,\"numeric\":1,\"sum\":3,\"min\":3,\"max\":3},"
            "{\"day\":\"2025-03-01\",\"bucket\":\"2025-03-01T11:00:00.000000Z\",\"app\":\"shop\","
            "\"event\":\"buy\",\"count\":1,\"numeric\":1,\"sum\":-1,\"min\":-1,\"max\":-1}],"
            "\"hosts\":[\"test\"]}\n");
  Response mixed = Get("/v1/counts?event=mixed");  // today
  EXPECT_EQ(mixed.body,
            "{\"interval\":\"day\",\"from\":\"2025-03-02\",\"to\":\"2025-03-02\",\"counts\":["
            "{\"day\":\"2025-03-02\",\"bucket\":\"2025-03-02\",\"app\":\"shop\",\"event\":"
            "\"mixed\",\"count\":2,\"numeric\":2,\"sum\":1.5,\"min\":0.5,\"max\":1}],\"hosts\":["
            "\"test\"]}\n");
}

TEST_F(ReadApiTest, CountsOverARangeFollowNewRows) {
  WriteTwoDays();
  const std::string want =
      "{\"interval\":\"day\",\"from\":\"2025-03-01\",\"to\":\"2025-03-03\",\"counts\":["
      "{\"day\":\"2025-03-01\",\"bucket\":\"2025-03-01\",\"app\":\"shop\",\"event\":\"view\","
      "\"count\":2},"
      "{\"day\":\"2025-03-02\",\"bucket\":\"2025-03-02\",\"app\":\"shop\",\"event\":\"view\","
      "\"count\":N}],\"hosts\":[\"test\"]}\n";
  std::string two = want;
  two.replace(two.find("N"), 1, "1");
  EXPECT_EQ(Get("/v1/counts?from=2025-03-01&to=2025-03-03&event=view").body, two);
  // Rows stored after the first answer (which the process caches) are counted.
  Append(&env_, dir_.path(), {Ev("shop", "view"), Ev("shop", "view")});
  std::string three = want;
  three.replace(three.find("N"), 1, "3");
  EXPECT_EQ(Get("/v1/counts?from=2025-03-01&to=2025-03-03&event=view").body, three);
  // from alone runs to today.
  Response from = Get("/v1/counts?from=2025-03-01&event=view");
  EXPECT_NE(from.body.find("\"from\":\"2025-03-01\",\"to\":\"2025-03-02\""), std::string::npos)
      << from.body;
}

TEST_F(ReadApiTest, CountsRejectBadParametersNamingThem) {
  WriteTwoDays();
  const struct {
    const char* query;
    const char* field;
  } cases[] = {
      {"interval=week", "interval"},
      {"interval=", "interval"},
      {"interval=Hour", "interval"},
      {"day=2025-02-30", "day"},
      {"from=2025-03-02&to=2025-03-01", "to"},
      {"to=2025-03-01&from=2025-03-02", "to"},
      {"day=2025-03-01&from=2025-03-01", "day"},
      {"day=2025-03-01&to=2025-03-01", "day"},
      {"from=2024-01-01&to=2025-03-01", "from"},
      {"from=2025-3-1", "from"},
      {"to=tomorrow", "to"},
      {"since=2025-03-01", "since"},
      {"limit=5", "limit"},
      {"app=-x", "app"},
      {"event=a%20b", "event"},
  };
  for (const auto& c : cases) {
    ExpectError(Get(std::string("/v1/counts?") + c.query), 400, "invalid_parameter", c.field,
                c.query);
  }
  EXPECT_EQ(Get("/v1/counts?from=2024-03-02&to=2025-03-02").status, 200);  // 366 days
}

// GET /v1/uniques ---------------------------------------------------------------------------

TEST_F(ReadApiTest, UniquesPerDay) {
  WriteTwoDays();
  Response r = Get("/v1/uniques?from=2025-02-28&to=2025-03-02");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "{\"from\":\"2025-02-28\",\"to\":\"2025-03-02\",\"days\":["
            "{\"day\":\"2025-02-28\",\"count\":0,\"apps\":[]},"
            "{\"day\":\"2025-03-01\",\"count\":2,\"apps\":["
            "{\"app\":\"blog\",\"count\":1,\"events\":[\"login\"]},"
            "{\"app\":\"shop\",\"count\":1,\"events\":[\"login\"]}]},"
            "{\"day\":\"2025-03-02\",\"count\":1,\"apps\":["
            "{\"app\":\"shop\",\"count\":1,\"events\":[\"login\"]}]}],\"hosts\":[\"test\"]}\n");
  EXPECT_EQ(Get("/v1/uniques").body,
            "{\"from\":\"2025-03-02\",\"to\":\"2025-03-02\",\"days\":["
            "{\"day\":\"2025-03-02\",\"count\":1,\"apps\":["
            "{\"app\":\"shop\",\"count\":1,\"events\":[\"login\"]}]}],\"hosts\":[\"test\"]}\n");
  EXPECT_EQ(Get("/v1/uniques?from=2025-03-01&to=2025-03-01&app=blog").body,
            "{\"from\":\"2025-03-01\",\"to\":\"2025-03-01\",\"days\":["
            "{\"day\":\"2025-03-01\",\"count\":1,\"apps\":["
            "{\"app\":\"blog\",\"count\":1,\"events\":[\"login\"]}]}],\"hosts\":[\"test\"]}\n");
  const struct {
    const char* query;
    const char* field;
  } bad[] = {
      {"day=2025-03-01", "day"},
      {"event=login", "event"},
      {"from=x", "from"},
      {"to=2025-02-30", "to"},
      {"from=2025-03-02&to=2025-03-01", "to"},
      {"from=2024-01-01&to=2025-03-01", "from"},
      {"interval=day", "interval"},
  };
  for (const auto& c : bad) {
    ExpectError(Get(std::string("/v1/uniques?") + c.query), 400, "invalid_parameter", c.field,
                c.query);
  }
}

// GET /v1/overview --------------------------------------------------------------------------

TEST_F(ReadApiTest, OverviewOfTheLastDays) {
  WriteTwoDays();
  Response r = Get("/v1/overview?days=2");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "{\"from\":\"2025-03-01\",\"to\":\"2025-03-02\",\"days\":["
            "{\"day\":\"2025-03-01\",\"total\":9,\"apps\":[{\"app\":\"blog\",\"count\":2},"
            "{\"app\":\"shop\",\"count\":7}]},"
            "{\"day\":\"2025-03-02\",\"total\":6,\"apps\":[{\"app\":\"blog\",\"count\":1},"
            "{\"app\":\"shop\",\"count\":5}]}],"
            "\"apps\":[{\"app\":\"blog\",\"total\":3},{\"app\":\"shop\",\"total\":12}],"
            "\"top_events\":[{\"app\":\"shop\",\"event\":\"buy\",\"count\":3},"
            "{\"app\":\"shop\",\"event\":\"view\",\"count\":3},"
            "{\"app\":\"blog\",\"event\":\"read\",\"count\":2},"
            "{\"app\":\"shop\",\"event\":\"login\",\"count\":2},"
            "{\"app\":\"shop\",\"event\":\"mixed\",\"count\":2},"
            "{\"app\":\"shop\",\"event\":\"price\",\"count\":2},"
            "{\"app\":\"blog\",\"event\":\"login\",\"count\":1}],\"hosts\":[\"test\"]}\n");
  Response week = Get("/v1/overview");
  EXPECT_NE(week.body.find("{\"from\":\"2025-02-24\",\"to\":\"2025-03-02\",\"days\":["
                           "{\"day\":\"2025-02-24\",\"total\":0,\"apps\":[]},"),
            std::string::npos)
      << week.body;
  EXPECT_EQ(Get("/v1/overview?days=366").status, 200);
  for (const char* q : {"days=0", "days=367", "days=x", "days=", "days=-1"}) {
    ExpectError(Get(std::string("/v1/overview?") + q), 400, "invalid_parameter", "days", q);
  }
  ExpectError(Get("/v1/overview?app=shop"), 400, "invalid_parameter", "app", "app");
}

// A day file copied over another in place (a restore with cp keeps the inode) with the same
// meta: the cached aggregates of the old file must not be reused or continued.
TEST_F(ReadApiTest, CountsOfAFileReplacedInPlaceAreReadAgain) {
  WriteTwoDays();
  const std::string want_old =
      "{\"day\":\"2025-03-01\",\"bucket\":\"2025-03-01\",\"app\":\"shop\",\"event\":\"view\","
      "\"count\":2}";
  Response before = Get("/v1/counts?day=2025-03-01&app=shop&event=view");
  EXPECT_NE(before.body.find(want_old), std::string::npos) << before.body;
  // Another 2025-03-01 with more rows (so that the cache would be "continued"), written with
  // the same host and seed, hence the same meta.
  TempDir other;
  FakeEnv other_env("2025-03-01T08:00:00Z");
  std::vector<Event> rows(12, Ev("shop", "other"));
  rows[11] = Ev("shop", "view");
  Append(&other_env, other.path(), rows);
  const std::string from = DayFilePath(other.path(), "2025-03-01");
  const std::string to = DayFilePath(dir_.path(), "2025-03-01");
  testing_days::Sql(from, "PRAGMA wal_checkpoint(TRUNCATE)");
  {
    std::ifstream in(from, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream out(to, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  std::remove((to + "-wal").c_str());
  std::remove((to + "-shm").c_str());
  Response after = Get("/v1/counts?day=2025-03-01&app=shop");
  EXPECT_EQ(after.body,
            "{\"interval\":\"day\",\"from\":\"2025-03-01\",\"to\":\"2025-03-01\",\"counts\":["
            "{\"day\":\"2025-03-01\",\"bucket\":\"2025-03-01\",\"app\":\"shop\",\"event\":"
            "\"other\",\"count\":11},"
            "{\"day\":\"2025-03-01\",\"bucket\":\"2025-03-01\",\"app\":\"shop\",\"event\":\"view\","
            "\"count\":1}],\"hosts\":[\"test\"]}\n");
  // And a replacement with as many rows as the cache holds.
  TempDir third;
  FakeEnv third_env("2025-03-01T08:00:00Z");
  Append(&third_env, third.path(), std::vector<Event>(12, Ev("shop", "third")));
  const std::string third_path = DayFilePath(third.path(), "2025-03-01");
  testing_days::Sql(third_path, "PRAGMA wal_checkpoint(TRUNCATE)");
  {
    std::ifstream in(third_path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream out(to, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  Response same_size = Get("/v1/counts?day=2025-03-01&app=shop");
  EXPECT_EQ(same_size.body,
            "{\"interval\":\"day\",\"from\":\"2025-03-01\",\"to\":\"2025-03-01\",\"counts\":["
            "{\"day\":\"2025-03-01\",\"bucket\":\"2025-03-01\",\"app\":\"shop\",\"event\":"
            "\"third\",\"count\":12}],\"hosts\":[\"test\"]}\n");
}

// Days, hours and times in a zone with daylight saving time: 2025-03-09 has 23 hours in
// New York, 2025-11-02 has 25.
TEST(ReadApiZoneTest, DaysAndHoursFollowTheConfiguredZone) {
  Result<TimeZone> zone = TimeZone::Load("America/New_York");
  if (!zone.ok()) {
    GTEST_SKIP() << "no zoneinfo for America/New_York";
  }
  TempDir dir;
  FakeEnv env("2025-03-09T05:30:00Z");  // 00:30 EST
  StoreOptions so;
  so.data_dir = dir.path();
  so.zone = *zone;
  auto append = [&](const std::string& iso, const std::string& name) {
    env.SetNow(iso);
    DayStore store(&env, so);
    Event e = Ev("shop", name);
    ASSERT_TRUE(store.Append(std::span<const Event>(&e, 1)).ok());
  };
  append("2025-03-09T05:30:00Z", "a");  // 00:30 EST, hour 0
  append("2025-03-09T07:15:00Z", "b");  // 03:15 EDT, hour 2 (02:00 does not exist)
  append("2025-03-10T03:59:59Z", "c");  // 23:59:59 EDT, hour 22: still 2025-03-09
  append("2025-03-10T04:00:00Z", "d");  // 00:00 EDT on 2025-03-10
  append("2025-11-02T05:30:00Z", "e");  // 01:30 EDT, hour 1
  append("2025-11-02T06:30:00Z", "f");  // 01:30 EST, hour 2
  append("2025-11-03T04:59:00Z", "g");  // 23:59 EST, hour 24
  env.SetNow("2025-11-03T12:00:00Z");

  Config config;
  config.data_dir = dir.path();
  config.timezone = "America/New_York";
  ApiKey all = MakeKey("all", kScopeRead, {"*"});
  config.keys = {all};
  NullLogger log;
  ReadContext ctx;
  ctx.config = &config;
  ctx.env = &env;
  ctx.log = &log;
  ctx.host = "test";
  LocalDayFiles files(dir.path(), "test");
  ctx.day_files = &files;
  ReadApi api(ctx);
  auto get = [&](const std::string& path, const std::string& query) {
    Request r;
    r.method = "GET";
    r.path = path;
    r.query = query;
    return api.Handle(MatchRoute("GET", path), r, all);
  };
  EXPECT_EQ(Positions(get("/v1/events", "day=2025-03-09").body),
            (std::vector<std::string>{"2025-03-09/1", "2025-03-09/2", "2025-03-09/3"}));
  EXPECT_EQ(Positions(get("/v1/events", "since=2025-03-09T23:00:00-04:00&until=2025-03-10").body),
            (std::vector<std::string>{"2025-03-09/3"}));
  EXPECT_EQ(Positions(get("/v1/events", "since=2025-03-09T23:00:00-04:00&limit=5").body),
            (std::vector<std::string>{"2025-03-09/3", "2025-03-10/1", "2025-11-02/1",
                                      "2025-11-02/2", "2025-11-02/3"}))
      << "since alone runs to the end of today";
  Response spring = get("/v1/counts", "day=2025-03-09&interval=hour");
  EXPECT_EQ(spring.body,
            "{\"interval\":\"hour\",\"from\":\"2025-03-09\",\"to\":\"2025-03-09\",\"counts\":["
            "{\"day\":\"2025-03-09\",\"bucket\":\"2025-03-09T05:00:00.000000Z\",\"app\":\"shop\","
            "\"event\":\"a\",\"count\":1},"
            "{\"day\":\"2025-03-09\",\"bucket\":\"2025-03-09T07:00:00.000000Z\",\"app\":\"shop\","
            "\"event\":\"b\",\"count\":1},"
            "{\"day\":\"2025-03-09\",\"bucket\":\"2025-03-10T03:00:00.000000Z\",\"app\":\"shop\","
            "\"event\":\"c\",\"count\":1}],\"hosts\":[\"test\"]}\n");
  Response fall = get("/v1/counts", "day=2025-11-02&interval=hour");
  EXPECT_EQ(fall.body,
            "{\"interval\":\"hour\",\"from\":\"2025-11-02\",\"to\":\"2025-11-02\",\"counts\":["
            "{\"day\":\"2025-11-02\",\"bucket\":\"2025-11-02T05:00:00.000000Z\",\"app\":\"shop\","
            "\"event\":\"e\",\"count\":1},"
            "{\"day\":\"2025-11-02\",\"bucket\":\"2025-11-02T06:00:00.000000Z\",\"app\":\"shop\","
            "\"event\":\"f\",\"count\":1},"
            "{\"day\":\"2025-11-02\",\"bucket\":\"2025-11-03T04:00:00.000000Z\",\"app\":\"shop\","
            "\"event\":\"g\",\"count\":1}],\"hosts\":[\"test\"]}\n");
}

// Keeps what the handlers log.
class RecordingLogger : public Logger {
 public:
  void Write(LogLevel level, std::string_view message) override {
    lines.push_back(std::to_string(static_cast<int>(level)) + " " + std::string(message));
  }
  std::vector<std::string> lines;
};

// A damaged or foreign day file is the server's problem: 500 internal, the details (path,
// SQLite's words) in the log and not in the answer.
TEST_F(ReadApiTest, UnreadableDayFilesAnswerInternalWithoutPaths) {
  WriteTwoDays();
  std::ofstream(DayFilePath(dir_.path(), "2025-03-02"), std::ios::trunc)
      << "this is not a day file, only text that is long enough to look like a header\n";
  RecordingLogger log;
  ReadContext ctx;
  ctx.config = &config_;
  ctx.env = &env_;
  ctx.log = &log;
  ctx.sleep = [this](int64_t micros) { env_.Advance(microseconds(micros)); };
  ReadApi api(ctx);
  for (const char* target :
       {"/v1/events", "/v1/events?app=shop&event=view", "/v1/events/2025-03-02/1", "/v1/counts",
        "/v1/uniques", "/v1/overview", "/v1/tail"}) {
    std::string t = target;
    Request r;
    r.method = "GET";
    r.path = t.substr(0, t.find('?'));
    r.query = t.find('?') == std::string::npos ? "" : t.substr(t.find('?') + 1);
    Response resp = api.Handle(MatchRoute("GET", r.path), r, Key("all"));
    ExpectError(resp, 500, "internal", "", target);
    EXPECT_EQ(resp.body,
              "{\"error\":{\"code\":\"internal\",\"message\":\"a day file could not be read; the "
              "server's log says which and why\"}}\n");
    ASSERT_FALSE(log.lines.empty()) << target;
    EXPECT_NE(log.lines.back().find(DayFilePath(dir_.path(), "2025-03-02")), std::string::npos)
        << log.lines.back();
    EXPECT_EQ(log.lines.back().rfind(std::to_string(static_cast<int>(LogLevel::kError)), 0), 0u);
  }
  // The other day still reads.
  EXPECT_EQ(Get("/v1/events?day=2025-03-01&app=blog").status, 200);
}

// Rows edited to absurd times are counted (in the day's first or last hour), not a crash.
TEST_F(ReadApiTest, ExtremeTimesOfAnEditedFileAreCounted) {
  WriteTwoDays();
  testing_days::Tamper(DayFilePath(dir_.path(), "2025-03-02"),
                       "UPDATE log SET ts = -9223372036854775808 WHERE seq = 1; "
                       "UPDATE log SET ts = 9223372036854775807 WHERE seq = 2");
  Response r = Get("/v1/counts?interval=hour&event=view");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"bucket\":\"2025-03-02T00:00:00.000000Z\",\"app\":\"shop\",\"event\":"
                        "\"view\",\"count\":1"),
            std::string::npos)
      << r.body;
  Response read = Get("/v1/counts?interval=hour&event=read");
  EXPECT_NE(read.body.find("\"bucket\":\"2025-03-03T01:00:00.000000Z\",\"app\":\"blog\","
                           "\"event\":\"read\",\"count\":1"),
            std::string::npos)
      << read.body;
  EXPECT_EQ(Get("/v1/events/2025-03-02/1").status, 200);
  EXPECT_EQ(Get("/v1/events?day=2025-03-02").status, 200);
}

// The first and last days a date can name are days like any other.
TEST_F(ReadApiTest, TheLastDayOfYear9999AndTheFirstOfYear1) {
  WriteTwoDays();
  EXPECT_EQ(Get("/v1/events?day=9999-12-31").body, "{\"events\":[],\"next\":null,\"hosts\":[]}\n");
  EXPECT_EQ(Get("/v1/events?since=9999-12-31").body,
            "{\"events\":[],\"next\":null,\"hosts\":[]}\n");
  EXPECT_EQ(Get("/v1/events?since=9999-12-31T23:00:00Z&until=9999-12-31T23:30:00Z").status, 200);
  EXPECT_EQ(Get("/v1/events?day=0001-01-01").body, "{\"events\":[],\"next\":null,\"hosts\":[]}\n");
  EXPECT_EQ(Get("/v1/uniques?from=9999-12-30&to=9999-12-31").body,
            "{\"from\":\"9999-12-30\",\"to\":\"9999-12-31\",\"days\":["
            "{\"day\":\"9999-12-30\",\"count\":0,\"apps\":[]},"
            "{\"day\":\"9999-12-31\",\"count\":0,\"apps\":[]}],\"hosts\":[]}\n");
  EXPECT_EQ(Get("/v1/uniques?from=9999-12-31").body,
            "{\"from\":\"9999-12-31\",\"to\":\"9999-12-31\",\"days\":["
            "{\"day\":\"9999-12-31\",\"count\":0,\"apps\":[]}],\"hosts\":[]}\n");
  EXPECT_EQ(Get("/v1/counts?day=9999-12-31").body,
            "{\"interval\":\"day\",\"from\":\"9999-12-31\",\"to\":\"9999-12-31\",\"counts\":[],"
            "\"hosts\":[]}\n");
}

// Isolation ---------------------------------------------------------------------------------

TEST_F(ReadApiTest, IsolationMatrix) {
  WriteTwoDays();
  const char* read_routes[] = {"/v1/events",  "/v1/events/2025-03-01/1",
                               "/v1/counts",  "/v1/events/2025-03-01/test/1",
                               "/v1/uniques", "/v1/overview",
                               "/v1/tail"};
  for (const char* route : read_routes) {
    ExpectError(Get(route, "ingest"), 403, "missing_scope", "", std::string(route) + " ingest");
    ExpectError(Get(route, "admin"), 403, "missing_scope", "", std::string(route) + " admin");
  }
  for (const char* route : {"/v1/events?app=blog", "/v1/counts?app=blog", "/v1/uniques?app=blog",
                            "/v1/tail?app=blog", "/v1/events?app=blog&event=read"}) {
    ExpectError(Get(route, "shop-reader"), 403, "app_not_allowed", "app", route);
  }
  for (const char* route : {"/v1/events?app=other", "/v1/counts?app=other"}) {
    ExpectError(Get(route, "shop-blog"), 403, "app_not_allowed", "app", route);
    EXPECT_EQ(Get(route, "all").status, 200) << route;
  }
  // Unfiltered queries show only the key's apps.
  Response events = Get("/v1/events?since=2025-03-01", "shop-reader");
  EXPECT_EQ(events.status, 200);
  EXPECT_EQ(events.body.find("\"app\":\"blog\""), std::string::npos) << events.body;
  EXPECT_EQ(Positions(events.body).size(), 12u);
  Response by_event = Get("/v1/events?since=2025-03-01&event=read", "shop-reader");
  EXPECT_EQ(by_event.body, "{\"events\":[],\"next\":null,\"hosts\":[\"test\"]}\n");
  Response counts = Get("/v1/counts?from=2025-03-01&to=2025-03-02", "shop-reader");
  EXPECT_EQ(counts.status, 200);
  EXPECT_EQ(counts.body.find("\"app\":\"blog\""), std::string::npos) << counts.body;
  EXPECT_NE(counts.body.find("\"app\":\"shop\""), std::string::npos) << counts.body;
  Response uniques = Get("/v1/uniques?from=2025-03-01&to=2025-03-02", "shop-reader");
  EXPECT_EQ(uniques.body.find("blog"), std::string::npos) << uniques.body;
  EXPECT_NE(uniques.body.find("{\"day\":\"2025-03-01\",\"count\":1,"), std::string::npos)
      << uniques.body;
  Response overview = Get("/v1/overview?days=2", "shop-reader");
  EXPECT_EQ(overview.body.find("blog"), std::string::npos) << overview.body;
  EXPECT_NE(overview.body.find("{\"day\":\"2025-03-01\",\"total\":7,"), std::string::npos)
      << overview.body;
  // The cache of aggregates is shared by every key: a wider key first must not widen a narrow
  // one's answer, nor the other way round.
  EXPECT_NE(Get("/v1/overview?days=2", "all").body.find("\"total\":9"), std::string::npos);
  EXPECT_EQ(Get("/v1/overview?days=2", "shop-reader").body, overview.body);
  // /metrics needs the admin scope.
  ExpectError(Get("/metrics", "all"), 403, "missing_scope", "", "metrics read");
  ExpectError(Get("/metrics", "ingest"), 403, "missing_scope", "", "metrics ingest");
  Response metrics = Get("/metrics", "admin");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body.find("itslog_events_accepted_total 0\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("itslog_day_file_bytes{day=\"2025-03-02\"} "), std::string::npos);
  ExpectError(Get("/metrics?x=1", "admin"), 400, "invalid_parameter", "x", "metrics params");
}

// GET /v1/tail ------------------------------------------------------------------------------

struct SseEvent {
  std::string id;
  std::string data;
};

// The events (id + data) of a server-sent event stream, and the last id it carried.
std::vector<SseEvent> ParseSse(const std::string& body, std::string* last_id) {
  std::vector<SseEvent> out;
  SseEvent current;
  size_t at = 0;
  while (at < body.size()) {
    size_t end = body.find('\n', at);
    if (end == std::string::npos) {
      ADD_FAILURE() << "unterminated line in " << body;
      break;
    }
    std::string line = body.substr(at, end - at);
    at = end + 1;
    if (line.empty()) {
      if (!current.data.empty()) {
        out.push_back(current);
      }
      current = SseEvent{};
    } else if (line.rfind("id: ", 0) == 0) {
      current.id = line.substr(4);
      *last_id = current.id;
    } else if (line.rfind("data: ", 0) == 0) {
      current.data = line.substr(6);
    }
  }
  return out;
}

std::string Binding(const std::string& app = "", const std::string& event = "") {
  std::string b = "tail";
  b += '\0';
  b += app;
  b += '\0';
  b += event;
  return b;
}

TEST_F(ReadApiTest, TailIsBoundedInTimeAndReportsWhereItStands) {
  WriteTwoDays();
  Response r = Get("/v1/tail");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/event-stream");
  EXPECT_TRUE(r.stream != nullptr);
  std::string last_id;
  EXPECT_TRUE(ParseSse(r.body, &last_id).empty()) << r.body;
  EXPECT_EQ(slept_micros_, 5 * kMicrosPerSecond);  // tail.max_seconds
  Result<Cursor> at = DecodeCursor(last_id, ReadApi::CursorKeyFor(config_), Binding(), "id");
  ASSERT_TRUE(at.ok()) << r.body;
  EXPECT_EQ(*at, (Cursor{"2025-03-02", 6}));
  EXPECT_EQ(r.body, "retry: 1000\n\nid: " + last_id + "\n\n");
  Response head = Get("/v1/tail", "all", "", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_type, "text/event-stream");
  EXPECT_EQ(head.body, "");
  EXPECT_TRUE(head.stream == nullptr);
}

TEST_F(ReadApiTest, TailKeepsAQuietStreamAlive) {
  WriteTwoDays();
  config_.tail_max_seconds = 40;
  Response r = Get("/v1/tail");
  const std::string id =
      "id: " + EncodeCursor(Cursor{"2025-03-02", 6}, ReadApi::CursorKeyFor(config_), Binding()) +
      "\n\n";
  EXPECT_EQ(r.body, "retry: 1000\n\n: keep-alive\n\n" + id + ": keep-alive\n\n" + id + id);
  EXPECT_EQ(slept_micros_, 40 * kMicrosPerSecond);
}

TEST_F(ReadApiTest, TailEndsWhenTheClientLeaves) {
  WriteTwoDays();
  accept_writes_ = 0;
  EXPECT_EQ(Get("/v1/tail").body, "");
  EXPECT_EQ(sleeps_, 0);
  // Gone after the first batch of events.
  accept_writes_ = 2;
  on_sleep_ = [this](int) { Append(&env_, dir_.path(), {Ev("shop", "x")}); };
  Response r = Get("/v1/tail");
  std::string last_id;
  EXPECT_EQ(ParseSse(r.body, &last_id).size(), 1u) << r.body;
  EXPECT_EQ(sleeps_, 2);  // the second event found the client gone
}

TEST_F(ReadApiTest, TailOfAQuietDayEndsSoonAfterTheWorkerStops) {
  WriteTwoDays();
  config_.tail_max_seconds = 60;
  on_sleep_ = [this](int sleeps) { server_stopping_ = sleeps == 3; };
  Response r = Get("/v1/tail");
  // Not at the next keep-alive (15 s) or the time bound (60 s): at the next poll.
  EXPECT_EQ(sleeps_, 3);
  EXPECT_EQ(r.body, "retry: 1000\n\n");
}

TEST_F(ReadApiTest, TailCrossesMidnightAndResumesWithoutLossOrRepeat) {
  WriteTwoDays();
  env_.SetNow("2025-03-02T23:59:58Z");  // each wait moves the clock by 0.2 s
  // What writers do while the tail waits, by the number of the wait.
  auto writers = [this](int n) {
    switch (n) {
      case 2:
        Append(&env_, dir_.path(), {Ev("shop", "a1"), Ev("blog", "a2")});
        break;
      case 4:
        Append(&env_, dir_.path(), {Ev("shop", "b1")});
        break;
      case 5:
        // The last row of the old day, then (once past midnight) the new day's file.
        Append(&env_, dir_.path(), {Ev("shop", "c1")});
        env_.SetNow("2025-03-03T00:00:00.1Z");
        Append(&env_, dir_.path(), {Ev("shop", "d1"), Ev("shop", "d2")});
        break;
      case 7:
        Append(&env_, dir_.path(), {Ev("blog", "e1")});
        break;
      default:
        break;
    }
  };
  on_sleep_ = writers;
  // The events of a stream as "day/seq name", checking that each id is the event's position.
  auto events_of = [this](const std::string& body, std::vector<std::string>* ids,
                          std::string* last_id) {
    std::vector<std::string> seen;
    for (const SseEvent& e : ParseSse(body, last_id)) {
      std::vector<std::string> p = Positions(e.data);
      EXPECT_EQ(p.size(), 1u) << e.data;
      size_t name_at = e.data.find("\"event\":\"") + 9;
      seen.push_back(p[0] + " " + e.data.substr(name_at, e.data.find('"', name_at) - name_at));
      Result<Cursor> id = DecodeCursor(e.id, ReadApi::CursorKeyFor(config_), Binding(), "id");
      EXPECT_TRUE(id.ok());
      if (id.ok()) {
        EXPECT_EQ(id->day + "/" + std::to_string(id->seq), p[0]);
      }
      ids->push_back(e.id);
    }
    return seen;
  };
  std::vector<std::string> ids;
  std::string last_id;
  Response r = Get("/v1/tail");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::vector<std::string> all = {"2025-03-02/7 a1",  "2025-03-02/8 a2", "2025-03-02/9 b1",
                                        "2025-03-02/10 c1", "2025-03-03/1 d1", "2025-03-03/2 d2",
                                        "2025-03-03/3 e1"};
  EXPECT_EQ(events_of(r.body, &ids, &last_id), all);
  Result<Cursor> end = DecodeCursor(last_id, ReadApi::CursorKeyFor(config_), Binding(), "id");
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, (Cursor{"2025-03-03", 3}));
  ASSERT_EQ(ids.size(), all.size());

  // A client that lost the stream after c1 resumes from its id: the rest, once each.
  on_sleep_ = [this](int) {
    on_sleep_ = nullptr;
    Append(&env_, dir_.path(), {Ev("shop", "f1")});
  };
  std::vector<std::string> resumed_ids;
  Response resumed = Get("/v1/tail", "all", ids[3]);
  EXPECT_EQ(events_of(resumed.body, &resumed_ids, &last_id),
            (std::vector<std::string>{"2025-03-03/1 d1", "2025-03-03/2 d2", "2025-03-03/3 e1",
                                      "2025-03-03/4 f1"}));
  // From the final position of a stream: only what came after it.
  on_sleep_ = [this](int) {
    on_sleep_ = nullptr;
    Append(&env_, dir_.path(), {Ev("shop", "g1")});
  };
  Response again = Get("/v1/tail", "all", last_id);
  EXPECT_EQ(events_of(again.body, &resumed_ids, &last_id),
            std::vector<std::string>{"2025-03-03/5 g1"});
}

TEST_F(ReadApiTest, TailShowsOnlyTheKeysAppsAndMovesPastTheOthers) {
  WriteTwoDays();
  on_sleep_ = [this](int n) {
    if (n == 1) {
      Append(&env_, dir_.path(), {Ev("blog", "x"), Ev("shop", "y"), Ev("blog", "z")});
    }
  };
  Response r = Get("/v1/tail", "shop-reader");
  std::string last_id;
  std::vector<SseEvent> events = ParseSse(r.body, &last_id);
  ASSERT_EQ(events.size(), 1u) << r.body;
  EXPECT_EQ(Positions(events[0].data), std::vector<std::string>{"2025-03-02/8"});
  // The stream's last id stands after the blog row it did not show.
  Result<Cursor> at = DecodeCursor(last_id, ReadApi::CursorKeyFor(config_), Binding(), "id");
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(*at, (Cursor{"2025-03-02", 9}));
  // Filters: an app's event, resumed with its own cursor.
  on_sleep_ = [this](int) {
    on_sleep_ = nullptr;
    Append(&env_, dir_.path(), {Ev("shop", "y"), Ev("shop", "w")});
  };
  Response filtered = Get("/v1/tail?app=shop&event=y", "all");
  std::string filtered_id;
  std::vector<SseEvent> ys = ParseSse(filtered.body, &filtered_id);
  ASSERT_EQ(ys.size(), 1u) << filtered.body;
  EXPECT_EQ(Positions(ys[0].data), std::vector<std::string>{"2025-03-02/10"});
  EXPECT_TRUE(
      DecodeCursor(filtered_id, ReadApi::CursorKeyFor(config_), Binding("shop", "y"), "id").ok());
  // A cursor of one filter does not resume another.
  ExpectError(Get("/v1/tail", "all", filtered_id), 400, "invalid_parameter", "Last-Event-ID",
              "other filter");
  ExpectError(Get("/v1/tail", "all", "not-a-cursor"), 400, "invalid_parameter", "Last-Event-ID",
              "garbage");
  // Cursors of /v1/events and ids of /v1/tail are not interchangeable.
  const std::string events_next = NextOf(Get("/v1/events?limit=1").body);
  ASSERT_FALSE(events_next.empty());
  ExpectError(Get("/v1/tail", "all", events_next), 400, "invalid_parameter", "Last-Event-ID",
              "an events cursor");
  ExpectError(Get("/v1/events?after=" + last_id), 400, "invalid_parameter", "after", "a tail id");
  ExpectError(Get("/v1/tail?since=2025-03-01"), 400, "invalid_parameter", "since", "since");
  ExpectError(Get("/v1/tail?app=-x"), 400, "invalid_parameter", "app", "bad app");
}

// Several hosts ------------------------------------------------------------------------------

// This host ("test", in dir_) and two others whose files an archive would list beside its own.
class MultiHostReadApiTest : public ReadApiTest {
 protected:
  MultiHostReadApiTest() {
    ReadContext ctx;
    ctx.config = &config_;
    ctx.env = &env_;
    ctx.log = &log_;
    ctx.host = "test";
    ctx.day_files = &files_;
    api_ = std::make_unique<ReadApi>(ctx);
  }

  void Log(const std::string& host, const Event& e) {
    std::string dir = host == "test" ? dir_.path() : others_[host].path();
    StoreOptions o;
    o.data_dir = dir;
    o.host = host;
    DayStore store(&env_, o);
    auto r = store.Append(std::span<const Event>(&e, 1));
    ASSERT_TRUE(r.ok() && (*r)[0].ok());
    std::vector<HostFile>& list = files_.days[(*r)[0]->day];
    for (const HostFile& f : list) {
      if (f.host == host) {
        return;
      }
    }
    list.push_back(HostFile{host, DayFilePath(dir, (*r)[0]->day), host == "test"});
    std::sort(list.begin(), list.end(),
              [](const HostFile& a, const HostFile& b) { return a.host < b.host; });
  }

  // 2025-03-01: three hosts at one microsecond, then web-3; 2025-03-02: a unique (shop, login)
  // stored by two hosts. Today is 2025-03-02.
  void WriteThreeHosts() {
    Log("web-2", Ev("shop", "view", ValueType::kInteger, "5"));
    Log("test", Ev("shop", "view", ValueType::kInteger, "1"));
    Log("web-3", Ev("blog", "read"));
    env_.Advance(microseconds(1));
    Log("web-3", Ev("shop", "view", ValueType::kInteger, "-2"));
    env_.SetNow("2025-03-02T09:00:00Z");
    Log("web-3", Ev("shop", "login", ValueType::kText, std::nullopt, true));
    Log("web-2", Ev("blog", "read"));
    env_.Advance(microseconds(7));
    Log("test", Ev("shop", "login", ValueType::kText, std::nullopt, true));
    env_.SetNow("2025-03-02T12:00:00Z");
  }

  // "day/host/seq" of each event of an answer.
  static std::vector<std::string> HostPositions(const std::string& body) {
    std::vector<std::string> out;
    size_t at = 0;
    while ((at = body.find("{\"day\":\"", at)) != std::string::npos) {
      std::string day = body.substr(at + 8, 10);
      size_t host_at = body.find("\"host\":\"", at) + 8;
      std::string host = body.substr(host_at, body.find('"', host_at) - host_at);
      size_t seq_at = body.find("\"seq\":", at) + 6;
      out.push_back(day + "/" + host + "/" +
                    std::to_string(std::strtoll(body.c_str() + seq_at, nullptr, 10)));
      at = seq_at;
    }
    return out;
  }

  FixedDayFiles files_;
  std::map<std::string, TempDir> others_;
};

TEST_F(MultiHostReadApiTest, EventsOfAllHostsByTimeHostSeqInPagesOfAnySize) {
  WriteThreeHosts();
  const std::vector<std::string> all = {
      "2025-03-01/test/1",  "2025-03-01/web-2/1", "2025-03-01/web-3/1", "2025-03-01/web-3/2",
      "2025-03-02/web-2/1", "2025-03-02/web-3/1", "2025-03-02/test/1"};
  Response r = Get("/v1/events?since=2025-03-01");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HostPositions(r.body), all);
  EXPECT_NE(r.body.find("],\"next\":null,\"hosts\":[\"test\",\"web-2\",\"web-3\"]}"),
            std::string::npos)
      << r.body;
  for (int limit = 1; limit <= 7; ++limit) {
    std::vector<std::string> got;
    std::string after;
    for (int page = 0; page < 20; ++page) {
      Response p = Get("/v1/events?since=2025-03-01&limit=" + std::to_string(limit) +
                       (after.empty() ? "" : "&after=" + after));
      ASSERT_EQ(p.status, 200) << p.body;
      std::vector<std::string> part = HostPositions(p.body);
      got.insert(got.end(), part.begin(), part.end());
      after = NextOf(p.body);
      if (after.empty()) {
        break;
      }
      EXPECT_EQ(static_cast<int>(part.size()), limit);
    }
    EXPECT_EQ(got, all) << "limit " << limit;
  }
  EXPECT_EQ(
      HostPositions(Get("/v1/events?since=2025-03-01&app=shop&event=view").body),
      (std::vector<std::string>{"2025-03-01/test/1", "2025-03-01/web-2/1", "2025-03-01/web-3/2"}));
}

TEST_F(MultiHostReadApiTest, OneEventOfAHostOrOfThisHost) {
  WriteThreeHosts();
  Response theirs = Get("/v1/events/2025-03-01/web-2/1");
  EXPECT_EQ(theirs.status, 200) << theirs.body;
  EXPECT_EQ(theirs.body,
            "{\"day\":\"2025-03-01\",\"seq\":1,\"time\":\"2025-03-01T10:00:00.000000Z\",\"app\":"
            "\"shop\",\"event\":\"view\",\"value\":\"5\",\"type\":1,\"is_unique\":0,\"host\":"
            "\"web-2\"}\n");
  Response mine = Get("/v1/events/2025-03-01/1");
  EXPECT_EQ(
      mine.body,
      EventJson("2025-03-01", 1, "2025-03-01T10:00:00.000000Z", "shop", "view", "\"1\"", 1) + "\n");
  EXPECT_EQ(Get("/v1/events/2025-03-01/test/1").body, mine.body);
  ExpectError(Get("/v1/events/2025-03-01/2"), 404, "not_found", "", "this host has one row");
  EXPECT_EQ(Get("/v1/events/2025-03-01/web-3/2").status, 200);
  ExpectError(Get("/v1/events/2025-03-01/web-9/1"), 404, "not_found", "", "no such host");
  // A closed day of storage: s3 is one file of the host "_s3" (not a host_id, still a host).
  files_.days["2025-03-01"].insert(
      files_.days["2025-03-01"].begin(),
      HostFile{"_s3", DayFilePath(others_["web-2"].path(), "2025-03-01"), false});
  Response imported = Get("/v1/events/2025-03-01/_s3/1");
  EXPECT_EQ(imported.status, 200) << imported.body;
  EXPECT_NE(imported.body.find("\"host\":\"_s3\"}"), std::string::npos) << imported.body;
  ExpectError(Get("/v1/events/2025-03-01/_s4/1"), 400, "invalid_parameter", "host", "_s4");
  ExpectError(Get("/v1/events/2025-03-01/Web-2/1"), 400, "invalid_parameter", "host", "upper");
  ExpectError(Get("/v1/events/2025-03-01/-x/1"), 400, "invalid_parameter", "host", "dash");
  ExpectError(Get("/v1/events/2025-03-01/web-2/0"), 400, "invalid_parameter", "seq", "seq 0");
  ExpectError(Get("/v1/events/2025-02-30/web-2/1"), 400, "invalid_parameter", "day", "day");
  // Another app's event is not there for this key.
  ExpectError(Get("/v1/events/2025-03-01/web-3/1", "shop-reader"), 404, "not_found", "", "app");
  ExpectError(Get("/v1/events/2025-03-01/web-3/1", "ingest"), 403, "missing_scope", "", "scope");
}

TEST_F(MultiHostReadApiTest, CountsAddUpAndAUniqueOfTwoHostsCountsOnce) {
  WriteThreeHosts();
  EXPECT_EQ(Get("/v1/counts?day=2025-03-01&event=view").body,
            "{\"interval\":\"day\",\"from\":\"2025-03-01\",\"to\":\"2025-03-01\",\"counts\":["
            "{\"day\":\"2025-03-01\",\"bucket\":\"2025-03-01\",\"app\":\"shop\",\"event\":\"view\","
            "\"count\":3,\"numeric\":3,\"sum\":4,\"min\":-2,\"max\":5}],"
            "\"hosts\":[\"test\",\"web-2\",\"web-3\"]}\n");
  EXPECT_EQ(Get("/v1/uniques?from=2025-03-01&to=2025-03-02").body,
            "{\"from\":\"2025-03-01\",\"to\":\"2025-03-02\",\"days\":["
            "{\"day\":\"2025-03-01\",\"count\":0,\"apps\":[]},"
            "{\"day\":\"2025-03-02\",\"count\":1,\"apps\":["
            "{\"app\":\"shop\",\"count\":1,\"events\":[\"login\"]}]}],"
            "\"hosts\":[\"test\",\"web-2\",\"web-3\"]}\n");
  Response overview = Get("/v1/overview?days=2");
  EXPECT_NE(overview.body.find("{\"day\":\"2025-03-01\",\"total\":4,\"apps\":[{\"app\":"
                               "\"blog\",\"count\":1},{\"app\":\"shop\",\"count\":3}]},"
                               "{\"day\":\"2025-03-02\",\"total\":3,"),
            std::string::npos)
      << overview.body;
  EXPECT_NE(overview.body.find(",\"hosts\":[\"test\",\"web-2\",\"web-3\"]}"), std::string::npos);
  // A key sees the hosts, not the other apps' counts.
  Response shop = Get("/v1/counts?day=2025-03-01", "shop-reader");
  EXPECT_EQ(shop.body.find("blog"), std::string::npos) << shop.body;
}

// A cursor issued before answers merged hosts (day and seq of this host's file) still pages on
// from that row of this host.
TEST_F(MultiHostReadApiTest, AOneHostCursorStillPagesOn) {
  WriteThreeHosts();
  std::string binding = "events";
  for (const char* v : {"", "", "", "2025-03-01", ""}) {
    binding += '\0';
    binding += v;
  }
  const Digest key = ReadApi::CursorKeyFor(config_);
  Response r = Get("/v1/events?since=2025-03-01&after=" +
                   EncodeCursor(Cursor{"2025-03-01", 1}, key, binding));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(
      HostPositions(r.body),
      (std::vector<std::string>{"2025-03-01/web-2/1", "2025-03-01/web-3/1", "2025-03-01/web-3/2",
                                "2025-03-02/web-2/1", "2025-03-02/web-3/1", "2025-03-02/test/1"}));
  ExpectError(Get("/v1/events?since=2025-03-01&after=" +
                  EncodeCursor(Cursor{"2025-03-01", 9}, key, binding)),
              400, "invalid_parameter", "after", "a row this host does not hold");
  // A host cursor is bound to its query like the others.
  ExpectError(Get("/v1/events?since=2025-03-01&app=shop&after=" +
                  EncodeCursor(Cursor{"2025-03-01", 1, "web-2", 0}, key, binding)),
              400, "invalid_parameter", "after", "another query");
}

TEST_F(MultiHostReadApiTest, AnUnreachableArchiveIs503AndABadFileNamesTheObject) {
  WriteThreeHosts();
  const char* routes[] = {"/v1/events?since=2025-03-01",
                          "/v1/events/2025-03-01/web-2/1",
                          "/v1/events/2025-03-01/1",
                          "/v1/counts?day=2025-03-01",
                          "/v1/uniques",
                          "/v1/overview"};
  files_.fail = UnavailableError("s3_unavailable", "the bucket cannot be reached: timeout");
  for (const char* route : routes) {
    Response r = Get(route);
    ExpectError(r, 503, "s3_unavailable", "", route);
    bool retry_after = false;
    for (const auto& [name, value] : r.headers) {
      retry_after = retry_after || (name == "Retry-After" && !value.empty());
    }
    EXPECT_TRUE(retry_after) << route;
  }
  files_.fail = CorruptError("archive_corrupt",
                             "logs/2025-03-01/hosts/web-2/2025-03-01-v1.itslog does not match its "
                             "seal (file_sha256)");
  for (const char* route : routes) {
    Response r = Get(route);
    ExpectError(r, 500, "archive_corrupt", "", route);
    EXPECT_NE(r.body.find("logs/2025-03-01/hosts/web-2/2025-03-01-v1.itslog"), std::string::npos)
        << r.body;
  }
}

}  // namespace
}  // namespace itslog
