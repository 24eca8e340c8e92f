// Router: finds the route for a method and a path below the mount point (docs/API.md).
// Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace itslog {

enum class RouteId {
  kNotFound,
  kMethodNotAllowed,
  kLog,      // POST /v1/log
  kEvent,    // PUT /v1/event/<app>/<event>, /event/<app>/<event>, /<app>/<event>
  kUnique,   // PUT /v1/unique/<app>/<event>, /unique/<app>/<event>
  kHealthz,  // GET /healthz
  kMetrics,  // GET /metrics
  // The read API (GET and HEAD):
  kEvents,      // /v1/events
  kEventBySeq,  // /v1/events/<day>/<seq>, /v1/events/<day>/<host>/<seq>
  kCounts,      // /v1/counts
  kUniques,     // /v1/uniques
  kOverview,    // /v1/overview
  kTail,        // /v1/tail
  // Alerting (http/alerts_api.h routes below these prefixes, and answers 405 itself):
  kAlerting,  // /v1/alerts..., /v1/notifications/..., /v1/incidents...
  // Keys made over HTTP (admin scope):
  kAdminKeys,  // GET, POST /v1/admin/keys
  kAdminKey,   // DELETE /v1/admin/keys/<id>
};

struct Route {
  RouteId id = RouteId::kNotFound;
  std::string app;    // raw path segment, validated by the handler
  std::string event;  // raw path segment
  std::string day;    // kEventBySeq: raw path segments, validated by the handler
  std::string seq;
  std::string host;    // kEventBySeq: the raw host segment; empty: this host
  std::string key_id;  // kAdminKey: raw path segment
  std::string allow;   // for kMethodNotAllowed: the Allow header value
};

// Collapses runs of '/' into one and drops a trailing '/' (but keeps "/").
std::string CollapseSlashes(std::string_view path);

// The path below the mount point: PATH_INFO when the server split it off, else the path of
// REQUEST_URI (query removed) with SCRIPT_NAME stripped from its front. Slashes collapsed.
std::string PathBelowMount(std::string_view script_name, std::string_view path_info,
                           std::string_view request_uri);

Route MatchRoute(std::string_view method, std::string_view path);

// The non-empty segments of path, in order ("/v1//a/" -> {"v1", "a"}); views into path.
std::vector<std::string_view> PathSegments(std::string_view path);

}  // namespace itslog
