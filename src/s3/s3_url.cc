#include "s3/s3_url.h"

#include <algorithm>
#include <cctype>

namespace itslog {

namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string Encode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size() + text.size() / 2);
  for (unsigned char c : text) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0xf]);
    }
  }
  return out;
}

Status ConfigError(std::string message, std::string field) {
  return InvalidError("invalid_s3_config", std::move(message), std::move(field));
}

bool ValidBucketName(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) {
    return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(b.front()) || !alnum(b.back())) {
    return false;
  }
  return std::all_of(b.begin(), b.end(), [&](char c) { return alnum(c) || c == '.' || c == '-'; });
}

}  // namespace

std::string S3EncodeKey(std::string_view key) {
  return Encode(key, /*keep_slash=*/true);
}

std::string S3EncodeQueryComponent(std::string_view text) {
  return Encode(text, /*keep_slash=*/false);
}

std::string S3CanonicalQuery(QueryParams params) {
  for (auto& [name, value] : params) {
    name = S3EncodeQueryComponent(name);
    value = S3EncodeQueryComponent(value);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) {
      out.push_back('&');
    }
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

Result<S3Endpoint> ParseS3Endpoint(std::string_view endpoint) {
  auto bad = [&](std::string_view why) {
    return InvalidError("invalid_s3_endpoint",
                        "s3.endpoint " + Quote(endpoint) + " " + std::string(why) +
                            "; write it as http(s)://host[:port], e.g. "
                            "https://s3.us-east-1.amazonaws.com",
                        "s3.endpoint");
  };
  S3Endpoint e;
  std::string_view rest = endpoint;
  if (rest.starts_with("https://")) {
    e.scheme = "https";
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    e.scheme = "http";
    rest.remove_prefix(7);
  } else {
    return bad("is not an http or https URL");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return bad("must not carry user info (credentials come from ITSLOG_S3_* variables)");
  }
  if (path.find_first_of("?#") != std::string_view::npos ||
      authority.find_first_of("?#") != std::string_view::npos) {
    return bad("must not have a query or fragment");
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return bad("has an unclosed IPv6 bracket");
    }
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return bad("has text after the IPv6 address");
      }
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || host == "[]") {
    return bad("has no host");
  }
  for (char c : host) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '[' ||
          c == ']' || c == ':')) {
      return bad("has a character a host name cannot have");
    }
  }
  if (authority.find(':') != std::string_view::npos && !authority.starts_with("[") &&
      port.empty()) {
    return bad("has an empty port");
  }
  if (!port.empty()) {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return bad("has a bad port");
    }
    int p = std::stoi(std::string(port));
    if (p < 1 || p > 65535) {
      return bad("has a port outside 1..65535");
    }
  }
  while (path.ends_with("/")) {
    path.remove_suffix(1);
  }
  e.host = std::string(host);
  e.port = std::string(port);
  e.base_path = std::string(path);
  return e;
}

std::string EffectiveS3Endpoint(const S3Config& config) {
  if (!config.endpoint.empty()) {
    return config.endpoint;
  }
  return "https://s3." + config.region + ".amazonaws.com";
}

Result<std::string> S3ObjectUrl(const S3Config& config, std::string_view key,
                                std::string_view query) {
  Result<S3Endpoint> e = ParseS3Endpoint(EffectiveS3Endpoint(config));
  if (!e.ok()) {
    return e.status();
  }
  std::string url = e->scheme + "://";
  if (!config.path_style) {
    url += config.bucket + ".";
  }
  url += e->host;
  if (!e->port.empty()) {
    url += ":" + e->port;
  }
  url += e->base_path;
  if (config.path_style) {
    url += "/" + config.bucket;
    // The bucket itself is "/bucket" (no trailing slash): the canonical URI servers compute.
    if (!key.empty()) {
      url += "/";
    }
  } else {
    url += "/";
  }
  url += S3EncodeKey(key);
  if (!query.empty()) {
    url += "?";
    url += query;
  }
  return url;
}

Status ValidateS3Config(const S3Config& config) {
  Result<S3Endpoint> e = ParseS3Endpoint(EffectiveS3Endpoint(config));
  if (!e.ok()) {
    return ConfigError(e.status().message(), "s3.endpoint");
  }
  if (config.region.empty()) {
    return ConfigError("s3.region is empty; name the bucket's region, e.g. us-east-1", "s3.region");
  }
  for (char c : config.region) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return ConfigError(
          "s3.region " + Quote(config.region) + " is not a region name (letters, digits, '-')",
          "s3.region");
    }
  }
  if (config.bucket.empty()) {
    return ConfigError("s3.bucket is not set; name the bucket to write to", "s3.bucket");
  }
  if (!ValidBucketName(config.bucket)) {
    return ConfigError("s3.bucket " + Quote(config.bucket) +
                           " is not a valid bucket name (3 to 63 of a-z, 0-9, '.', '-', "
                           "starting and ending with a letter or digit)",
                       "s3.bucket");
  }
  if (!config.path_style && e->scheme == "https" && config.bucket.find('.') != std::string::npos) {
    return ConfigError("s3.bucket " + Quote(config.bucket) +
                           " has dots, which break TLS with virtual-hosted addressing; set "
                           "s3.path_style: true",
                       "s3.path_style");
  }
  if (config.access_key_id.empty()) {
    return ConfigError("no S3 access key id: set ITSLOG_S3_ACCESS_KEY_ID", "s3.credentials");
  }
  if (config.secret_access_key.empty()) {
    return ConfigError("no S3 secret access key: set ITSLOG_S3_SECRET_ACCESS_KEY",
                       "s3.credentials");
  }
  if (config.connect_timeout_ms <= 0 || config.timeout_ms <= 0) {
    return ConfigError("s3 timeouts must be positive", "s3.timeout_ms");
  }
  if (config.retries < 0 || config.retries > 20) {
    return ConfigError("s3.retries must be 0..20, not " + std::to_string(config.retries),
                       "s3.retries");
  }
  return Status::Ok();
}

}  // namespace itslog
