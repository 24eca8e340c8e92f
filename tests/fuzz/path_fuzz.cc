// Fuzzes the parsers of the request line: the mount-point split and the router.
#include <cstddef>
#include <cstdint>
#include <string>

#include "http/router.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  // Split the input into SCRIPT_NAME, PATH_INFO and REQUEST_URI at the first two NULs.
  size_t a = input.find('\0');
  size_t b = a == std::string::npos ? std::string::npos : input.find('\0', a + 1);
  std::string script = a == std::string::npos ? "" : input.substr(0, a);
  std::string info = b == std::string::npos ? "" : input.substr(a + 1, b - a - 1);
  std::string uri = b == std::string::npos ? input : input.substr(b + 1);
  std::string path = itslog::PathBelowMount(script, info, uri);
  if (path.empty() || path[0] != '/' || path.find("//") != std::string::npos) {
    __builtin_trap();  // the router relies on a normalised path
  }
  for (const char* method : {"GET", "PUT", "POST", "DELETE"}) {
    itslog::Route r = itslog::MatchRoute(method, path);
    if (r.id == itslog::RouteId::kMethodNotAllowed && r.allow.empty()) {
      __builtin_trap();
    }
  }
  return 0;
}
