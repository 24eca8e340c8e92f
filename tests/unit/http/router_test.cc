#include "http/router.h"

#include <gtest/gtest.h>

namespace itslog {
namespace {

TEST(RouterTest, CollapsesSlashesAndDropsTrailingOne) {
  EXPECT_EQ(CollapseSlashes("//its-log//v1///log/"), "/its-log/v1/log");
  EXPECT_EQ(CollapseSlashes(""), "/");
  EXPECT_EQ(CollapseSlashes("/"), "/");
  EXPECT_EQ(CollapseSlashes("v1/log"), "/v1/log");
}

TEST(RouterTest, PathBelowMountPrefersPathInfo) {
  EXPECT_EQ(PathBelowMount("/its-log", "/v1/log", "/its-log/v1/log?x=1"), "/v1/log");
  EXPECT_EQ(PathBelowMount("/its-log", "//v1//log", ""), "/v1/log");
}

TEST(RouterTest, PathBelowMountStripsScriptNameFromRequestUri) {
  EXPECT_EQ(PathBelowMount("/its-log", "", "//its-log/gov.x/app.start?a=b"), "/gov.x/app.start");
  EXPECT_EQ(PathBelowMount("/its-log/", "", "/its-log/v1/log"), "/v1/log");
  EXPECT_EQ(PathBelowMount("", "", "/v1/log"), "/v1/log");
  // A mount that only shares a prefix with the path is not stripped.
  EXPECT_EQ(PathBelowMount("/its", "", "/its-log/v1/log"), "/its-log/v1/log");
  EXPECT_EQ(PathBelowMount("/its-log", "", "/its-log"), "/");
}

TEST(RouterTest, MatchesEveryRouteAndAlias) {
  const struct {
    const char* method;
    const char* path;
    RouteId id;
    const char* app;
    const char* event;
  } cases[] = {
      {"POST", "/v1/log", RouteId::kLog, "", ""},
      {"PUT", "/v1/event/gov.hhs.cms.bb2/api.patient.v3", RouteId::kEvent, "gov.hhs.cms.bb2",
       "api.patient.v3"},
      {"POST", "/v1/event/a/b", RouteId::kEvent, "a", "b"},
      {"PUT", "/event/a/b", RouteId::kEvent, "a", "b"},
      {"PUT", "/v1/unique/a/b", RouteId::kUnique, "a", "b"},
      {"PUT", "/unique/a/b", RouteId::kUnique, "a", "b"},
      {"PUT", "/gov.hhs.cms.bb2/app.start", RouteId::kEvent, "gov.hhs.cms.bb2", "app.start"},
      {"PUT", "//gov.hhs.cms.bb2//app.start", RouteId::kEvent, "gov.hhs.cms.bb2", "app.start"},
      {"GET", "/healthz", RouteId::kHealthz, "", ""},
      {"HEAD", "/healthz", RouteId::kHealthz, "", ""},
      {"GET", "/metrics", RouteId::kMetrics, "", ""},
  };
  for (const auto& c : cases) {
    Route r = MatchRoute(c.method, c.path);
    EXPECT_EQ(r.id, c.id) << c.method << " " << c.path;
    EXPECT_EQ(r.app, c.app) << c.path;
    EXPECT_EQ(r.event, c.event) << c.path;
  }
}

TEST(RouterTest, WrongMethodGives405WithAllow) {
  const struct {
    const char* method;
    const char* path;
    const char* allow;
  } cases[] = {
      {"GET", "/v1/log", "POST"},
      {"PUT", "/v1/log", "POST"},
      {"GET", "/v1/event/a/b", "PUT, POST"},
      {"DELETE", "/unique/a/b", "PUT, POST"},
      {"POST", "/healthz", "GET, HEAD"},
  };
  for (const auto& c : cases) {
    Route r = MatchRoute(c.method, c.path);
    EXPECT_EQ(r.id, RouteId::kMethodNotAllowed) << c.method << " " << c.path;
    EXPECT_EQ(r.allow, c.allow) << c.path;
  }
}

TEST(RouterTest, OneEventByDayAndSeqWithOrWithoutHost) {
  Route mine = MatchRoute("GET", "/v1/events/2025-03-01/7");
  EXPECT_EQ(mine.id, RouteId::kEventBySeq);
  EXPECT_EQ(mine.day, "2025-03-01");
  EXPECT_EQ(mine.host, "");
  EXPECT_EQ(mine.seq, "7");
  Route theirs = MatchRoute("HEAD", "/v1/events/2025-03-01/web-2/8");
  EXPECT_EQ(theirs.id, RouteId::kEventBySeq);
  EXPECT_EQ(theirs.day, "2025-03-01");
  EXPECT_EQ(theirs.host, "web-2");
  EXPECT_EQ(theirs.seq, "8");
  Route put = MatchRoute("PUT", "/v1/events/2025-03-01/web-2/8");
  EXPECT_EQ(put.id, RouteId::kMethodNotAllowed);
  EXPECT_EQ(put.allow, "GET, HEAD");
}

TEST(RouterTest, AlertingRoutesAndTheirMethods) {
  const struct {
    const char* method;
    const char* path;
    RouteId id;
    const char* allow;
  } cases[] = {
      {"GET", "/v1/alerts", RouteId::kAlerting, ""},
      {"POST", "/v1/alerts", RouteId::kMethodNotAllowed, "GET, HEAD"},
      {"POST", "/v1/alerts/rules", RouteId::kAlerting, ""},
      {"PUT", "/v1/alerts/rules/rul_1", RouteId::kAlerting, ""},
      {"PATCH", "/v1/alerts/rules/rul_1", RouteId::kMethodNotAllowed, "GET, HEAD, PUT, DELETE"},
      {"DELETE", "/v1/notifications/channels/c", RouteId::kAlerting, ""},
      {"PUT", "/v1/notifications/channels/c", RouteId::kMethodNotAllowed, "GET, HEAD, DELETE"},
      {"HEAD", "/v1/notifications/deliveries", RouteId::kAlerting, ""},
      {"PATCH", "/v1/incidents/i", RouteId::kAlerting, ""},
      {"POST", "/v1/incidents/i/timeline", RouteId::kAlerting, ""},
      {"GET", "/v1/incidents/i/timeline", RouteId::kMethodNotAllowed, "POST"},
      {"GET", "/v1/notifications", RouteId::kNotFound, ""},
      {"GET", "/v1/alerts/rules/a/b", RouteId::kNotFound, ""},
      {"GET", "/v1/incidents/i/other", RouteId::kNotFound, ""},
      {"ET", "/v1/alerts", RouteId::kMethodNotAllowed, "GET, HEAD"},
  };
  for (const auto& c : cases) {
    Route r = MatchRoute(c.method, c.path);
    EXPECT_EQ(r.id, c.id) << c.method << " " << c.path;
    EXPECT_EQ(r.allow, c.allow) << c.method << " " << c.path;
  }
}

TEST(RouterTest, UnknownPathsAreNotFound) {
  for (const char* path :
       {"/", "/v1", "/v1/events/x/y/z/w", "/v1/event/a", "/v1/event/a/b/c", "/a/b/c", "/v1/x"}) {
    EXPECT_EQ(MatchRoute("PUT", path).id, RouteId::kNotFound) << path;
  }
}

}  // namespace
}  // namespace itslog
