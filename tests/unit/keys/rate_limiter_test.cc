#include "keys/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace itslog {
namespace {

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kStart = 1000 * kSecond;  // any CLOCK_MONOTONIC reading

TEST(RateLimiterTest, FullBucketLetsABurstOfRateThenRefuses) {
  uint64_t word = 0;
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(AdmitRequest(&word, 10, kStart).allowed) << i;
  }
  RateDecision refused = AdmitRequest(&word, 10, kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);
}

TEST(RateLimiterTest, RefillsAtTheRate) {
  uint64_t word = 0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(AdmitRequest(&word, 5, kStart).allowed);
  }
  EXPECT_FALSE(AdmitRequest(&word, 5, kStart + kSecond / 5 - 1).allowed);
  EXPECT_TRUE(AdmitRequest(&word, 5, kStart + kSecond / 5).allowed);
  EXPECT_FALSE(AdmitRequest(&word, 5, kStart + kSecond / 5).allowed);
  // After a long pause the bucket is full again, not fuller.
  int allowed = 0;
  for (int i = 0; i < 20; ++i) {
    allowed += AdmitRequest(&word, 5, kStart + 100 * kSecond).allowed ? 1 : 0;
  }
  EXPECT_EQ(allowed, 5);
}

TEST(RateLimiterTest, AcceptedOverTimeStaysWithinRateTimesTimePlusBurst) {
  uint64_t word = 0;
  const int64_t rate = 50;
  int64_t allowed = 0;
  // Three seconds of requests every millisecond: far above the rate.
  for (int64_t t = 0; t <= 3 * kSecond; t += kSecond / 1000) {
    allowed += AdmitRequest(&word, rate, kStart + t).allowed ? 1 : 0;
  }
  EXPECT_LE(allowed, rate * 3 + rate);
  EXPECT_GE(allowed, rate * 3 + rate - 1);
}

TEST(RateLimiterTest, RetryAfterCoversTheWaitForOneRequest) {
  uint64_t word = 0;
  ASSERT_TRUE(AdmitRequest(&word, 1, kStart).allowed);
  RateDecision d = AdmitRequest(&word, 1, kStart + kSecond / 10);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 1);
  EXPECT_TRUE(AdmitRequest(&word, 1, kStart + kSecond).allowed);
}

TEST(RateLimiterTest, AWordFromBeforeAClockRestartCountsAsFull) {
  uint64_t word = static_cast<uint64_t>(kStart + 3600 * kSecond);  // far in "the future"
  EXPECT_TRUE(AdmitRequest(&word, 2, kStart).allowed);
  EXPECT_TRUE(AdmitRequest(&word, 2, kStart).allowed);
  EXPECT_FALSE(AdmitRequest(&word, 2, kStart).allowed);
}

TEST(RateLimiterTest, ConcurrentThreadsTogetherGetExactlyTheBurst) {
  uint64_t word = 0;
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (AdmitRequest(&word, 100, kStart).allowed) {
          allowed.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace itslog
