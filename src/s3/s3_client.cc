#include "s3/s3_client.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "core/base64.h"
#include "core/crypto.h"
#include "net/curl_library.h"
#include "s3/s3_url.h"

namespace itslog {

namespace {

constexpr char kUnsignedPayload[] = "UNSIGNED-PAYLOAD";
// Error and listing documents are small; anything bigger is not what we asked for.
constexpr int64_t kMaxXmlBytes = 16 << 20;

// What one request sends and how its answer is kept.
struct Request {
  const char* method = "GET";
  std::string key;    // "" for the bucket itself
  std::string query;  // canonical (S3CanonicalQuery)
  std::vector<std::string> headers;
  std::optional<std::string_view> memory_body;  // PUT or POST body held in memory
  const S3FileBody* file_body = nullptr;        // PUT body streamed from a file
  std::string content_sha256 = Sha256HexOfEmpty();
  int64_t max_response_bytes = kMaxXmlBytes;
  // A successful (2xx) body goes to this file at sink_offset (pwrite) instead of memory, at
  // most sink_length bytes; an error body still goes to memory.
  int sink_fd = -1;
  int64_t sink_offset = 0;
  int64_t sink_length = 0;

  static std::string Sha256HexOfEmpty() { return HexEncode(Sha256Of("")); }
};

struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  int attempts = 0;
};

// Per attempt: where the body is read from and the answer written to.
struct Transfer {
  const Request* request = nullptr;
  Response* response = nullptr;
  int64_t sent = 0;
  bool too_big = false;
  int read_errno = 0;
  long line_status = 0;  // of the latest status line seen
  int64_t received = 0;  // bytes written to the sink
  int write_errno = 0;   // the sink refused them
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* userdata) noexcept {
  auto* t = static_cast<Transfer*>(userdata);
  const size_t want = size * nitems;
  if (t->request->memory_body) {
    std::string_view body = *t->request->memory_body;
    size_t n = std::min(want, body.size() - static_cast<size_t>(t->sent));
    std::memcpy(buffer, body.data() + t->sent, n);
    t->sent += static_cast<int64_t>(n);
    return n;
  }
  const S3FileBody* f = t->request->file_body;
  int64_t left = f->length - t->sent;
  if (left <= 0) {
    return 0;
  }
  size_t n = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(want)));
  ssize_t got;
  do {
    got = pread(f->fd, buffer, n, f->offset + t->sent);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {  // an error, or the file shrank under us
    t->read_errno = got < 0 ? errno : EIO;
    return CURL_READFUNC_ABORT;
  }
  t->sent += got;
  return static_cast<size_t>(got);
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* userdata) noexcept {
  auto* t = static_cast<Transfer*>(userdata);
  const size_t n = size * nmemb;
  const Request* req = t->request;
  if (req->sink_fd >= 0 && t->line_status >= 200 && t->line_status < 300) {
    if (t->received + static_cast<int64_t>(n) > req->sink_length) {
      t->too_big = true;
      return 0;
    }
    size_t done = 0;
    while (done < n) {
      ssize_t w = pwrite(req->sink_fd, data + done, n - done,
                         req->sink_offset + t->received + static_cast<int64_t>(done));
      if (w < 0 && errno == EINTR) {
        continue;
      }
      if (w <= 0) {
        t->write_errno = w < 0 ? errno : EIO;
        return 0;
      }
      done += static_cast<size_t>(w);
    }
    t->received += static_cast<int64_t>(n);
    return n;
  }
  if (static_cast<int64_t>(t->response->body.size() + n) > t->request->max_response_bytes) {
    t->too_big = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  try {
    t->response->body.append(data, n);
  } catch (...) {
    return 0;
  }
  return n;
}

size_t WriteHeader(char* data, size_t size, size_t nitems, void* userdata) noexcept {
  auto* t = static_cast<Transfer*>(userdata);
  std::string_view line(data, size * nitems);
  try {
    if (line.starts_with("HTTP/")) {  // a new response (after 100 Continue): start over
      t->response->headers.clear();
      size_t space = line.find(' ');
      t->line_status = 0;
      if (space != std::string_view::npos && line.size() >= space + 4) {
        std::from_chars(line.data() + space + 1, line.data() + space + 4, t->line_status);
      }
      return line.size();
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return line.size();
    }
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ' ||
                              value.back() == '\t')) {
      value.remove_suffix(1);
    }
    t->response->headers[name] = std::string(value);
  } catch (...) {
    return 0;
  }
  return line.size();
}

bool RetryableCurlCode(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
      return true;
    default:
      return false;
  }
}

