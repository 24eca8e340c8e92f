#include "alerts/dispatcher.h"

#include <gtest/gtest.h>

#include <deque>

#include "alerts/evaluator.h"
#include "alerts/incidents.h"
#include "alerts/webhook_signature.h"
#include "event/json_value.h"
#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "unit/alerts/alerts_for_tests.h"

namespace itslog {
namespace {

using std::chrono::seconds;

using testing_alerts::kSecret;

struct Sent {
  std::string url;
  Headers headers;
  std::string body;
  std::string Header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) {
        return v;
      }
    }
    return "";
  }
};

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest() : env_("2025-03-01T12:00:00Z") {
    db_ = testing_alerts::OpenControl(dir_.path());
    tables_ = std::make_unique<AlertTables>(db_.get());
    files_ = std::make_unique<LocalDayFiles>(dir_.path(), "test");
    source_ = std::make_unique<DayFilesWindow>(files_.get(), TimeZone());
    options_.backoff_initial_ms = 1000;
    evaluator_ = std::make_unique<Evaluator>(&env_, db_.get(), source_.get(), &log_, eval_options_);
    dispatcher_ = std::make_unique<Dispatcher>(
        &env_, db_.get(), &log_,
        [this](const std::string& url, const Headers& headers, const std::string& body) {
          sent_.push_back({url, headers, body});
          HttpPostResult r;
          if (!answers_.empty()) {
            r = answers_.front();
            answers_.pop_front();
          } else {
            r.status = 200;
          }
          return r;
        },
        options_);
  }

  std::string AddChannel(const std::string& type = "webhook") {
    NotificationChannel c = testing_alerts::Channel(type, /*created_at=*/0);
    EXPECT_TRUE(tables_->InsertChannel(c).ok());
    return c.id;
  }

  // A heartbeat rule over an empty data_dir: fires at the first pass.
  AlertRule FiringRule(const std::vector<std::string>& channels) {
    AlertRule r;
    r.id = NewId("rul_");
    r.name = "beat";
    r.app = "a";
    r.event = "heartbeat";
    r.comparator = "<";
    r.threshold = 1;
    r.window_seconds = 60;
    r.channels = channels;
    EXPECT_TRUE(tables_->InsertRule(r).ok());
    return r;
  }

  void Pass() {
    PassStats stats;
    ASSERT_TRUE(evaluator_->RunPass(&stats).ok());
  }

  DeliveryStats Deliver() {
    DeliveryStats stats;
    Status s = dispatcher_->DeliverDue(&stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return stats;
  }

  OutboxMessage Only() {
    auto all = tables_->ListDeliveries("", 100);
    EXPECT_TRUE(all.ok());
    EXPECT_EQ(all->size(), 1u);
    return all->empty() ? OutboxMessage{} : all->front();
  }

  HttpPostResult Answer(int status, std::optional<int64_t> retry_after = std::nullopt) {
    HttpPostResult r;
    r.status = status;
    r.retry_after_seconds = retry_after;
    if (status == 0) {
      r.error = "network error: Timeout was reached";
    }
    return r;
  }

  TempDir dir_;
  FakeEnv env_;
  NullLogger log_;
  DispatcherOptions options_;
  EvaluatorOptions eval_options_;
  std::unique_ptr<ControlDb> db_;
  std::unique_ptr<AlertTables> tables_;
  std::unique_ptr<LocalDayFiles> files_;
  std::unique_ptr<DayFilesWindow> source_;
  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::vector<Sent> sent_;
  std::deque<HttpPostResult> answers_;
};

