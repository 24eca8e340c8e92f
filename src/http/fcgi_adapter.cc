#include "http/fcgi_adapter.h"

#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstring>
#include <thread>
#include <vector>

#include "http/router.h"

namespace itslog {

namespace {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Content";
    case 503:
      return "Service Unavailable";
    default:
      return status < 400 ? "OK" : "Error";
  }
}

std::string Param(const std::function<const char*(const char*)>& get, const char* name) {
  const char* v = get(name);
  return v == nullptr ? std::string() : std::string(v);
}

// Parses CONTENT_LENGTH; -1 when absent, -2 when malformed.
int64_t ContentLength(const std::string& text) {
  if (text.empty()) {
    return -1;
  }
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size() || n < 0) {
    return -2;
  }
  return n;
}

// Reads the body through read_some (returns bytes read, 0 at end) up to the limit.
template <typename ReadSome>
void ReadBody(Request* request, const std::string& content_length, int64_t max_bytes,
              ReadSome read_some) {
  int64_t declared = ContentLength(content_length);
  if (declared > max_bytes) {
    request->body_too_large = true;
    return;
  }
  // Without a usable CONTENT_LENGTH read to the end, but never more than the limit allows.
  // The buffer grows as data arrives: a request without a body costs no allocation.
  const int64_t want = declared >= 0 ? declared : max_bytes + 1;
  constexpr int64_t kChunk = 64 * 1024;
  int64_t got = 0;
  while (got < want) {
    int64_t room = std::min<int64_t>(want - got, declared >= 0 ? int64_t{1} << 20 : kChunk);
    request->body.resize(static_cast<size_t>(got + room));
    int n = read_some(request->body.data() + got, static_cast<int>(room));
    if (n <= 0) {
      break;
    }
    got += n;
  }
  request->body.resize(static_cast<size_t>(got));
  if (got > max_bytes) {
    request->body.clear();
    request->body_too_large = true;
  }
}

}  // namespace

Request RequestFromParams(const std::function<const char*(const char*)>& get) {
  Request r;
  r.method = Param(get, "REQUEST_METHOD");
  r.path =
      PathBelowMount(Param(get, "SCRIPT_NAME"), Param(get, "PATH_INFO"), Param(get, "REQUEST_URI"));
  r.query = Param(get, "QUERY_STRING");
  r.content_type = Param(get, "CONTENT_TYPE");
  r.authorization = Param(get, "HTTP_AUTHORIZATION");
  r.api_key = Param(get, "HTTP_X_API_KEY");
  const char* idem = get("HTTP_IDEMPOTENCY_KEY");
  r.has_idempotency_key = idem != nullptr;
  r.idempotency_key = idem == nullptr ? "" : idem;
  r.last_event_id = Param(get, "HTTP_LAST_EVENT_ID");
  return r;
}

std::string SerializeResponse(const Response& response, bool head_only) {
  std::string out =
      "Status: " + std::to_string(response.status) + " " + ReasonPhrase(response.status) + "\r\n";
  if (!response.content_type.empty()) {
    out += "Content-Type: " + response.content_type + "\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    out += name + ": " + value + "\r\n";
  }
  if (response.status != 204 && !response.stream) {
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  }
  out += "Cache-Control: no-store\r\n\r\n";
  if (!head_only && response.status != 204) {
    out += response.body;
  }
  return out;
}

bool StartedAsCgi() {
  return FCGX_IsCGI() != 0;
}

Result<int> OpenListenSocket(const std::string& address, int backlog) {
  FCGX_Init();
  int fd = FCGX_OpenSocket(address.c_str(), backlog);
  if (fd < 0) {
    return Status(Code::kUnavailable, "listen_failed",
                  "cannot listen on " + Quote(address) + ": " + std::strerror(errno));
  }
  return fd;
}

