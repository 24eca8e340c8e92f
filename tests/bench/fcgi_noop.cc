// The FastCGI ceiling of `make bench`: a libfcgi responder that does nothing but what every
// responder must do — accept a request, read its whole body, answer "204 No Content". Started
// by spawn-fcgi on the listening socket it passes as fd 0, like the itslog worker.
//
// usage: fcgi_noop [THREADS]   (request threads per process, each with FCGX_Accept_r; default 1)
#include <fcgiapp.h>

#include <cstdlib>
#include <thread>
#include <vector>

namespace {

void Serve() {
  FCGX_Request req;
  if (FCGX_InitRequest(&req, 0, 0) != 0) {
    return;
  }
  char buf[16384];
  while (FCGX_Accept_r(&req) >= 0) {
    while (FCGX_GetStr(buf, sizeof(buf), req.in) > 0) {
    }
    FCGX_PutS("Status: 204 No Content\r\n\r\n", req.out);
    FCGX_Finish_r(&req);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  if (threads < 1 || threads > 256) {
    return 2;
  }
  if (FCGX_Init() != 0) {
    return 1;
  }
  std::vector<std::thread> extra;
  for (int i = 1; i < threads; ++i) {
    extra.emplace_back(Serve);
  }
  Serve();
  for (std::thread& t : extra) {
    t.join();
  }
  return 0;
}
