#include "net/curl_library.h"

#include <gtest/gtest.h>

namespace itslog {
namespace {

TEST(CurlLibraryTest, LoadsEveryFunctionOnce) {
  Result<const CurlLibrary*> lib = LoadCurlLibrary();
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  const CurlLibrary& l = **lib;
  EXPECT_NE(l.global_init, nullptr);
  EXPECT_NE(l.easy_init, nullptr);
  EXPECT_NE(l.easy_cleanup, nullptr);
  EXPECT_NE(l.easy_reset, nullptr);
  EXPECT_NE(l.easy_setopt, nullptr);
  EXPECT_NE(l.easy_perform, nullptr);
  EXPECT_NE(l.easy_getinfo, nullptr);
  EXPECT_NE(l.easy_strerror, nullptr);
  EXPECT_NE(l.slist_append, nullptr);
  EXPECT_NE(l.slist_free_all, nullptr);
  // The same library the second time, not a second load.
  Result<const CurlLibrary*> again = LoadCurlLibrary();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *lib);
}

TEST(CurlLibraryTest, TheLoadedFunctionsWork) {
  Result<const CurlLibrary*> lib = LoadCurlLibrary();
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  const CurlLibrary& l = **lib;
  EXPECT_STREQ(l.easy_strerror(CURLE_OK), "No error");
  CURL* curl = l.easy_init();
  ASSERT_NE(curl, nullptr);
  EXPECT_EQ(l.easy_setopt(curl, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
  curl_slist* headers = l.slist_append(nullptr, "X-Test: 1");
  ASSERT_NE(headers, nullptr);
  l.slist_free_all(headers);
  l.easy_cleanup(curl);
}

}  // namespace
}  // namespace itslog