std::string ContentMd5Header(const Md5Digest& md5) {
  return "Content-MD5: " +
         EncodeBase64(std::string_view(reinterpret_cast<const char*>(md5.data()), md5.size()));
}

}  // namespace

struct S3Client::Impl {
  const CurlLibrary* lib = nullptr;
  CURL* curl = nullptr;
  std::string sigv4;  // "aws:amz:<region>:s3"
  std::minstd_rand rng{
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count())};

  Result<Response> Perform(const S3Config& config, const S3ClientOptions& options,
                           const std::string& describe, const Request& req);

  ~Impl() {
    if (curl != nullptr) {
      lib->easy_cleanup(curl);
    }
  }
};

S3Client::S3Client(const S3Config& config, S3ClientOptions options, std::unique_ptr<Impl> impl)
    : config_(config), options_(std::move(options)), impl_(std::move(impl)) {}

S3Client::~S3Client() = default;

Result<std::unique_ptr<S3Client>> S3Client::Create(const S3Config& config,
                                                   S3ClientOptions options) {
  if (Status s = ValidateS3Config(config); !s.ok()) {
    return s;
  }
  Result<const CurlLibrary*> lib = LoadCurlLibrary();
  if (!lib.ok()) {
    return lib.status();
  }
  auto impl = std::make_unique<Impl>();
  impl->lib = *lib;
  impl->curl = impl->lib->easy_init();
  if (impl->curl == nullptr) {
    return InternalError("cannot initialise libcurl");
  }
  impl->sigv4 = "aws:amz:" + config.region + ":s3";
  if (!options.sleep) {
    options.sleep = [](int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
  }
  return std::unique_ptr<S3Client>(new S3Client(config, std::move(options), std::move(impl)));
}

std::string S3Client::Describe(std::string_view key) const {
  return "s3://" + config_.bucket + "/" + std::string(key);
}

namespace {

// One attempt. Returns the curl code; *response holds status, headers and body.
CURLcode PerformOnce(const CurlLibrary& lib, CURL* curl, const S3Config& config,
                     const std::string& sigv4, const std::string& url, const Request& req,
                     Response* response, Transfer* t, std::string* curl_error) {
  lib.easy_reset(curl);
  *response = Response();
  t->request = &req;
  t->response = response;
  t->sent = 0;
  t->too_big = false;
  t->read_errno = 0;
  t->line_status = 0;
  t->received = 0;
  t->write_errno = 0;
  char errbuf[CURL_ERROR_SIZE] = {};

  lib.easy_setopt(curl, CURLOPT_URL, url.c_str());
  lib.easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  lib.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  lib.easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
  // Rule 4: USERNAME/PASSWORD, never USERPWD (a secret may contain ':').
  lib.easy_setopt(curl, CURLOPT_USERNAME, config.access_key_id.c_str());
  lib.easy_setopt(curl, CURLOPT_PASSWORD, config.secret_access_key.c_str());
  lib.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.connect_timeout_ms));
  int64_t body_bytes = req.file_body != nullptr ? req.file_body->length
                       : req.memory_body        ? static_cast<int64_t>(req.memory_body->size())
                                                : req.sink_length;
  // The whole request may take timeout_ms plus the time to move the body at 256 KiB/s; a
  // transfer that stalls (under 1 byte/s) for timeout_ms fails sooner.
  int64_t total_ms = config.timeout_ms + body_bytes / 262;
  lib.easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(total_ms));
  lib.easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  lib.easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                  static_cast<long>(std::max<int64_t>(1, config.timeout_ms / 1000)));
  lib.easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  lib.easy_setopt(curl, CURLOPT_HEADERDATA, t);
  lib.easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  lib.easy_setopt(curl, CURLOPT_WRITEDATA, t);

  std::string method = req.method;
  if (method == "HEAD") {
    lib.easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (method == "PUT") {
    lib.easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    lib.easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
    lib.easy_setopt(curl, CURLOPT_READDATA, t);
    lib.easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_bytes));
  } else if (method == "POST") {
    std::string_view body = req.memory_body.value_or(std::string_view());
    lib.easy_setopt(curl, CURLOPT_POST, 1L);
    lib.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    lib.easy_setopt(curl, CURLOPT_POSTFIELDS, body.data() != nullptr ? body.data() : "");
  } else if (method == "DELETE") {
    lib.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
  } else {
    lib.easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }

  // Rule 1: curl does not send x-amz-content-sha256; S3 requires it and curl signs it.
  curl_slist* headers = nullptr;
  auto add = [&](const std::string& h) {
    curl_slist* n = lib.slist_append(headers, h.c_str());
    if (n != nullptr) {
      headers = n;
    }
  };
  add("x-amz-content-sha256: " + req.content_sha256);
  if (!config.session_token.empty()) {
    add("x-amz-security-token: " + config.session_token);
  }
  for (const std::string& h : req.headers) {
    add(h);
  }
  lib.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = lib.easy_perform(curl);
  long status = 0;
  lib.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response->status = status;
  lib.easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  lib.slist_free_all(headers);
  if (rc != CURLE_OK) {
    *curl_error = errbuf[0] != '\0' ? errbuf : lib.easy_strerror(rc);
    if (t->read_errno != 0) {
      *curl_error =
          std::string("cannot read the file being uploaded: ") + std::strerror(t->read_errno);
    }
  }
  return rc;
}

}  // namespace

