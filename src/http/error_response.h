// The one place where a Status becomes an HTTP status and the contract's error body:
// {"error":{"code":"snake_case","message":"...","field":"..."}}.
#pragma once

#include <string_view>

#include "core/status.h"
#include "http/request.h"

namespace itslog {

int HttpStatusFor(Code code);
// Appends the error object {"code","message"[,"field"]} as JSON to out.
void AppendErrorObject(std::string* out, const Status& status);
// The whole error response, with Allow or Retry-After where the contract asks for them.
Response ErrorResponse(const Status& status);
// 405 method_not_allowed, naming request's method, with Allow: allow.
Response MethodNotAllowedResponse(const Request& request, std::string_view allow);

}  // namespace itslog
