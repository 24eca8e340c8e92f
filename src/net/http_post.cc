#include "net/http_post.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

#include "net/curl_library.h"

namespace itslog {

namespace {

struct CallState {
  bool refused = false;
  std::optional<int64_t> retry_after;
};

bool IsLinkLocal(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr);
    return (a >> 16) == 0xA9FE;  // 169.254.0.0/16
  }
  if (addr->sa_family == AF_INET6) {
    const uint8_t* b = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr.s6_addr;
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||
           (std::memcmp(b, kMapped, 12) == 0 && b[12] == 169 && b[13] == 254);
  }
  return false;
}

// Called by curl for every address it is about to connect to, after name resolution.
extern "C" curl_socket_t OpenSocket(void* clientp, curlsocktype purpose,
                                    struct curl_sockaddr* address) noexcept {
  (void)purpose;
  auto* state = static_cast<CallState*>(clientp);
  if (IsLinkLocal(&address->addr)) {
    state->refused = true;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

extern "C" size_t OnHeader(char* data, size_t size, size_t n, void* userdata) noexcept {
  size_t len = size * n;
  std::string_view line(data, len);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (size_t i = 0; i < kName.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(line[i])) != kName[i]) {
        match = false;
        break;
      }
    }
    if (match) {
      std::string_view v = line.substr(kName.size());
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
        v.remove_prefix(1);
      }
      int64_t seconds = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
      if (ec == std::errc() && ptr != v.data() && seconds >= 0) {
        static_cast<CallState*>(userdata)->retry_after = seconds;
      }
    }
  }
  return len;
}

extern "C" size_t Discard(char* data, size_t size, size_t n, void* userdata) noexcept {
  (void)data;
  (void)userdata;
  return size * n;
}

}  // namespace

HttpPostResult HttpPost(const std::string& url,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& body, const HttpPostOptions& options) {
  HttpPostResult result;
  Result<const CurlLibrary*> lib = LoadCurlLibrary();
  if (!lib.ok()) {
    result.error = lib.status().message();
    return result;
  }
  const CurlLibrary& c = **lib;
  CURL* h = c.easy_init();
  if (h == nullptr) {
    result.error = "cannot start a libcurl request";
    return result;
  }
  curl_slist* list = nullptr;
  for (const auto& [name, value] : headers) {
    list = c.slist_append(list, (name + ": " + value).c_str());
  }
  list = c.slist_append(list, "Expect:");  // no 100-continue round trip
  CallState state;
  c.easy_setopt(h, CURLOPT_URL, url.c_str());
  c.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  c.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  c.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  c.easy_setopt(h, CURLOPT_POST, 1L);
  c.easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  c.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  c.easy_setopt(h, CURLOPT_HTTPHEADER, list);
  c.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_ms));
  c.easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout_ms));
  c.easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
  c.easy_setopt(h, CURLOPT_OPENSOCKETDATA, &state);
  c.easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  c.easy_setopt(h, CURLOPT_HEADERDATA, &state);
  c.easy_setopt(h, CURLOPT_WRITEFUNCTION, Discard);
  c.easy_setopt(h, CURLOPT_USERAGENT, "itslog-alerts");
  CURLcode rc = c.easy_perform(h);
  if (rc == CURLE_OK) {
    long status = 0;
    c.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    result.status = static_cast<int>(status);
    result.retry_after_seconds = state.retry_after;
  } else if (state.refused) {
    result.refused_address = true;
    result.error = "the target resolves to a link-local address, which is refused";
  } else {
    result.error = std::string("network error: ") + c.easy_strerror(rc);
  }
  c.slist_free_all(list);
  c.easy_cleanup(h);
  return result;
}

}  // namespace itslog
