// HttpPost: one HTTP(S) POST through libcurl (loaded at run time, net/curl_library.h), for
// notifications: timeouts, no redirects followed, only http and https, and never a connection
// to a link-local address (cloud metadata services live there), whatever the name resolves to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace itslog {

struct HttpPostOptions {
  int64_t connect_timeout_ms = 5000;
  int64_t timeout_ms = 10000;
};

struct HttpPostResult {
  int status = 0;     // the HTTP status; 0 when there was no response
  std::string error;  // why there was no response (network error, timeout, refused address)
  std::optional<int64_t> retry_after_seconds;  // Retry-After in seconds, when sent
  bool refused_address = false;  // the name resolved to a link-local address: not tried
};

// Blocks up to options.timeout_ms. The response body is read and dropped.
HttpPostResult HttpPost(const std::string& url,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& body, const HttpPostOptions& options);

}  // namespace itslog
