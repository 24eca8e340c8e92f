// Addressing S3: percent-encoding of keys and query parameters exactly as SigV4 signs them,
// path-style and virtual-hosted URLs, and the checks a usable S3 configuration must pass.
// Pure: no I/O. libcurl signs the path and query verbatim (docs/DEPENDENCIES.md, rule 2), so
// every URL the client sends is built here.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/result.h"

namespace itslog {

// Percent-encodes an object key for the URL path: every byte but A-Za-z0-9 - . _ ~ and '/'
// becomes %XX (upper-case hex), as SigV4's canonical URI for S3 requires.
std::string S3EncodeKey(std::string_view key);

// Percent-encodes a query parameter name or value: every byte but A-Za-z0-9 - . _ ~.
std::string S3EncodeQueryComponent(std::string_view text);

// The canonical query string: parameters sorted by encoded name (then value), each as
// "name=value" with both encoded; a parameter without value as "name=" (e.g. "uploads=").
// Empty for no parameters.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
std::string S3CanonicalQuery(QueryParams params);

// An endpoint as the config gives it: "http(s)://host[:port][/base/path]".
struct S3Endpoint {
  std::string scheme;     // "http" or "https"
  std::string host;       // without port; a bracketed IPv6 literal keeps its brackets
  std::string port;       // "" when the URL has none
  std::string base_path;  // "" or "/some/path" without a trailing slash
};

// Fails kInvalid "invalid_s3_endpoint" for anything but an http or https URL with a host and
// without query, fragment or user info.
Result<S3Endpoint> ParseS3Endpoint(std::string_view endpoint);

// The endpoint the config names, or "https://s3.<region>.amazonaws.com" when it is empty.
std::string EffectiveS3Endpoint(const S3Config& config);

// The URL of key in the configured bucket (the bucket itself when key is empty), with query
// (already canonical, without '?') appended:
//   path style:      <scheme>://<host>[:port][base]/<bucket>/<encoded key> ("/<bucket>" alone)
//   virtual-hosted:  <scheme>://<bucket>.<host>[:port][base]/<encoded key>
// Fails as ParseS3Endpoint.
Result<std::string> S3ObjectUrl(const S3Config& config, std::string_view key,
                                std::string_view query = {});

// Checks what the client needs before it sends anything: an endpoint that parses, a region,
// a bucket name S3 accepts (3..63 of a-z 0-9 . -, starting and ending with a letter or digit;
// without dots when virtual-hosted over https, where the certificate would not match), and
// both credentials. Fails kInvalid "invalid_s3_config" with a sentence naming the setting
// (and the ITSLOG_S3_* variable for credentials); field is the config key, e.g. "s3.bucket".
Status ValidateS3Config(const S3Config& config);

}  // namespace itslog
