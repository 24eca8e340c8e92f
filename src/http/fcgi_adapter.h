// The FastCGI (and plain CGI) adapter: the only user of libfcgi. Maps the server's params
// and body to a Request, and a Response back to the server.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/log.h"
#include "core/result.h"
#include "http/request.h"

namespace itslog {

using HandlerFn = std::function<Response(const Request&)>;

struct ServeOptions {
  int threads = 1;                   // request threads, each with its own FCGX_Request
  int64_t max_body_bytes = 1048576;  // a larger body is not read: Request::body_too_large
};

// True when fd 0 is not a listening socket, i.e. we were started as a plain CGI program.
bool StartedAsCgi();

// Opens a listening socket: "host:port", ":port" or a unix socket path. Fails kUnavailable.
Result<int> OpenListenSocket(const std::string& address, int backlog);

// Accepts and serves requests on listen_fd until the process is stopped. Blocks.
Status ServeFastCgi(int listen_fd, const ServeOptions& options, const HandlerFn& handler,
                    Logger* log);

// Serves the one CGI request described by the environment and stdin, answering on stdout.
Status ServeCgi(const ServeOptions& options, const HandlerFn& handler);

// Builds a Request from CGI-style params (REQUEST_METHOD, PATH_INFO, HTTP_AUTHORIZATION, ...)
// given by get_param; the body is read separately. Exposed for tests.
Request RequestFromParams(const std::function<const char*(const char*)>& get_param);
// "Status: 204 No Content\r\n..." followed by the body: what a FastCGI/CGI responder writes.
std::string SerializeResponse(const Response& response, bool head_only);

}  // namespace itslog
