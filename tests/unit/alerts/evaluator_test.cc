#include "alerts/evaluator.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "alerts/dispatcher.h"
#include "alerts/incidents.h"
#include "event/json_value.h"
#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "unit/alerts/alerts_for_tests.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using std::chrono::seconds;
using testing_days::Ev;

// A data_dir with day files written by the real DayStore and a real control.sqlite.
class AlertsFixture : public ::testing::Test {
 protected:
  AlertsFixture() : env_("2025-03-01T12:00:00Z") { Reopen(); }

  // Drops every connection and opens them again, as a restarted service would.
  void Reopen() {
    evaluator_.reset();
    source_.reset();
    tables_.reset();
    db_.reset();
    db_ = testing_alerts::OpenControl(dir_.path());
    ASSERT_NE(db_, nullptr);
    tables_ = std::make_unique<AlertTables>(db_.get());
    files_ = std::make_unique<LocalDayFiles>(dir_.path(), "test");
    source_ = std::make_unique<DayFilesWindow>(files_.get(), TimeZone());
    evaluator_ = std::make_unique<Evaluator>(&env_, db_.get(), source_.get(), &log_, options_);
  }

  void Log(const std::vector<Event>& events) { testing_days::Append(&env_, dir_.path(), events); }

  std::string AddChannel(const std::string& type = "webhook") {
    NotificationChannel c = testing_alerts::Channel(type, env_.NowMicros());
    EXPECT_TRUE(tables_->InsertChannel(c).ok());
    return c.id;
  }

  AlertRule AddRule(AlertRule r) {
    r.id = NewId("rul_");
    r.created_at = r.updated_at = env_.NowMicros();
    EXPECT_TRUE(tables_->InsertRule(r).ok());
    return r;
  }

  AlertRule CountRule(const std::string& event, const std::string& cmp, double threshold,
                      int64_t window, std::vector<std::string> channels = {}) {
    AlertRule r;
    r.name = event + " rule";
    r.app = "a";
    r.event = event;
    r.comparator = cmp;
    r.threshold = threshold;
    r.window_seconds = window;
    r.channels = std::move(channels);
    return AddRule(r);
  }

  PassStats Pass() {
    PassStats stats;
    Status s = evaluator_->RunPass(&stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(stats.errors, 0);
    return stats;
  }

  std::string StateOf(const AlertRule& r) {
    auto s = tables_->GetState(r.id);
    EXPECT_TRUE(s.ok());
    return s.ok() && *s ? (*s)->state : "none";
  }

  std::vector<OutboxMessage> Outbox() {
    auto all = tables_->ListDeliveries("", 1000);
    EXPECT_TRUE(all.ok());
    std::vector<OutboxMessage> out(all->rbegin(), all->rend());  // oldest first
    return out;
  }

  std::vector<std::string> TimelineTypes(const std::string& incident) {
    std::vector<std::string> out;
    auto t = tables_->Timeline(incident);
    EXPECT_TRUE(t.ok());
    for (const TimelineEntry& e : *t) {
      out.push_back(e.event_type);
    }
    return out;
  }

  TempDir dir_;
  FakeEnv env_;
  NullLogger log_;
  EvaluatorOptions options_;
  std::unique_ptr<ControlDb> db_;
  std::unique_ptr<AlertTables> tables_;
  std::unique_ptr<LocalDayFiles> files_;
  std::unique_ptr<DayFilesWindow> source_;
  std::unique_ptr<Evaluator> evaluator_;
};

using EvaluatorTest = AlertsFixture;

TEST_F(EvaluatorTest, ErrorBurstFiresOnceOpensAnIncidentAndResolves) {
  std::string channel = AddChannel();
  AlertRule rule = CountRule("error", ">=", 3, 60, {channel});
  Log({Ev("a", "error"), Ev("a", "error"), Ev("a", "other"), Ev("b", "error")});
  env_.Advance(seconds(1));
  Pass();
  EXPECT_EQ(StateOf(rule), "ok");  // two errors of app a
  Log({Ev("a", "error")});
  env_.Advance(seconds(1));
  PassStats stats = Pass();
  EXPECT_EQ(StateOf(rule), "firing");
  EXPECT_EQ(stats.queued, 1);
  env_.Advance(seconds(1));
  EXPECT_EQ(Pass().queued, 0);  // still firing: nothing new
  std::vector<OutboxMessage> out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, "firing");
  Result<JsonValue> payload = ParseJsonValue(out[0].payload);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(payload->Find("type")->string, "alert.firing");
  EXPECT_EQ(payload->Find("value")->number, 3);
  EXPECT_EQ(payload->Find("threshold")->number, 3);
  EXPECT_EQ(payload->Find("rule")->Find("id")->string, rule.id);
  EXPECT_EQ(payload->Find("window")->Find("to")->string, "2025-03-01T12:00:02.000000Z");
  EXPECT_EQ(payload->Find("window")->Find("from")->string, "2025-03-01T11:59:02.000000Z");
  std::string incident = payload->Find("incident")->Find("id")->string;
  EXPECT_EQ(payload->Find("incident")->Find("status")->string, "triggered");

