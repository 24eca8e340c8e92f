#include "http/error_response.h"

#include "core/json_writer.h"

namespace itslog {

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalid:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kForbidden:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kMethodNotAllowed:
      return 405;
    case Code::kTooLarge:
      return 413;
    case Code::kConflict:
      return 409;
    case Code::kUnprocessable:
      return 422;
    case Code::kRateLimited:
      return 429;
    case Code::kUnavailable:
      return 503;
    case Code::kCorrupt:
    case Code::kInternal:
      return 500;
  }
  return 500;
}

void AppendErrorObject(std::string* out, const Status& status) {
  *out += "{\"code\":";
  AppendJsonString(out, status.reason());
  *out += ",\"message\":";
  AppendJsonString(out, status.message());
  if (!status.field().empty()) {
    *out += ",\"field\":";
    AppendJsonString(out, status.field());
  }
  *out += '}';
}

Response ErrorResponse(const Status& status) {
  Response r;
  r.status = HttpStatusFor(status.code());
  r.error_code = status.reason();
  r.body = "{\"error\":";
  AppendErrorObject(&r.body, status);
  r.body += "}\n";
  if (status.code() == Code::kUnavailable || status.code() == Code::kRateLimited) {
    r.headers.emplace_back("Retry-After", "1");
  }
  if (status.code() == Code::kUnauthenticated) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"its-log\"");
  }
  return r;
}

Response MethodNotAllowedResponse(const Request& request, std::string_view allow) {
  Response r = ErrorResponse(Status(
      Code::kMethodNotAllowed, "method_not_allowed",
      Quote(request.method) + " is not allowed on this path; allowed: " + std::string(allow)));
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

}  // namespace itslog
