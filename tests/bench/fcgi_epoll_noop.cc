// Another FastCGI ceiling for `make bench`: a no-op responder without libfcgi, one epoll loop
// per process, that keeps the web server's connections open (FCGI_KEEP_CONN) and serves any
// number of them at once. It answers "204 No Content" to every request once it has read the
// whole body, like fcgi_noop. It measures what FastCGI with keep-alive could reach here, which
// libfcgi's one-connection-per-thread requests cannot show; it is not a server for real use
// (no limits, no multiplexing, no management records). Started by spawn-fcgi with the
// listening socket as fd 0.
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <unordered_map>

namespace {

// FastCGI 1.0 record types and header size.
constexpr uint8_t kBeginRequest = 1;
constexpr uint8_t kEndRequest = 3;
constexpr uint8_t kStdin = 5;
constexpr uint8_t kStdout = 6;
constexpr size_t kHeaderBytes = 8;
constexpr uint8_t kKeepConn = 1;  // FCGI_BEGIN_REQUEST flags

struct Conn {
  std::string in;
  std::string out;
  size_t out_sent = 0;
  bool keep_conn = false;
  bool close_after_write = false;
};

void AppendRecord(std::string* out, uint8_t type, uint16_t id, const std::string& content) {
  const size_t n = content.size();
  const uint8_t header[kHeaderBytes] = {1,
                                        type,
                                        static_cast<uint8_t>(id >> 8),
                                        static_cast<uint8_t>(id & 0xff),
                                        static_cast<uint8_t>(n >> 8),
                                        static_cast<uint8_t>(n & 0xff),
                                        0,
                                        0};
  out->append(reinterpret_cast<const char*>(header), kHeaderBytes);
  out->append(content);
}

void Respond(Conn* c, uint16_t id) {
  AppendRecord(&c->out, kStdout, id, "Status: 204 No Content\r\n\r\n");
  AppendRecord(&c->out, kStdout, id, "");
  // appStatus 0 (4 bytes), protocolStatus FCGI_REQUEST_COMPLETE (0), 3 reserved bytes.
  AppendRecord(&c->out, kEndRequest, id, std::string(8, '\0'));
  if (!c->keep_conn) {
    c->close_after_write = true;
  }
}

// Consumes the complete records in c->in; false on a protocol error.
bool Parse(Conn* c) {
  size_t pos = 0;
  while (c->in.size() - pos >= kHeaderBytes) {
    const auto* h = reinterpret_cast<const uint8_t*>(c->in.data() + pos);
    const size_t content = (size_t{h[4]} << 8) | h[5];
    const size_t total = kHeaderBytes + content + h[6];
    if (h[0] != 1) {
      return false;
    }
    if (c->in.size() - pos < total) {
      break;
    }
    const uint16_t id = static_cast<uint16_t>((h[2] << 8) | h[3]);
    if (h[1] == kBeginRequest && content >= 3) {
      c->keep_conn = (h[kHeaderBytes + 2] & kKeepConn) != 0;
    } else if (h[1] == kStdin && content == 0) {
      Respond(c, id);  // the end of the body: the request is complete
    }
    pos += total;
  }
  c->in.erase(0, pos);
  return true;
}

}  // namespace

int main() {
  const int listen_fd = 0;
  // Both processes may be woken for one connection: the one that finds nothing to accept
  // must not block in accept() while its kept connections wait.
  if (fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK) != 0) {
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    return 1;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.fd = listen_fd;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) != 0) {
    return 1;
  }
  std::unordered_map<int, Conn> conns;
  epoll_event events[64];
  char buf[65536];
  auto close_conn = [&](int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns.erase(fd);
  };
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd) {
        int cfd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd >= 0) {
          epoll_event cev{};
          cev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
          cev.data.fd = cfd;
          epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
          conns[cfd];
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) {
        continue;
      }
      Conn* c = &it->second;
      bool alive = true;
      for (;;) {  // edge-triggered: read until the socket is empty
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r > 0) {
          c->in.append(buf, static_cast<size_t>(r));
          continue;
        }
        if (r < 0 && errno == EINTR) {
          continue;
        }
        alive = r < 0 && errno == EAGAIN;  // else the server closed, or the socket failed
        break;
      }
      if (!Parse(c)) {
        alive = false;
      }
      while (alive && c->out_sent < c->out.size()) {
        ssize_t w = write(fd, c->out.data() + c->out_sent, c->out.size() - c->out_sent);
        if (w > 0) {
          c->out_sent += static_cast<size_t>(w);
        } else if (w < 0 && errno == EINTR) {
          continue;
        } else {
          alive = w < 0 && errno == EAGAIN;  // EPOLLOUT (edge) brings us back
          break;
        }
      }
      if (c->out_sent == c->out.size()) {
        c->out.clear();
        c->out_sent = 0;
        if (c->close_after_write) {
          alive = false;
        }
      }
      if (!alive) {
        close_conn(fd);
      }
    }
  }
}