  env_.Advance(seconds(60));  // the errors leave the window
  Pass();
  EXPECT_EQ(StateOf(rule), "ok");
  out = Outbox();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].kind, "resolved");
  EXPECT_NE(out[1].message_id, out[0].message_id);
  auto inc = tables_->GetIncident(incident);
  ASSERT_TRUE(inc.ok() && *inc);
  EXPECT_EQ((*inc)->status, "resolved");
  EXPECT_EQ((*inc)->rule_id.value_or(""), rule.id);
  EXPECT_EQ(TimelineTypes(incident), (std::vector<std::string>{"triggered", "resolved"}));
  // A second burst is a new episode: a new incident.
  Log({Ev("a", "error"), Ev("a", "error"), Ev("a", "error")});
  env_.Advance(seconds(1));
  Pass();
  auto open = tables_->OpenIncidentForRule(rule.id);
  ASSERT_TRUE(open.ok() && *open);
  EXPECT_NE((*open)->id, incident);
}

TEST_F(EvaluatorTest, ForSecondsGoesThroughPendingAcrossARestart) {
  AlertRule r;
  r.name = "slow burn";
  r.app = "a";
  r.threshold = 1;
  r.window_seconds = 600;
  r.for_seconds = 60;
  AlertRule rule = AddRule(r);
  Log({Ev("a", "warn")});
  env_.Advance(seconds(1));
  Pass();
  EXPECT_EQ(StateOf(rule), "pending");
  Reopen();  // the service restarts in the middle of pending
  env_.Advance(seconds(30));
  Pass();
  EXPECT_EQ(StateOf(rule), "pending");
  env_.Advance(seconds(30));
  Pass();
  EXPECT_EQ(StateOf(rule), "firing");
  auto incidents = tables_->ListIncidents("", AppFilter{});
  ASSERT_TRUE(incidents.ok());
  EXPECT_EQ(incidents->size(), 1u);
}

TEST_F(EvaluatorTest, PendingThatClearsNeverFires) {
  AlertRule r;
  r.name = "flap";
  r.app = "a";
  r.threshold = 1;
  r.window_seconds = 10;
  r.for_seconds = 60;
  AlertRule rule = AddRule(r);
  Log({Ev("a", "x")});
  env_.Advance(seconds(1));
  Pass();
  EXPECT_EQ(StateOf(rule), "pending");
  env_.Advance(seconds(20));
  Pass();
  EXPECT_EQ(StateOf(rule), "ok");
  auto incidents = tables_->ListIncidents("", AppFilter{});
  EXPECT_TRUE(incidents->empty());
}

TEST_F(EvaluatorTest, HeartbeatRuleFiresWhenTheBeatStops) {
  AlertRule rule = CountRule("heartbeat", "<", 1, 120);
  Log({Ev("a", "heartbeat")});
  env_.Advance(seconds(60));
  Pass();
  EXPECT_EQ(StateOf(rule), "ok");
  env_.Advance(seconds(61));  // 121 s since the last beat
  Pass();
  EXPECT_EQ(StateOf(rule), "firing");
  Log({Ev("a", "heartbeat")});
  env_.Advance(seconds(1));
  Pass();
  EXPECT_EQ(StateOf(rule), "ok");
}

TEST_F(EvaluatorTest, HeartbeatOfAnAppThatNeverLoggedFires) {
  AlertRule rule = CountRule("heartbeat", "<", 1, 60);
  Pass();  // no day file at all
  EXPECT_EQ(StateOf(rule), "firing");
}

TEST_F(EvaluatorTest, WindowAcrossMidnightReadsBothDays) {
  env_.SetNow("2025-03-01T23:59:30Z");
  Log({Ev("a", "error")});
  env_.SetNow("2025-03-02T00:00:20Z");
  Log({Ev("a", "error")});
  env_.SetNow("2025-03-02T00:00:30Z");
  Reopen();
  AlertRule rule = CountRule("error", ">=", 2, 60);
  Pass();
  EXPECT_EQ(StateOf(rule), "firing");
  auto state = tables_->GetState(rule.id);
  EXPECT_EQ((*state)->value.value_or(-1), 2);
  EXPECT_TRUE(env_.FileExists(dir_.path() + "/2025-03-01-v1.itslog"));
  EXPECT_TRUE(env_.FileExists(dir_.path() + "/2025-03-02-v1.itslog"));
}

