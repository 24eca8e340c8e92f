#include "s3store/event_name_cap.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "s3store/object_keys.h"

namespace itslog {
namespace {

constexpr char kPrefix[] = "logs/";
constexpr char kDay[] = "2025-03-01";

// What the bucket holds, shared by the "processes" (one EventNameCap each) of a test.
struct FakeBucket {
  std::mutex mu;
  std::map<std::string, std::string> objects;

  bool Has(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    return objects.contains(key);
  }
  size_t CountUnder(const std::string& prefix) {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = 0;
    for (const auto& [key, body] : objects) {
      n += key.starts_with(prefix) ? 1 : 0;
    }
    return n;
  }
  void Put(const std::string& key, const std::string& body = "{}") {
    std::lock_guard<std::mutex> lock(mu);
    objects.emplace(key, body);
  }
};

// S3 as seen by one process: counts its requests, can fail them, and can run a hook right
// after a listing (where another writer may act before this one creates its marker).
class FakeMarkers : public NameMarkerStore {
 public:
  explicit FakeMarkers(FakeBucket* bucket) : bucket_(bucket) {}

  Status CreateMarker(const std::string& key, const std::string& body) override {
    ++creates;
    if (!fail.ok()) {
      return fail;
    }
    bucket_->Put(key, body);  // If-None-Match: * keeps the first; a 412 is success here too
    return Status::Ok();
  }
  Result<bool> Exists(const std::string& key) override {
    ++heads;
    if (!fail.ok()) {
      return fail;
    }
    return bucket_->Has(key);
  }
  Status List(const std::string& prefix,
              const std::function<void(std::string_view key)>& visit) override {
    ++lists;
    if (!fail.ok()) {
      return fail;
    }
    std::vector<std::string> keys;
    {
      std::lock_guard<std::mutex> lock(bucket_->mu);
      for (const auto& [key, body] : bucket_->objects) {
        if (key.starts_with(prefix)) {
          keys.push_back(key);
        }
      }
    }
    for (const std::string& k : keys) {
      visit(k);
    }
    if (after_list) {
      after_list();
    }
    return Status::Ok();
  }

  int requests() const { return creates + heads + lists; }

  std::atomic<int> creates{0};
  std::atomic<int> heads{0};
  std::atomic<int> lists{0};
  Status fail;
  std::function<void()> after_list;

