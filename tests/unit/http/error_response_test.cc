#include "http/error_response.h"

#include <gtest/gtest.h>

namespace itslog {
namespace {

TEST(ErrorResponseTest, MapsEveryCodeToItsStatus) {
  const struct {
    Code code;
    int status;
  } cases[] = {
      {Code::kInvalid, 400},       {Code::kUnauthenticated, 401},  {Code::kForbidden, 403},
      {Code::kNotFound, 404},      {Code::kMethodNotAllowed, 405}, {Code::kTooLarge, 413},
      {Code::kUnprocessable, 422}, {Code::kUnavailable, 503},      {Code::kCorrupt, 500},
      {Code::kInternal, 500},      {Code::kConflict, 409},         {Code::kRateLimited, 429},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(HttpStatusFor(c.code), c.status);
  }
}

TEST(ErrorResponseTest, BodyHasContractShape) {
  Response r = ErrorResponse(InvalidError("invalid_value", "bad \"x\"\n", "value"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body,
            "{\"error\":{\"code\":\"invalid_value\",\"message\":\"bad \\\"x\\\"\\n\","
            "\"field\":\"value\"}}\n");
  r = ErrorResponse(Status(Code::kNotFound, "not_found", "no"));
  EXPECT_EQ(r.body, "{\"error\":{\"code\":\"not_found\",\"message\":\"no\"}}\n");
}

TEST(ErrorResponseTest, UnavailableCarriesRetryAfter) {
  Response r = ErrorResponse(UnavailableError("lock_timeout", "busy"));
  EXPECT_EQ(r.status, 503);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Retry-After");
}

TEST(ErrorResponseTest, RateLimitedCarriesRetryAfter) {
  Response r = ErrorResponse(Status(Code::kRateLimited, "rate_limited", "slow down"));
  EXPECT_EQ(r.status, 429);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Retry-After");
}

TEST(ErrorResponseTest, MethodNotAllowedNamesTheMethodAndAllow) {
  Request request;
  request.method = "PATCH";
  Response r = MethodNotAllowedResponse(request, "GET, HEAD");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.error_code, "method_not_allowed");
  EXPECT_EQ(r.body,
            "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"\\\"PATCH\\\" is not "
            "allowed on this path; allowed: GET, HEAD\"}}\n");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], std::make_pair(std::string("Allow"), std::string("GET, HEAD")));
}

TEST(ResponseTest, JsonEndsWithANewlineAndNoContentHasNoType) {
  Response r = JsonResponse(201, "{}");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{}\n");
  r = NoContentResponse();
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.content_type, "");
  EXPECT_EQ(r.body, "");
}

}  // namespace
}  // namespace itslog
