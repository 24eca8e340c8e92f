#include "http/fcgi_adapter.h"

#include <gtest/gtest.h>

#include <map>

namespace itslog {
namespace {

TEST(FcgiAdapterTest, BuildsRequestFromParams) {
  std::map<std::string, std::string> params = {
      {"REQUEST_METHOD", "PUT"},
      {"SCRIPT_NAME", "/its-log"},
      {"PATH_INFO", "//v1//event/a/b"},
      {"QUERY_STRING", "x=1"},
      {"CONTENT_TYPE", "application/json"},
      {"HTTP_AUTHORIZATION", "Bearer k"},
      {"HTTP_X_API_KEY", "k2"},
      {"HTTP_IDEMPOTENCY_KEY", ""},
  };
  Request r = RequestFromParams([&](const char* name) -> const char* {
    auto it = params.find(name);
    return it == params.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.path, "/v1/event/a/b");
  EXPECT_EQ(r.query, "x=1");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.authorization, "Bearer k");
  EXPECT_EQ(r.api_key, "k2");
  // An empty Idempotency-Key header is present (and will be rejected as invalid).
  EXPECT_TRUE(r.has_idempotency_key);
  EXPECT_EQ(r.idempotency_key, "");
}

TEST(FcgiAdapterTest, SerializesStatusHeadersAndBody) {
  Response r;
  r.status = 405;
  r.headers.emplace_back("Allow", "POST");
  r.body = "{}";
  EXPECT_EQ(SerializeResponse(r, false),
            "Status: 405 Method Not Allowed\r\nContent-Type: application/json\r\nAllow: "
            "POST\r\nContent-Length: 2\r\nCache-Control: no-store\r\n\r\n{}");
  EXPECT_EQ(SerializeResponse(r, true).find("{}"), std::string::npos);
  Response empty;
  empty.status = 204;
  empty.content_type.clear();
  EXPECT_EQ(SerializeResponse(empty, false),
            "Status: 204 No Content\r\nCache-Control: no-store\r\n\r\n");
}

}  // namespace
}  // namespace itslog
