#include "net/curl_library.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace itslog {

namespace {

constexpr const char* kSoname = "libcurl.so.4";

struct Loaded {
  CurlLibrary lib{};
  std::string error;  // empty when lib is usable
};

// Resolves one symbol into *fn; records the first failure in *error.
template <typename Fn>
void Bind(void* handle, const char* name, Fn* fn, std::string* error) {
  *fn = reinterpret_cast<Fn>(dlsym(handle, name));
  if (*fn == nullptr && error->empty()) {
    const char* why = dlerror();
    *error =
        std::string("libcurl has no ") + name + (why != nullptr ? ": " + std::string(why) : "");
  }
}

Loaded Load() {
  Loaded out;
  void* handle = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    out.error = std::string("cannot load ") + kSoname + " (Debian package libcurl4)" +
                (why != nullptr ? ": " + std::string(why) : "");
    return out;
  }
  CurlLibrary& l = out.lib;
  Bind(handle, "curl_global_init", &l.global_init, &out.error);
  Bind(handle, "curl_easy_init", &l.easy_init, &out.error);
  Bind(handle, "curl_easy_cleanup", &l.easy_cleanup, &out.error);
  Bind(handle, "curl_easy_reset", &l.easy_reset, &out.error);
  Bind(handle, "curl_easy_setopt", &l.easy_setopt, &out.error);
  Bind(handle, "curl_easy_perform", &l.easy_perform, &out.error);
  Bind(handle, "curl_easy_getinfo", &l.easy_getinfo, &out.error);
  Bind(handle, "curl_easy_strerror", &l.easy_strerror, &out.error);
  Bind(handle, "curl_slist_append", &l.slist_append, &out.error);
  Bind(handle, "curl_slist_free_all", &l.slist_free_all, &out.error);
  if (out.error.empty() && l.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    out.error = "curl_global_init failed";
  }
  return out;  // the handle is never closed: libcurl's global state lives as long as we do
}

}  // namespace

Result<const CurlLibrary*> LoadCurlLibrary() {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = Load(); });
  if (!loaded.error.empty()) {
    return Status(Code::kUnavailable, "libcurl_missing", loaded.error);
  }
  return &loaded.lib;
}

}  // namespace itslog
