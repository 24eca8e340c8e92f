// CurlLibrary: libcurl, loaded with dlopen(3) the first time S3 or a webhook is used.
//
// Only `itslog ship`, `import-s3` and `storage: s3` talk to S3. Linking libcurl into every
// process would map its whole dependency tree (a TLS stack, Kerberos, LDAP, ...) into each
// FastCGI worker, about 5 MiB of resident memory per worker that the local-storage path never
// uses. The functions are the library's own; only the binding is late.
#pragma once

#include <curl/curl.h>

#include "core/result.h"

namespace itslog {

struct CurlLibrary {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

// Loads libcurl (soname libcurl.so.4, Debian package libcurl4) and calls curl_global_init once
// per process; thread-safe. The library stays loaded until the process exits. Fails with
// kUnavailable "libcurl_missing" and dlerror's explanation when it cannot be loaded.
Result<const CurlLibrary*> LoadCurlLibrary();

}  // namespace itslog