// Two hosts' files of one day, as the archive's source names them.
class TwoHosts : public DayFileSource {
 public:
  TwoHosts(std::string a, std::string b) : a_(std::move(a)), b_(std::move(b)) {}
  Result<DayFileList> Files(const std::string& day) override {
    DayFileList out;
    out.files.push_back(HostFile{"vm-a", DayFilePath(a_, day), true});
    out.files.push_back(HostFile{"vm-b", DayFilePath(b_, day), false});
    return out;
  }

 private:
  std::string a_, b_;
};

TEST_F(EvaluatorTest, AWindowAddsUpEveryFileItsSourceNames) {
  TempDir other;
  Log({Ev("a", "error"), Ev("a", "error")});
  testing_days::Append(&env_, other.path(), {Ev("a", "error"), Ev("a", "other")});
  env_.Advance(seconds(1));
  TwoHosts files(dir_.path(), other.path());
  DayFilesWindow window(&files, TimeZone());
  window.BeginPass(env_.NowMicros());
  Result<WindowAggregate> agg = window.Aggregate(
      "a", std::string("error"), env_.NowMicros() - 60000000, env_.NowMicros(), false);
  ASSERT_TRUE(agg.ok()) << agg.status().ToString();
  EXPECT_EQ(agg->count, 3);
  // The service's own source: this host's files only.
  LocalDayFiles mine(dir_.path(), "vm-a");
  DayFilesWindow local(&mine, TimeZone());
  local.BeginPass(env_.NowMicros());
  agg = local.Aggregate("a", std::nullopt, env_.NowMicros() - 60000000, env_.NowMicros(), false);
  ASSERT_TRUE(agg.ok());
  EXPECT_EQ(agg->count, 2);
}

TEST(EventSeriesTest, WindowsAgreeWithAPlainScan) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00Z");
  std::vector<Event> events;
  std::vector<std::pair<int64_t, std::optional<double>>> rows;  // what a plain scan sees
  for (int i = 0; i < 600; ++i) {
    bool numeric = i % 7 != 0;
    double v = (i * 37 % 101) - 50.5;
    Event e = Ev("a", "m", numeric ? ValueType::kReal : ValueType::kText,
                 numeric ? std::optional<std::string>(std::to_string(v)) : "x");
    testing_days::Append(&env, dir.path(), {e});
    rows.emplace_back(env.NowMicros(),
                      numeric ? std::optional<double>(std::stod(*e.value)) : std::nullopt);
    env.Advance(std::chrono::milliseconds(i % 3 == 0 ? 0 : 250));
  }
  auto reader = DayReader::Open(DayFilePath(dir.path(), "2025-03-01"));
  ASSERT_TRUE(reader.ok());
  EventSeries series;
  // Read in two steps, as passes would while rows arrive.
  ASSERT_TRUE(series.Refresh(reader->get(), 1).ok());
  EXPECT_EQ(series.size(), 600u);
  ASSERT_TRUE(series.Refresh(reader->get(), 1).ok());
  EXPECT_EQ(series.size(), 600u);
  int64_t t0 = rows.front().first;
  for (int64_t from : {t0 - 1, t0, t0 + 250000, t0 + 60000000, t0 + 200000000}) {
    for (int64_t len : {int64_t{1}, int64_t{250000}, int64_t{64000000}, int64_t{400000000}}) {
      WindowAggregate want;
      for (const auto& [ts, v] : rows) {
        if (ts >= from && ts < from + len) {
          ++want.count;
          if (v) {
            want.min = want.numeric ? std::min(want.min, *v) : *v;
            want.max = want.numeric ? std::max(want.max, *v) : *v;
            want.sum += *v;
            ++want.numeric;
          }
        }
      }
      WindowAggregate got = series.Aggregate(from, from + len);
      EXPECT_EQ(got.count, want.count) << from << " " << len;
      EXPECT_EQ(got.numeric, want.numeric) << from << " " << len;
      EXPECT_NEAR(got.sum, want.sum, 1e-6) << from << " " << len;
      if (want.numeric > 0) {
        EXPECT_EQ(got.min, want.min) << from << " " << len;
        EXPECT_EQ(got.max, want.max) << from << " " << len;
      }
    }
  }
}

