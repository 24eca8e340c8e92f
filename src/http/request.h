// Request and Response: what handlers see of HTTP, independent of FastCGI or CGI, so that
// they can be tested without libfcgi.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace itslog {

struct Request {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // below the mount point, with "//" collapsed: "/v1/log"
  std::string query;   // raw query string, without '?'
  std::string content_type;
  std::string authorization;    // Authorization header
  std::string api_key;          // X-API-Key header
  std::string idempotency_key;  // Idempotency-Key header
  bool has_idempotency_key = false;
  std::string last_event_id;  // Last-Event-ID header
  std::string body;
  bool body_too_large = false;  // the declared or read body exceeded the limit; body is empty
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  std::string content_type = "application/json";
  std::string body;
  std::string error_code;  // the error's "code" when this is an error response; for metrics
  // When set, the body is sent in pieces, without Content-Length, by calling stream with a
  // writer; the writer returns false once the client has gone or the worker is stopping. An
  // empty chunk sends nothing: it only asks whether to go on (false once the worker stops), so
  // that a quiet stream ends with the worker, not at its next keep-alive.
  std::function<void(const std::function<bool(std::string_view chunk)>& write)> stream;
};

// A JSON answer: status, and body with a final newline.
inline Response JsonResponse(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.body += '\n';
  return r;
}

// 204 No Content: no body, no Content-Type.
inline Response NoContentResponse() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

}  // namespace itslog
