// The FastCGI ceiling of `make bench`: a libfcgi responder that does nothing but what every
// responder must do — accept a request, read its whole body, answer "204 No Content". Started
// by spawn-fcgi on the listening socket it passes as fd 0, like the itslog worker.
//
// usage: fcgi_noop [THREADS] [early-close]
//   THREADS      request threads per process, each with FCGX_Accept_r (default 1)
//   early-close  close the connection as soon as the answer is written, as the itslog worker
//                does once it has read all of stdin (FCGX_Detach before FCGX_Finish_r), instead
//                of libfcgi's default of waiting for the web server to close its end first
#include <fcgiapp.h>

#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

void Serve(bool early_close) {
  FCGX_Request req;
  if (FCGX_InitRequest(&req, 0, 0) != 0) {
    return;
  }
  char buf[16384];
  while (FCGX_Accept_r(&req) >= 0) {
    while (FCGX_GetStr(buf, sizeof(buf), req.in) > 0) {
    }
    FCGX_PutS("Status: 204 No Content\r\n\r\n", req.out);
    if (early_close) {
      FCGX_Detach(&req);
    }
    FCGX_Finish_r(&req);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  if (threads < 1 || threads > 256) {
    return 2;
  }
  bool early_close = false;
  if (argc > 2) {
    if (std::strcmp(argv[2], "early-close") != 0) {
      return 2;
    }
    early_close = true;
  }
  if (FCGX_Init() != 0) {
    return 1;
  }
  std::vector<std::thread> extra;
  for (int i = 1; i < threads; ++i) {
    extra.emplace_back(Serve, early_close);
  }
  Serve(early_close);
  for (std::thread& t : extra) {
    t.join();
  }
  return 0;
}