 private:
  FakeBucket* bucket_;
};

std::string Marker(const std::string& app, const std::string& event,
                   const std::string& day = kDay) {
  return NameMarkerKey(kPrefix, day, app, event);
}

std::string AppPrefix(const std::string& app, const std::string& day = kDay) {
  return NameMarkerPrefix(kPrefix, day, app);
}

TEST(EventNameCapTest, NewNamesGetAMarkerAndKnownNamesCostNoRequest) {
  FakeBucket bucket;
  FakeMarkers s3(&bucket);
  EventNameCap cap(kPrefix, 3);
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_TRUE(cap.Admit(&s3, kDay, "shop", name).ok()) << name;
  }
  EXPECT_EQ(s3.lists, 3);
  EXPECT_EQ(s3.creates, 3);
  EXPECT_EQ(bucket.CountUnder(AppPrefix("shop")), 3u);
  EXPECT_EQ(bucket.objects[Marker("shop", "b")], R"({"app":"shop","event":"b"})");
  const int before = s3.requests();
  for (int i = 0; i < 10; ++i) {
    for (const char* name : {"a", "b", "c"}) {
      ASSERT_TRUE(cap.Admit(&s3, kDay, "shop", name).ok()) << name;
    }
  }
  EXPECT_EQ(s3.requests(), before);
}

TEST(EventNameCapTest, PastTheCapANewNameIsRefusedAndKnownNamesStillWork) {
  FakeBucket bucket;
  FakeMarkers s3(&bucket);
  EventNameCap cap(kPrefix, 3);
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_TRUE(cap.Admit(&s3, kDay, "shop", name).ok());
  }
  Status s = cap.Admit(&s3, kDay, "shop", "order-1741");
  EXPECT_EQ(s.code(), Code::kUnprocessable);
  EXPECT_EQ(s.reason(), "too_many_event_names");
  EXPECT_EQ(s.field(), "event");
  EXPECT_NE(s.message().find("already has 3 distinct event names today (the limit is 3)"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("\"order-1741\""), std::string::npos) << s.message();
  EXPECT_FALSE(bucket.Has(Marker("shop", "order-1741")));
  EXPECT_EQ(bucket.CountUnder(AppPrefix("shop")), 3u);

  EXPECT_TRUE(cap.Admit(&s3, kDay, "shop", "b").ok());
  // Once a listing showed the app full, a refusal costs one HEAD, not another listing.
  const int lists = s3.lists, heads = s3.heads;
  EXPECT_EQ(cap.Admit(&s3, kDay, "shop", "order-1742").reason(), "too_many_event_names");
  EXPECT_EQ(s3.lists, lists);
  EXPECT_EQ(s3.heads, heads + 1);
  EXPECT_EQ(s3.creates, 3);
  // Another app and another day have caps of their own.
  EXPECT_TRUE(cap.Admit(&s3, kDay, "shop.x", "order-1741").ok());
  EXPECT_TRUE(cap.Admit(&s3, "2025-03-02", "shop", "order-1741").ok());
}

TEST(EventNameCapTest, OtherWritersMarkersCountAndOneListingTeachesThemAll) {
  FakeBucket bucket;
  for (const char* name : {"a", "b", "c"}) {
    bucket.Put(Marker("shop", name));  // written by other processes or hosts
  }
  FakeMarkers s3(&bucket);
  EventNameCap cap(kPrefix, 3);
  EXPECT_EQ(cap.Admit(&s3, kDay, "shop", "d").reason(), "too_many_event_names");
  EXPECT_EQ(s3.lists, 1);
  EXPECT_EQ(s3.creates, 0);
  for (const char* name : {"a", "b", "c"}) {
    EXPECT_TRUE(cap.Admit(&s3, kDay, "shop", name).ok()) << name;
  }
  EXPECT_EQ(s3.requests(), 1);
}

TEST(EventNameCapTest, AFirstUseOfAKnownNameListsOnceAndCreatesNothing) {
  FakeBucket bucket;
  bucket.Put(Marker("shop", "a"));
  bucket.Put(Marker("shop", "b"));
  FakeMarkers s3(&bucket);
  EventNameCap cap(kPrefix, 10);
  EXPECT_TRUE(cap.Admit(&s3, kDay, "shop", "a").ok());
  EXPECT_TRUE(cap.Admit(&s3, kDay, "shop", "b").ok());
  EXPECT_EQ(s3.lists, 1);
  EXPECT_EQ(s3.creates, 0);
}

TEST(EventNameCapTest, OnlyWellFormedMarkersOfTheAppCount) {
  FakeBucket bucket;
  const std::string dir = AppPrefix("shop");
  bucket.Put(dir + "README.txt");
  bucket.Put(dir + std::string(64, 'A') + ".json");  // upper-case hex
  bucket.Put(dir + "x/" + std::string(64, 'a') + ".json");
  bucket.Put(Marker("shop.x", "a"));  // an app whose name starts with "shop"
  bucket.Put(Marker("shop", "a", "2025-02-28"));
  bucket.Put(Marker("shop", "a"));
  FakeMarkers s3(&bucket);
  EventNameCap cap(kPrefix, 2);
  EXPECT_TRUE(cap.Admit(&s3, kDay, "shop", "b").ok());
  EXPECT_EQ(cap.Admit(&s3, kDay, "shop", "c").reason(), "too_many_event_names");
}

TEST(EventNameCapTest, AMarkerCreatedByARacingWriterAfterTheAppFilledAdmitsItsName) {
  FakeBucket bucket;
  FakeMarkers s3(&bucket);
  EventNameCap cap(kPrefix, 1);
  ASSERT_TRUE(cap.Admit(&s3, kDay, "shop", "a").ok());
  ASSERT_EQ(cap.Admit(&s3, kDay, "shop", "b").reason(), "too_many_event_names");
  bucket.Put(Marker("shop", "late"));  // another host admitted it in a race
  EXPECT_TRUE(cap.Admit(&s3, kDay, "shop", "late").ok());
  const int requests = s3.requests();
  EXPECT_TRUE(cap.Admit(&s3, kDay, "shop", "late").ok());
  EXPECT_EQ(s3.requests(), requests);
}

TEST(EventNameCapTest, TwoProcessesRacingOvershootByAtMostOneName) {
  // docs/DATA-FORMAT.md: at most max + P - 1 names with P processes admitting at once.
  FakeBucket bucket;
  FakeMarkers s3a(&bucket), s3b(&bucket);
  EventNameCap a(kPrefix, 3), b(kPrefix, 3);
  ASSERT_TRUE(a.Admit(&s3a, kDay, "shop", "n1").ok());
  ASSERT_TRUE(a.Admit(&s3a, kDay, "shop", "n2").ok());
  // A lists (2 names), then B lists, sees 2 and creates n3, then A creates n4.
  bool raced = false;
  s3a.after_list = [&] {
    if (!raced) {
      raced = true;
      ASSERT_TRUE(b.Admit(&s3b, kDay, "shop", "n3").ok());
    }
  };
  EXPECT_TRUE(a.Admit(&s3a, kDay, "shop", "n4").ok());
  EXPECT_TRUE(raced);
  EXPECT_EQ(bucket.CountUnder(AppPrefix("shop")), 4u);
  // Neither admits another; each still takes every name the app has.
  EXPECT_EQ(a.Admit(&s3a, kDay, "shop", "n5").reason(), "too_many_event_names");
  EXPECT_EQ(b.Admit(&s3b, kDay, "shop", "n5").reason(), "too_many_event_names");
  for (const char* name : {"n1", "n2", "n3", "n4"}) {
    EXPECT_TRUE(a.Admit(&s3a, kDay, "shop", name).ok()) << name;
    EXPECT_TRUE(b.Admit(&s3b, kDay, "shop", name).ok()) << name;
  }
}

TEST(EventNameCapTest, ThreadsOfOneProcessNeverOvershoot) {
  FakeBucket bucket;
  FakeMarkers s3(&bucket);
  EventNameCap cap(kPrefix, 3);
  constexpr int kThreads = 8;
  std::atomic<int> admitted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        // Every thread tries a name of its own and one all of them share.
        for (const std::string& name : {"mine-" + std::to_string(t), std::string("shared")}) {
          Status s = cap.Admit(&s3, kDay, "shop", name);
          if (s.ok()) {
            ++admitted;
          } else {
            EXPECT_EQ(s.reason(), "too_many_event_names");
            ++refused;
          }
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(bucket.CountUnder(AppPrefix("shop")), 3u);
  EXPECT_EQ(admitted + refused, kThreads * 5 * 2);
  EXPECT_LE(s3.creates, 3);
}

TEST(EventNameCapTest, AnS3FailureIsPassedOnAndNothingIsRemembered) {
  FakeBucket bucket;
  FakeMarkers s3(&bucket);
  EventNameCap cap(kPrefix, 3);
  s3.fail = UnavailableError("s3_unavailable", "connection refused");
  Status s = cap.Admit(&s3, kDay, "shop", "a");
  EXPECT_EQ(s.reason(), "s3_unavailable");
  EXPECT_FALSE(bucket.Has(Marker("shop", "a")));
  s3.fail = Status::Ok();
  ASSERT_TRUE(cap.Admit(&s3, kDay, "shop", "a").ok());
  EXPECT_TRUE(bucket.Has(Marker("shop", "a")));

  // The listing works, the creation fails: the name is not taken as known.
  FakeMarkers flaky(&bucket);
  EventNameCap other(kPrefix, 3);
  flaky.after_list = [&] { flaky.fail = UnavailableError("s3_unavailable", "timeout"); };
  EXPECT_EQ(other.Admit(&flaky, kDay, "shop", "b").reason(), "s3_unavailable");
  flaky.after_list = nullptr;
  flaky.fail = Status::Ok();
  const int lists = flaky.lists;
  EXPECT_TRUE(other.Admit(&flaky, kDay, "shop", "b").ok());
  EXPECT_EQ(flaky.lists, lists + 1);
  EXPECT_TRUE(bucket.Has(Marker("shop", "b")));

  // A HEAD that fails, once the app is full, is a failure too, not a refusal.
  EventNameCap small(kPrefix, 2);
  ASSERT_EQ(small.Admit(&s3, kDay, "shop", "c").reason(), "too_many_event_names");
  s3.fail = UnavailableError("s3_unavailable", "timeout");
  EXPECT_EQ(small.Admit(&s3, kDay, "shop", "d").reason(), "s3_unavailable");
}

TEST(EventNameCapTest, RemembersTwoDays) {
  FakeBucket bucket;
  FakeMarkers s3(&bucket);
  EventNameCap cap(kPrefix, 5);
  ASSERT_TRUE(cap.Admit(&s3, "2025-03-01", "shop", "a").ok());
  ASSERT_TRUE(cap.Admit(&s3, "2025-03-02", "shop", "a").ok());
  int requests = s3.requests();
  EXPECT_TRUE(cap.Admit(&s3, "2025-03-01", "shop", "a").ok());  // yesterday: still known
  EXPECT_EQ(s3.requests(), requests);
  ASSERT_TRUE(cap.Admit(&s3, "2025-03-03", "shop", "a").ok());
  requests = s3.requests();
  const int lists = s3.lists;
  EXPECT_TRUE(cap.Admit(&s3, "2025-03-01", "shop", "a").ok());  // forgotten: listed again
  EXPECT_EQ(s3.requests(), requests + 1);
  EXPECT_EQ(s3.lists, lists + 1);
}

}  // namespace
}  // namespace itslog