// Runs a request with retries. Returns the response for 2xx; otherwise the mapped Status.
Result<Response> S3Client::Impl::Perform(const S3Config& config, const S3ClientOptions& options,
                                         const std::string& describe, const Request& req) {
  Impl* impl = this;
  Result<std::string> url_or = S3ObjectUrl(config, req.key, req.query);
  if (!url_or.ok()) {
    return url_or.status();
  }
  const std::string& url = *url_or;
  const std::string what = std::string(req.method) + " " + describe;
  const int attempts = 1 + static_cast<int>(std::max<int64_t>(0, config.retries));
  Status last;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    Response response;
    Transfer transfer;
    std::string curl_error;
    CURLcode rc = PerformOnce(*impl->lib, impl->curl, config, impl->sigv4, url, req, &response,
                              &transfer, &curl_error);
    bool retry = false;
    if (rc != CURLE_OK) {
      if (transfer.too_big) {
        return Status(
            Code::kInternal, kS3RequestFailed,
            what + (req.sink_fd >= 0
                        ? ": the answer is larger than the " + std::to_string(req.sink_length) +
                              " bytes asked for (does the server ignore Range?)"
                        : ": the answer is larger than " + std::to_string(req.max_response_bytes) +
                              " bytes"));
      }
      if (transfer.read_errno != 0) {
        return Status(Code::kUnavailable, "storage_unavailable", what + ": " + curl_error);
      }
      if (transfer.write_errno != 0) {
        return Status(Code::kUnavailable, "storage_unavailable",
                      what + ": cannot write the file being downloaded: " +
                          std::strerror(transfer.write_errno));
      }
      last = Status(Code::kUnavailable, kS3Unavailable,
                    what + ": " + curl_error + " (endpoint " + EffectiveS3Endpoint(config) + ")");
      retry = RetryableCurlCode(rc);
    } else if (response.status >= 200 && response.status < 300) {
      if (req.sink_fd >= 0 && transfer.received != req.sink_length) {
        // Connection closed early without curl noticing (no length given): try again.
        last = Status(Code::kUnavailable, kS3Unavailable,
                      what + ": the answer ended after " + std::to_string(transfer.received) +
                          " of " + std::to_string(req.sink_length) + " bytes");
        retry = true;
      } else {
        response.attempts = attempt;
        return response;
      }
    } else {
      S3ErrorBody error = ParseS3Error(response.body);
      last = S3StatusFor(static_cast<int>(response.status), error, what);
      retry = S3Retryable(static_cast<int>(response.status), error);
    }
    if (!retry || attempt == attempts) {
      break;
    }
    int64_t cap = std::min(options.backoff_max_ms, options.backoff_base_ms << (attempt - 1));
    std::uniform_int_distribution<int64_t> jitter(cap / 2, std::max<int64_t>(cap / 2, cap));
    int64_t wait_ms = jitter(impl->rng);
    if (options.log) {
      options.log(last.message() + "; retrying in " + std::to_string(wait_ms) + " ms (attempt " +
                  std::to_string(attempt + 1) + " of " + std::to_string(attempts) + ")");
    }
    options.sleep(wait_ms);
  }
  if (last.ok()) {
    return InternalError(what + ": no attempt was made");
  }
  return last;
}