Status ServeFastCgi(int listen_fd, const ServeOptions& options, const HandlerFn& handler,
                    Logger* log) {
  if (FCGX_Init() != 0) {
    return InternalError("FCGX_Init failed");
  }
  signal(SIGPIPE, SIG_IGN);  // a client that went away must not kill the worker
  // SIGTERM/SIGINT are taken by this thread alone (sigtimedwait below), so that libfcgi's own
  // handler never runs. To stop, request threads that wait in accept() are woken with
  // kWakeSignal (a no-op handler without SA_RESTART makes accept() fail with EINTR); a thread
  // busy with a request finishes it first. Shutting the listening socket down instead would
  // also stop the sibling processes that share it.
  constexpr int kWakeSignal = SIGUSR2;
  struct sigaction wake;
  std::memset(&wake, 0, sizeof(wake));
  wake.sa_handler = [](int) {};
  sigemptyset(&wake.sa_mask);
  sigaction(kWakeSignal, &wake, nullptr);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::atomic<bool> stopping{false};
  std::atomic<int> running{options.threads};
  auto serve = [&]() {
    FCGX_Request req;
    FCGX_InitRequest(&req, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
    while (!stopping.load()) {
      if (FCGX_Accept_r(&req) < 0) {
        if (stopping.load() || errno == EINTR) {
          continue;
        }
        log->Error(std::string("FastCGI accept failed: ") + std::strerror(errno));
        break;
      }
      auto get = [&](const char* name) { return FCGX_GetParam(name, req.envp); };
      Request request = RequestFromParams(get);
      ReadBody(&request, Param(get, "CONTENT_LENGTH"), options.max_body_bytes,
               [&](char* buf, int n) { return FCGX_GetStr(buf, n, req.in); });
      // Whether all of stdin has been read: then the connection can be closed at once.
      // Otherwise libfcgi's close drains the rest first (shutdown, then read until the web
      // server closes), so that unread data never turns into a reset the web server sees.
      const bool input_done = !request.body_too_large &&
                              (FCGX_HasSeenEOF(req.in) == EOF || FCGX_GetChar(req.in) == EOF);
      Response response = handler(request);
      std::string out = SerializeResponse(response, request.method == "HEAD");
      FCGX_PutStr(out.data(), static_cast<int>(out.size()), req.out);
      if (response.stream && request.method != "HEAD" && FCGX_FFlush(req.out) == 0) {
        response.stream([&](std::string_view chunk) {
          if (chunk.empty()) {
            return !stopping.load();
          }
          return !stopping.load() &&
                 FCGX_PutStr(chunk.data(), static_cast<int>(chunk.size()), req.out) >= 0 &&
                 FCGX_FFlush(req.out) == 0;
        });
      }
      if (input_done) {
        // Skips the drain: with all input read it would only wait for the web server to
        // close its end, which costs every request a round trip and a context switch.
        FCGX_Detach(&req);
      }
      FCGX_Finish_r(&req);
    }
    FCGX_Free(&req, 1);
    --running;
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < options.threads; ++i) {
    threads.emplace_back(serve);
  }
  const timespec tick = {0, 100 * 1000 * 1000};
  while (running.load() > 0) {
    if (sigtimedwait(&stop_signals, nullptr, &tick) > 0 && !stopping.exchange(true)) {
      log->Info("stopping: finishing requests in progress");
    }
    if (stopping.load()) {
      for (std::thread& t : threads) {
        pthread_kill(t.native_handle(), kWakeSignal);  // harmless to a finished thread
      }
    }
  }
  for (std::thread& t : threads) {
    t.join();
  }
  return Status::Ok();
}

Status ServeCgi(const ServeOptions& options, const HandlerFn& handler) {
  Request request = RequestFromParams([](const char* name) { return getenv(name); });
  const char* cl = getenv("CONTENT_LENGTH");
  ReadBody(&request, cl == nullptr ? "" : cl, options.max_body_bytes, [](char* buf, int n) {
    ssize_t r = read(STDIN_FILENO, buf, static_cast<size_t>(n));
    return static_cast<int>(r < 0 ? 0 : r);
  });
  Response response = handler(request);
  auto write_all = [](std::string_view data) {
    while (!data.empty()) {
      ssize_t n = write(STDOUT_FILENO, data.data(), data.size());
      if (n <= 0) {
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  };
  if (!write_all(SerializeResponse(response, request.method == "HEAD"))) {
    return UnavailableError("write_failed", "cannot write the CGI response");
  }
  if (response.stream && request.method != "HEAD") {
    response.stream(write_all);
  }
  return Status::Ok();
}

}  // namespace itslog
