#include "http/router.h"

#include <vector>

namespace itslog {

std::string CollapseSlashes(std::string_view path) {
  std::string out;
  out.reserve(path.size() + 1);
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') {
      continue;
    }
    out.push_back(c);
  }
  if (out.empty() || out[0] != '/') {
    out.insert(out.begin(), '/');
  }
  if (out.size() > 1 && out.back() == '/') {
    out.pop_back();
  }
  return out;
}

std::string PathBelowMount(std::string_view script_name, std::string_view path_info,
                           std::string_view request_uri) {
  if (!path_info.empty()) {
    return CollapseSlashes(path_info);
  }
  std::string_view uri = request_uri.substr(0, request_uri.find('?'));
  std::string path = CollapseSlashes(uri);
  std::string mount = CollapseSlashes(script_name);
  if (mount != "/" && path.compare(0, mount.size(), mount) == 0 &&
      (path.size() == mount.size() || path[mount.size()] == '/')) {
    path.erase(0, mount.size());
  }
  return path.empty() ? "/" : path;
}

namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      j = path.size();
    }
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool IsWrite(std::string_view method) {
  return method == "PUT" || method == "POST";
}

Route Allowed(RouteId id, std::string_view method, bool ok, const char* allow) {
  Route r;
  if (ok) {
    r.id = id;
  } else {
    r.id = RouteId::kMethodNotAllowed;
    r.allow = allow;
  }
  (void)method;
  return r;
}

}  // namespace

std::vector<std::string_view> PathSegments(std::string_view path) {
  return Segments(path);
}

Route MatchRoute(std::string_view method, std::string_view path) {
  std::vector<std::string_view> s = Segments(path);
  bool is_get = method == "GET" || method == "HEAD";
  if (s.size() == 1 && s[0] == "healthz") {
    return Allowed(RouteId::kHealthz, method, is_get, "GET, HEAD");
  }
  if (s.size() == 1 && s[0] == "metrics") {
    return Allowed(RouteId::kMetrics, method, is_get, "GET, HEAD");
  }
  if (s.size() >= 2 && s[0] == "v1") {
    static constexpr struct {
      std::string_view name;
      RouteId id;
    } kReadRoutes[] = {{"events", RouteId::kEvents},
                       {"counts", RouteId::kCounts},
                       {"uniques", RouteId::kUniques},
                       {"overview", RouteId::kOverview},
                       {"tail", RouteId::kTail}};
    for (const auto& r : kReadRoutes) {
      if (s[1] != r.name) {
        continue;
      }
      if (s.size() == 2) {
        return Allowed(r.id, method, is_get, "GET, HEAD");
      }
      if ((s.size() == 4 || s.size() == 5) && r.id == RouteId::kEvents) {
        Route route = Allowed(RouteId::kEventBySeq, method, is_get, "GET, HEAD");
        route.day = s[2];
        if (s.size() == 5) {
          route.host = s[3];
        }
        route.seq = s.back();
        return route;
      }
    }
  }
  if (s.size() >= 3 && s.size() <= 4 && s[0] == "v1" && s[1] == "admin" && s[2] == "keys") {
    if (s.size() == 3) {
      return Allowed(RouteId::kAdminKeys, method, is_get || method == "POST", "GET, HEAD, POST");
    }
    Route r = Allowed(RouteId::kAdminKey, method, method == "DELETE", "DELETE");
    r.key_id = s[3];
    return r;
  }
  if (s.size() >= 2 && s[0] == "v1") {
    // Alerting (http/alerts_api.cc): "*" is an id.
    static constexpr struct {
      std::string_view path[3];
      size_t size;  // segments after "v1"
      const char* allow;
    } kAlerting[] = {
        {{"alerts"}, 1, "GET, HEAD"},
        {{"alerts", "rules"}, 2, "GET, HEAD, POST"},
        {{"alerts", "rules", "*"}, 3, "GET, HEAD, PUT, DELETE"},
        {{"notifications", "channels"}, 2, "GET, HEAD, POST"},
        {{"notifications", "channels", "*"}, 3, "GET, HEAD, DELETE"},
        {{"notifications", "deliveries"}, 2, "GET, HEAD"},
        {{"incidents"}, 1, "GET, HEAD, POST"},
        {{"incidents", "*"}, 2, "GET, HEAD, PATCH"},
        {{"incidents", "*", "timeline"}, 3, "POST"},
    };
    for (const auto& a : kAlerting) {
      if (s.size() - 1 != a.size) {
        continue;
      }
      bool match = true;
      for (size_t i = 0; i < a.size; ++i) {
        match = match && (a.path[i] == "*" || a.path[i] == s[i + 1]);
      }
      if (!match) {
        continue;
      }
      std::string_view allow = a.allow;
      bool ok = false;
      for (size_t i = 0; i < allow.size();) {
        size_t end = allow.find(", ", i);
        end = end == std::string_view::npos ? allow.size() : end;
        ok = ok || allow.substr(i, end - i) == method;
        i = end + 2;
      }
      return Allowed(RouteId::kAlerting, method, ok, a.allow);
    }
  }
  if (s.size() == 2 && s[0] == "v1" && s[1] == "log") {
    return Allowed(RouteId::kLog, method, method == "POST", "POST");
  }
  // The event forms: /v1/<kind>/<app>/<event>, /<kind>/<app>/<event>, /<app>/<event>.
  size_t first = (s.size() == 4 && s[0] == "v1") ? 1 : 0;
  if (s.size() - first == 3 && (s[first] == "event" || s[first] == "unique")) {
    Route r = Allowed(s[first] == "event" ? RouteId::kEvent : RouteId::kUnique, method,
                      IsWrite(method), "PUT, POST");
    r.app = s[first + 1];
    r.event = s[first + 2];
    return r;
  }
  if (s.size() == 2 && s[0] != "v1") {
    Route r = Allowed(RouteId::kEvent, method, IsWrite(method), "PUT, POST");
    r.app = s[0];
    r.event = s[1];
    return r;
  }
  return Route{};
}

}  // namespace itslog