Result<S3PutResult> S3Client::PutObject(std::string_view key, std::string_view body,
                                        const S3PutOptions& options) {
  Request req;
  req.method = "PUT";
  req.key = std::string(key);
  req.memory_body = body;
  req.content_sha256 = HexEncode(Sha256Of(body));
  // Rule 3: an explicit Content-Type, never a removed one.
  req.headers.push_back("Content-Type: " + options.content_type);
  req.headers.push_back(ContentMd5Header(Md5Of(body)));
  if (options.if_none_match) {
    req.headers.push_back("If-None-Match: *");
  }
  for (const auto& [name, value] : options.metadata) {
    req.headers.push_back("x-amz-meta-" + name + ": " + value);
  }
  Result<Response> r = impl_->Perform(config_, options_, Describe(key), req);
  if (!r.ok()) {
    return r.status();
  }
  return S3PutResult{UnquoteEtag(r->headers["etag"]), r->attempts};
}

Result<S3PutResult> S3Client::PutObjectFromFile(std::string_view key, const S3FileBody& body,
                                                const S3PutOptions& options) {
  Request req;
  req.method = "PUT";
  req.key = std::string(key);
  req.file_body = &body;
  req.content_sha256 = body.sha256_hex.empty() ? kUnsignedPayload : body.sha256_hex;
  req.headers.push_back("Content-Type: " + options.content_type);
  if (body.md5) {
    req.headers.push_back(ContentMd5Header(*body.md5));
  }
  if (options.if_none_match) {
    req.headers.push_back("If-None-Match: *");
  }
  for (const auto& [name, value] : options.metadata) {
    req.headers.push_back("x-amz-meta-" + name + ": " + value);
  }
  Result<Response> r = impl_->Perform(config_, options_, Describe(key), req);
  if (!r.ok()) {
    return r.status();
  }
  return S3PutResult{UnquoteEtag(r->headers["etag"]), r->attempts};
}

Result<S3ObjectInfo> S3Client::HeadObject(std::string_view key) {
  Request req;
  req.method = "HEAD";
  req.key = std::string(key);
  Result<Response> r = impl_->Perform(config_, options_, Describe(key), req);
  if (!r.ok()) {
    return r.status();
  }
  S3ObjectInfo info;
  info.etag = UnquoteEtag(r->headers["etag"]);
  const std::string& length = r->headers["content-length"];
  auto [p, ec] = std::from_chars(length.data(), length.data() + length.size(), info.size);
  if (length.empty() || ec != std::errc() || p != length.data() + length.size()) {
    return Status(Code::kInternal, kS3RequestFailed,
                  "HEAD " + Describe(key) + ": the answer has no usable Content-Length");
  }
  for (const auto& [name, value] : r->headers) {
    if (name.starts_with("x-amz-meta-")) {
      info.metadata[name.substr(11)] = value;
    }
  }
  return info;
}

Result<std::string> S3Client::GetObject(std::string_view key, int64_t max_bytes) {
  Request req;
  req.method = "GET";
  req.key = std::string(key);
  req.max_response_bytes = max_bytes;
  Result<Response> r = impl_->Perform(config_, options_, Describe(key), req);
  if (!r.ok()) {
    return r.status();
  }
  return std::move(r->body);
}

Status S3Client::GetObjectRangeToFile(std::string_view key, int64_t offset, int64_t length,
                                      int fd) {
  Request req;
  req.method = "GET";
  req.key = std::string(key);
  req.headers.push_back("Range: bytes=" + std::to_string(offset) + "-" +
                        std::to_string(offset + length - 1));
  req.sink_fd = fd;
  req.sink_offset = offset;
  req.sink_length = length;
  Result<Response> r = impl_->Perform(config_, options_, Describe(key), req);
  return r.ok() ? Status::Ok() : r.status();
}

Status S3Client::DeleteObject(std::string_view key) {
  Request req;
  req.method = "DELETE";
  req.key = std::string(key);
  Result<Response> r = impl_->Perform(config_, options_, Describe(key), req);
  return r.status();
}

Result<S3ListPage> S3Client::ListObjectsPage(std::string_view prefix, std::string_view continuation,
                                             int max_keys) {
  QueryParams q = {
      {"list-type", "2"}, {"max-keys", std::to_string(max_keys)}, {"prefix", std::string(prefix)}};
  if (!continuation.empty()) {
    q.emplace_back("continuation-token", std::string(continuation));
  }
  Request req;
  req.method = "GET";
  req.query = S3CanonicalQuery(std::move(q));
  Result<Response> r = impl_->Perform(config_, options_, Describe(std::string(prefix) + "*"), req);
  if (!r.ok()) {
    return r.status();
  }
  return ParseListObjectsV2(r->body);
}