TEST(WebhookSignatureTest, StandardWebhooksTestVector) {
  // The specification's reference vector.
  Result<std::string> sig =
      SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                  1614265330, R"({"test": 2432232314})");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_NE(*SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                         1614265331, R"({"test": 2432232314})"),
            *sig);
  EXPECT_FALSE(SignWebhook("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "b").ok());
  EXPECT_FALSE(SignWebhook("whsec_not base64!", "m", 1, "b").ok());
}

TEST(BackoffTest, DoublesWithJitterAndACap) {
  DispatcherOptions o;
  o.backoff_initial_ms = 1000;
  o.backoff_max_ms = 10000;
  EXPECT_EQ(BackoffMicros(o, 1, 0.999999) / 1000, 999);
  EXPECT_EQ(BackoffMicros(o, 1, 0.0), 500000);
  EXPECT_EQ(BackoffMicros(o, 2, 0.0), 1000000);
  EXPECT_EQ(BackoffMicros(o, 3, 0.0), 2000000);
  EXPECT_EQ(BackoffMicros(o, 30, 0.0), 5000000);  // capped at 10 s, halved by the jitter floor
}

TEST_F(DispatcherTest, WebhookIsSignedWithCustomHeadersKept) {
  std::string channel = AddChannel();
  FiringRule({channel});
  Pass();
  env_.Advance(seconds(2));
  EXPECT_EQ(Deliver().delivered, 1);
  ASSERT_EQ(sent_.size(), 1u);
  const Sent& s = sent_[0];
  EXPECT_EQ(s.url, "http://127.0.0.1:9/hook");
  EXPECT_EQ(s.Header("X-Team"), "ops");
  EXPECT_EQ(s.Header("Content-Type"), "application/json");
  EXPECT_EQ(s.Header("webhook-id").substr(0, 4), "msg_");
  EXPECT_EQ(s.Header("webhook-timestamp"), "1740830402");
  EXPECT_EQ(s.Header("webhook-signature"),
            *SignWebhook(kSecret, s.Header("webhook-id"), 1740830402, s.body));
  OutboxMessage m = Only();
  EXPECT_EQ(m.status, "delivered");
  EXPECT_EQ(m.message_id, s.Header("webhook-id"));
  EXPECT_EQ(m.payload, s.body);
  // The incident's timeline says so.
  auto open = tables_->ListIncidents("", AppFilter{});
  ASSERT_EQ(open->size(), 1u);
  auto tl = tables_->Timeline(open->front().id);
  ASSERT_EQ(tl->size(), 2u);
  EXPECT_EQ((*tl)[1].event_type, "notified");
  EXPECT_EQ((*tl)[1].actor, "itslog");
  EXPECT_EQ(Deliver().delivered, 0);  // nothing is sent twice
}

TEST_F(DispatcherTest, RetriesKeepTheWebhookIdAndHonourRetryAfter) {
  std::string channel = AddChannel();
  FiringRule({channel});
  Pass();
  answers_ = {Answer(503), Answer(429, 7), Answer(0), Answer(200)};
  EXPECT_EQ(Deliver().retried, 1);  // 503
  OutboxMessage m = Only();
  EXPECT_EQ(m.status, "pending");
  EXPECT_EQ(m.http_status.value_or(0), 503);
  EXPECT_GE(m.next_attempt - env_.NowMicros(), 500000);
  EXPECT_LE(m.next_attempt - env_.NowMicros(), 1000000);
  EXPECT_EQ(Deliver().retried, 0);  // not due yet
  env_.Advance(seconds(1));
  EXPECT_EQ(Deliver().retried, 1);  // 429 with Retry-After: 7
  m = Only();
  EXPECT_EQ(m.next_attempt - env_.NowMicros(), 7000000);
  env_.Advance(seconds(6));
  Deliver();
  EXPECT_EQ(sent_.size(), 2u);
  env_.Advance(seconds(1));
  EXPECT_EQ(Deliver().retried, 1);  // a timeout
  EXPECT_EQ(Only().error, "network error: Timeout was reached");
  env_.Advance(seconds(5));
  EXPECT_EQ(Deliver().delivered, 1);
  ASSERT_EQ(sent_.size(), 4u);
  for (const Sent& s : sent_) {
    EXPECT_EQ(s.Header("webhook-id"), sent_[0].Header("webhook-id"));
    EXPECT_EQ(s.body, sent_[0].body);
  }
  EXPECT_EQ(Only().attempts, 4);
  auto counters = tables_->Counters();
  EXPECT_EQ(counters->at("deliveries_retried_total"), 3);
  EXPECT_EQ(counters->at("deliveries_delivered_total"), 1);
}

TEST_F(DispatcherTest, GoneDisablesTheChannel) {
  std::string channel = AddChannel();
  AlertRule rule = FiringRule({channel});
  Pass();
  answers_ = {Answer(410)};
  EXPECT_EQ(Deliver().failed, 1);
  EXPECT_EQ(Only().status, "failed");
  auto c = tables_->GetChannel(channel);
  ASSERT_TRUE(c.ok() && *c);
  EXPECT_TRUE((*c)->disabled_at.has_value());
  auto tl = tables_->Timeline(tables_->ListIncidents("", AppFilter{})->front().id);
  EXPECT_EQ(tl->back().event_type, "notify_failed");
  // The resolution is not queued for a disabled channel.
  ASSERT_TRUE(tables_
                  ->InsertRule([&] {
                    AlertRule r = rule;
                    r.id = "rul_other";
                    return r;
                  }())
                  .ok());
  Pass();
  EXPECT_EQ(tables_->ListDeliveries("", 100)->size(), 1u);
}

TEST_F(DispatcherTest, PermanentFailuresAreNotRetried) {
  std::string channel = AddChannel();
  FiringRule({channel});
  Pass();
  answers_ = {Answer(302)};
  EXPECT_EQ(Deliver().failed, 1);
  EXPECT_EQ(Only().error, "HTTP 302: redirects are not followed");
  env_.Advance(seconds(3600));
  Deliver();
  EXPECT_EQ(sent_.size(), 1u);
}

TEST_F(DispatcherTest, RetriesStopAtTheDeadline) {
  eval_options_.retry_for_seconds = 10;
  evaluator_ = std::make_unique<Evaluator>(&env_, db_.get(), source_.get(), &log_, eval_options_);
  std::string channel = AddChannel();
  FiringRule({channel});
  Pass();
  for (int i = 0; i < 10; ++i) {
    answers_.push_back(Answer(500));
  }
  for (int i = 0; i < 20; ++i) {
    Deliver();
    env_.Advance(seconds(1));
  }
  OutboxMessage m = Only();
  EXPECT_EQ(m.status, "failed");
  EXPECT_NE(m.error.find("gave up after"), std::string::npos) << m.error;
  EXPECT_LT(sent_.size(), 10u);
}

TEST_F(DispatcherTest, ResolvedSupersedesAFiringStillRetrying) {
  std::string channel = AddChannel();
  AlertRule rule = FiringRule({channel});
  Pass();
  answers_ = {Answer(500)};
  Deliver();  // the firing message waits for a retry
  ASSERT_EQ(sent_.size(), 1u);
  // A beat arrives through the day files: the rule resolves.
  rule.comparator = ">";
  ASSERT_TRUE(tables_->UpdateRule(rule).ok());
  env_.Advance(seconds(1));
  Pass();
  env_.Advance(seconds(10));
  Deliver();
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_NE(sent_[1].body.find("\"alert.resolved\""), std::string::npos) << sent_[1].body;
  auto all = tables_->ListDeliveries("", 100);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].kind, "firing");
  EXPECT_EQ((*all)[1].status, "failed");
  EXPECT_EQ((*all)[1].error, "superseded by the resolved message");
  EXPECT_EQ((*all)[0].status, "delivered");
}