TEST_F(EvaluatorTest, NumericAggregatesOfRealValues) {
  auto rule_with = [&](const std::string& aggregate, const std::string& cmp, double threshold) {
    AlertRule r;
    r.name = aggregate;
    r.app = "a";
    r.event = "queue.depth";
    r.aggregate = aggregate;
    r.comparator = cmp;
    r.threshold = threshold;
    r.window_seconds = 300;
    return AddRule(r);
  };
  AlertRule avg = rule_with("avg", ">", 2.0);
  AlertRule max = rule_with("max", ">=", 3.5);
  AlertRule min = rule_with("min", "<=", 0.5);
  AlertRule sum = rule_with("sum", ">", 6.5);
  AlertRule none = rule_with("avg", ">", 0);
  none.event = "nothing";
  ASSERT_TRUE(tables_->UpdateRule(none).ok());
  Log({Ev("a", "queue.depth", ValueType::kReal, "1.5"),
       Ev("a", "queue.depth", ValueType::kReal, "3.5"),
       Ev("a", "queue.depth", ValueType::kInteger, "2"),
       Ev("a", "queue.depth", ValueType::kText, "not a number")});
  env_.Advance(seconds(1));
  Pass();
  EXPECT_EQ(StateOf(avg), "firing");  // (1.5 + 3.5 + 2) / 3 = 2.33
  EXPECT_EQ(StateOf(max), "firing");  // 3.5
  EXPECT_EQ(StateOf(min), "ok");      // 1.5
  EXPECT_EQ(StateOf(sum), "firing");  // 7
  EXPECT_EQ(StateOf(none), "ok");     // no values: no verdict
  EXPECT_NEAR((*tables_->GetState(avg.id))->value.value_or(0), 7.0 / 3, 1e-9);
  EXPECT_FALSE((*tables_->GetState(none.id))->value.has_value());
}

TEST_F(EvaluatorTest, RepeatsWhileFiringUntilAcknowledged) {
  options_.repeat_seconds = 600;
  Reopen();
  std::string channel = AddChannel();
  AlertRule rule = CountRule("heartbeat", "<", 1, 60, {channel});
  Pass();
  EXPECT_EQ(Outbox().size(), 1u);
  env_.Advance(seconds(599));
  Pass();
  EXPECT_EQ(Outbox().size(), 1u);
  env_.Advance(seconds(1));
  Pass();
  std::vector<OutboxMessage> out = Outbox();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].kind, "firing");
  EXPECT_NE(out[1].transition, out[0].transition);
  // Acknowledged: no more repeats.
  auto open = tables_->OpenIncidentForRule(rule.id);
  ASSERT_TRUE(open.ok() && *open);
  Incident inc = **open;
  ASSERT_TRUE(
      ChangeIncidentStatus(tables_.get(), &inc, "acknowledged", "oncall", "", env_.NowMicros())
          .ok());
  env_.Advance(seconds(1200));
  Pass();
  EXPECT_EQ(Outbox().size(), 2u);
  EXPECT_EQ(StateOf(rule), "firing");
}

TEST_F(EvaluatorTest, MissedPassesAreCountedNotReplayed) {
  options_.interval_seconds = 30;
  Reopen();
  CountRule("x", ">=", 1, 60);
  EXPECT_EQ(Pass().missed, 0);
  env_.Advance(seconds(30));
  EXPECT_EQ(Pass().missed, 0);
  env_.Advance(seconds(300));  // down for ten intervals
  EXPECT_EQ(Pass().missed, 9);
  auto counters = tables_->Counters();
  EXPECT_EQ(counters->at("evaluations_missed_total"), 9);
  EXPECT_EQ(counters->at("evaluations_total"), 3);
}

TEST_F(EvaluatorTest, InactiveRulesAreNotEvaluated) {
  AlertRule r = CountRule("heartbeat", "<", 1, 60);
  r.is_active = false;
  ASSERT_TRUE(tables_->UpdateRule(r).ok());
  EXPECT_EQ(Pass().rules, 0);
  EXPECT_EQ(StateOf(r), "none");
}

TEST_F(EvaluatorTest, TimelineIsAppendOnlyAndOneOpenIncidentPerRule) {
  Incident a;
  a.title = "t";
  a.severity = "info";
  a.rule_id = "rul_x";
  ASSERT_TRUE(OpenIncident(tables_.get(), &a, "me", env_.NowMicros()).ok());
  Incident b = a;
  Status second = OpenIncident(tables_.get(), &b, "me", env_.NowMicros());
  EXPECT_FALSE(second.ok());  // the unique index refuses a second open incident of the rule
  sqlite3* raw = db_->db();
  EXPECT_NE(sqlite3_exec(raw, "UPDATE incident_timeline SET content = 'edited'", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  EXPECT_NE(sqlite3_exec(raw, "DELETE FROM incident_timeline", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_NE(sqlite3_exec(raw, "DELETE FROM incidents", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(TimelineTypes(a.id), std::vector<std::string>{"triggered"});
}

}  // namespace
}  // namespace itslog