Status S3Client::ListObjects(std::string_view prefix,
                             const std::function<Status(const S3ListedObject&)>& visit) {
  std::string token;
  do {
    Result<S3ListPage> page = ListObjectsPage(prefix, token);
    if (!page.ok()) {
      return page.status();
    }
    for (const S3ListedObject& o : page->objects) {
      if (Status s = visit(o); !s.ok()) {
        return s;
      }
    }
    if (page->truncated && page->next_token == token) {
      return Status(Code::kInternal, kS3RequestFailed,
                    "the S3 server repeated a continuation token while listing " +
                        Describe(std::string(prefix) + "*"));
    }
    token = page->truncated ? page->next_token : std::string();
  } while (!token.empty());
  return Status::Ok();
}

Result<std::string> S3Client::CreateMultipartUpload(std::string_view key,
                                                    const S3PutOptions& options) {
  Request req;
  req.method = "POST";
  req.key = std::string(key);
  req.query = S3CanonicalQuery({{"uploads", ""}});
  req.memory_body = std::string_view();
  req.headers.push_back("Content-Type: " + options.content_type);
  for (const auto& [name, value] : options.metadata) {
    req.headers.push_back("x-amz-meta-" + name + ": " + value);
  }
  Result<Response> r = impl_->Perform(config_, options_, Describe(key), req);
  if (!r.ok()) {
    return r.status();
  }
  std::optional<std::string> id = XmlFirst(r->body, "UploadId");
  if (!id || id->empty()) {
    return Status(Code::kInternal, kS3RequestFailed,
                  "POST " + Describe(key) + "?uploads: the answer has no UploadId");
  }
  return std::move(*id);
}

Result<std::string> S3Client::UploadPart(std::string_view key, std::string_view upload_id,
                                         int part_number, const S3FileBody& body) {
  Request req;
  req.method = "PUT";
  req.key = std::string(key);
  req.query = S3CanonicalQuery(
      {{"partNumber", std::to_string(part_number)}, {"uploadId", std::string(upload_id)}});
  req.file_body = &body;
  req.content_sha256 = body.sha256_hex.empty() ? kUnsignedPayload : body.sha256_hex;
  req.headers.push_back("Content-Type: application/octet-stream");
  if (body.md5) {
    req.headers.push_back(ContentMd5Header(*body.md5));
  }
  Result<Response> r = impl_->Perform(config_, options_,
                                      Describe(key) + " part " + std::to_string(part_number), req);
  if (!r.ok()) {
    return r.status();
  }
  std::string etag = UnquoteEtag(r->headers["etag"]);
  if (etag.empty()) {
    return Status(Code::kInternal, kS3RequestFailed,
                  "PUT " + Describe(key) + " part " + std::to_string(part_number) +
                      ": the answer has no ETag");
  }
  return etag;
}

std::string CompleteMultipartXml(const std::vector<S3Part>& parts) {
  std::string xml = "<CompleteMultipartUpload>";
  for (const S3Part& p : parts) {
    xml += "<Part><PartNumber>" + std::to_string(p.number) + "</PartNumber><ETag>" +
           XmlEscape("\"" + p.etag + "\"") + "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  return xml;
}

Result<S3PutResult> S3Client::CompleteMultipartUpload(std::string_view key,
                                                      std::string_view upload_id,
                                                      const std::vector<S3Part>& parts,
                                                      bool if_none_match) {
  std::string xml = CompleteMultipartXml(parts);
  Request req;
  req.method = "POST";
  req.key = std::string(key);
  req.query = S3CanonicalQuery({{"uploadId", std::string(upload_id)}});
  req.memory_body = xml;
  req.content_sha256 = HexEncode(Sha256Of(xml));
  req.headers.push_back("Content-Type: application/xml");
  if (if_none_match) {
    req.headers.push_back("If-None-Match: *");
  }
  Result<Response> r = impl_->Perform(config_, options_, Describe(key), req);
  if (!r.ok()) {
    return r.status();
  }
  // S3 may answer 200 and still fail: the error is then in the body.
  S3ErrorBody error = ParseS3Error(r->body);
  if (!error.code.empty()) {
    return S3StatusFor(500, error, "POST " + Describe(key) + "?uploadId");
  }
  std::optional<std::string> etag = XmlFirst(r->body, "ETag");
  return S3PutResult{UnquoteEtag(etag.value_or(r->headers["etag"])), r->attempts};
}

Status S3Client::AbortMultipartUpload(std::string_view key, std::string_view upload_id) {
  Request req;
  req.method = "DELETE";
  req.key = std::string(key);
  req.query = S3CanonicalQuery({{"uploadId", std::string(upload_id)}});
  Result<Response> r = impl_->Perform(config_, options_, Describe(key), req);
  return r.status();
}

}  // namespace itslog