TEST_F(DispatcherTest, PagerDutyTriggerAndResolveShareADedupKey) {
  std::string channel = AddChannel("pagerduty");
  AlertRule rule = FiringRule({channel});
  Pass();
  Deliver();
  rule.comparator = ">";
  ASSERT_TRUE(tables_->UpdateRule(rule).ok());
  env_.Advance(seconds(1));
  Pass();
  Deliver();
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[0].url, "http://127.0.0.1:9/v2/enqueue");
  Result<JsonValue> trigger = ParseJsonValue(sent_[0].body);
  Result<JsonValue> resolve = ParseJsonValue(sent_[1].body);
  ASSERT_TRUE(trigger.ok() && resolve.ok());
  EXPECT_EQ(trigger->Find("routing_key")->string, "rk");
  EXPECT_EQ(trigger->Find("event_action")->string, "trigger");
  EXPECT_EQ(resolve->Find("event_action")->string, "resolve");
  EXPECT_EQ(trigger->Find("dedup_key")->string, resolve->Find("dedup_key")->string);
  EXPECT_EQ(trigger->Find("dedup_key")->string.substr(0, rule.id.size()), rule.id);
  EXPECT_EQ(trigger->Find("payload")->Find("severity")->string, "warning");
  EXPECT_EQ(trigger->Find("payload")->Find("source")->string, "itslog");
  EXPECT_TRUE(sent_[0].Header("webhook-signature").empty());
}

TEST_F(DispatcherTest, TheEnvironmentMayHoldTheSecret) {
  std::string channel = AddChannel();
  FiringRule({channel});
  Pass();
  const std::string other = "whsec_" + std::string(32, 'A');
  std::string var = "ITSLOG_WEBHOOK_SECRET_";
  for (char c : channel) {
    var += c == '_' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  env_.SetVar(var, other);
  Deliver();
  ASSERT_EQ(sent_.size(), 1u);
  const Sent& s = sent_[0];
  int64_t ts = std::stoll(s.Header("webhook-timestamp"));
  EXPECT_EQ(s.Header("webhook-signature"), *SignWebhook(other, s.Header("webhook-id"), ts, s.body));
  EXPECT_NE(s.Header("webhook-signature"),
            *SignWebhook(kSecret, s.Header("webhook-id"), ts, s.body));
}

TEST_F(DispatcherTest, DeletedChannelFailsItsMessages) {
  std::string channel = AddChannel();
  FiringRule({channel});
  Pass();
  ASSERT_TRUE(*tables_->DeleteChannel(channel));
  EXPECT_EQ(Deliver().failed, 1);
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(Only().error, "the channel was deleted");
}

}  // namespace
}  // namespace itslog
