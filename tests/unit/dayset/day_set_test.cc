#include "dayset/day_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "store/day_store.h"
#include "unit/dayset/fixed_day_files_for_tests.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using std::chrono::microseconds;
using testing_days::Ev;

// Several hosts, each with its own data_dir and DayStore (meta.host = its name), writing at
// the times a shared FakeEnv says; the files of a day are listed by host as an archive would.
class DaySetTest : public ::testing::Test {
 protected:
  DaySetTest() : env_("2025-03-01T10:00:00Z"), set_(&files_, TimeZone()) {}

  // Stores e as host's at the env's time; returns its seq.
  int64_t Log(const std::string& host, const Event& e) {
    auto [it, fresh] = dirs_.try_emplace(host);
    if (fresh) {
      it->second = std::make_unique<TempDir>();
    }
    StoreOptions o;
    o.data_dir = it->second->path();
    o.host = host;
    DayStore store(&env_, o);
    auto r = store.Append(std::span<const Event>(&e, 1));
    EXPECT_TRUE(r.ok() && (*r)[0].ok());
    const AppendOutcome& out = *(*r)[0];
    std::vector<HostFile>& list = files_.days[out.day];
    HostFile f{host, DayFilePath(it->second->path(), out.day), host == "a"};
    if (std::find_if(list.begin(), list.end(), [&](const HostFile& h) { return h.host == host; }) ==
        list.end()) {
      list.push_back(f);
      std::sort(list.begin(), list.end(),
                [](const HostFile& x, const HostFile& y) { return x.host < y.host; });
    }
    if (!out.duplicate) {
      logged_.push_back({out.day, env_.NowMicros(), host, out.seq, e.app, e.name});
    }
    return out.seq;
  }

  // "day/host/seq" of each event of a page.
  static std::vector<std::string> Names(const std::vector<HostRow>& rows) {
    std::vector<std::string> out;
    for (const HostRow& r : rows) {
      out.push_back(r.row.day + "/" + r.host + "/" + std::to_string(r.row.seq));
    }
    return out;
  }

  // What every page together must hold: the logged events in (day, ts, host, seq) order.
  std::vector<std::string> Expected(const std::string& app = "",
                                    const std::string& event = "") const {
    auto sorted = logged_;
    std::sort(sorted.begin(), sorted.end(), [](const Logged& x, const Logged& y) {
      return std::tie(x.day, x.ts, x.host, x.seq) < std::tie(y.day, y.ts, y.host, y.seq);
    });
    std::vector<std::string> out;
    for (const Logged& l : sorted) {
      if ((app.empty() || l.app == app) && (event.empty() || l.event == event)) {
        out.push_back(l.day + "/" + l.host + "/" + std::to_string(l.seq));
      }
    }
    return out;
  }

  EventQuery Query(const std::string& first, const std::string& last, int64_t limit) {
    EventQuery q;
    q.first_day = first;
    q.last_day = last;
    q.since = TimeZone().StartOfDay(first);
    q.until = EndOfDay(TimeZone(), last);
    q.limit = limit;
    return q;
  }

  // Follows the pages of q to the end; every page but the last is full.
  std::vector<std::string> AllPages(EventQuery q, int* pages = nullptr) {
    std::vector<std::string> out;
    for (int page = 1; page < 1000; ++page) {
      Result<EventPage> p = set_.Events(q);
      EXPECT_TRUE(p.ok()) << p.status().ToString();
      if (!p.ok()) {
        break;
      }
      std::vector<std::string> got = Names(p->events);
      out.insert(out.end(), got.begin(), got.end());
      if (!p->more) {
        if (pages != nullptr) {
          *pages = page;
        }
        break;
      }
      EXPECT_EQ(static_cast<int64_t>(p->events.size()), q.limit);
      const HostRow& last = p->events.back();
      q.after = EventPosition{last.row.day, last.row.ts, last.host, last.row.seq};
    }
    return out;
  }

  struct Logged {
    std::string day;
    int64_t ts;
    std::string host;
    int64_t seq;
    std::string app;
    std::string event;
  };

  FakeEnv env_;
  FixedDayFiles files_;
  DaySet set_;
  std::map<std::string, std::unique_ptr<TempDir>> dirs_;
  std::vector<Logged> logged_;
};

TEST_F(DaySetTest, EventsComeByTimeThenHostThenSeq) {
  Log("b", Ev("shop", "view"));  // the same microsecond on three hosts
  Log("c", Ev("shop", "view"));
  Log("a", Ev("shop", "view"));
  env_.Advance(microseconds(1));
  Log("a", Ev("shop", "buy"));
  Log("a", Ev("shop", "buy"));  // a tie within a host: by seq
  env_.Advance(microseconds(5));
  Log("c", Ev("blog", "read"));
  Result<EventPage> page = set_.Events(Query("2025-03-01", "2025-03-01", 100));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(Names(page->events),
            (std::vector<std::string>{"2025-03-01/a/1", "2025-03-01/b/1", "2025-03-01/c/1",
                                      "2025-03-01/a/2", "2025-03-01/a/3", "2025-03-01/c/2"}));
  EXPECT_FALSE(page->more);
  EXPECT_EQ(page->hosts, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(page->events[5].row.app, "blog");
  EXPECT_EQ(page->events[5].row.event, "read");
}

// Three hosts, two days, ties in time across hosts and within one: every page size from 1 to
// 7 gives every event exactly once, in order, whatever the filter.
TEST_F(DaySetTest, PagesCrossDaysAndHostsWithoutLossOrRepeat) {
  const char* hosts[] = {"a", "b", "c"};
  for (const char* day : {"2025-03-01T10:00:00Z", "2025-03-02T08:00:00Z"}) {
    env_.SetNow(day);
    for (int i = 0; i < 12; ++i) {
      // Host i%3 logs one or two events at this microsecond; every third step, all hosts do.
      Log(hosts[i % 3], Ev(i % 2 ? "shop" : "blog", i % 4 ? "view" : "buy"));
      if (i % 3 == 0) {
        Log(hosts[(i + 1) % 3], Ev("shop", "view"));
        Log(hosts[(i + 2) % 3], Ev("blog", "buy"));
      }
      if (i % 5 == 0) {
        Log(hosts[i % 3], Ev("shop", "buy"));
      }
      env_.Advance(microseconds(i % 2 ? 1 : 1000));
    }
  }
  const std::vector<std::string> all = Expected();
  ASSERT_EQ(all.size(), 2u * (12 + 4 * 2 + 3));
  for (int limit = 1; limit <= 7; ++limit) {
    int pages = 0;
    EXPECT_EQ(AllPages(Query("2025-03-01", "2025-03-02", limit), &pages), all) << limit;
    EXPECT_EQ(pages, static_cast<int>((all.size() + limit - 1) / limit)) << limit;
  }
  // By app (several event ids: a scan of the log) and by one event name of one app (through
  // the index).
  EventQuery shop = Query("2025-03-01", "2025-03-02", 3);
  shop.wanted = [](const EventName& n) { return n.app == "shop"; };
  EXPECT_EQ(AllPages(shop), Expected("shop"));
  EventQuery buys = Query("2025-03-01", "2025-03-02", 2);
  buys.wanted = [](const EventName& n) { return n.app == "blog" && n.name == "buy"; };
  std::vector<std::string> want = Expected("blog", "buy");
  EXPECT_EQ(AllPages(buys), want);
  EXPECT_GT(want.size(), 4u);
}

TEST_F(DaySetTest, SinceAndUntilCutEveryHostAlike) {
  Log("a", Ev("shop", "early"));
  Log("b", Ev("shop", "early"));
  env_.SetNow("2025-03-01T12:00:00Z");
  Log("b", Ev("shop", "noon"));
  Log("a", Ev("shop", "noon"));
  env_.SetNow("2025-03-01T13:00:00Z");
  Log("a", Ev("shop", "late"));
  EventQuery q = Query("2025-03-01", "2025-03-01", 1);
  q.since = *ParseIso8601Micros("2025-03-01T11:00:00Z");
  q.until = *ParseIso8601Micros("2025-03-01T12:30:00Z");
  EXPECT_EQ(AllPages(q), (std::vector<std::string>{"2025-03-01/a/2", "2025-03-01/b/2"}));
}

TEST_F(DaySetTest, AUniqueStoredByTwoHostsCountsOnce) {
  Log("b", Ev("shop", "login", ValueType::kText, std::nullopt, true));
  env_.Advance(microseconds(10));
  Log("a", Ev("shop", "login", ValueType::kText, std::nullopt, true));
  Log("a", Ev("shop", "signup", ValueType::kText, std::nullopt, true));
  Log("a", Ev("shop", "signup", ValueType::kText, std::nullopt, true));  // a duplicate on a
  Log("c", Ev("blog", "login", ValueType::kText, std::nullopt, true));
  Log("c", Ev("shop", "plain"));
  Result<DayUniques> u = set_.Uniques("2025-03-01", nullptr);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  std::vector<std::string> names;
  for (const EventName& n : u->names) {
    names.push_back(n.app + "/" + n.name);
  }
  // In the order first logged: b's login came before a's.
  EXPECT_EQ(names, (std::vector<std::string>{"shop/login", "shop/signup", "blog/login"}));
  EXPECT_EQ(u->hosts, (std::vector<std::string>{"a", "b", "c"}));
  Result<DayUniques> blog =
      set_.Uniques("2025-03-01", [](const EventName& n) { return n.app == "blog"; });
  ASSERT_TRUE(blog.ok());
  ASSERT_EQ(blog->names.size(), 1u);
  EXPECT_EQ(blog->names[0].name, "login");
  Result<DayUniques> none = set_.Uniques("2025-03-02", nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->names.empty());
  EXPECT_TRUE(none->hosts.empty());
}

TEST_F(DaySetTest, CountsAddUpAcrossHosts) {
  Log("a", Ev("shop", "buy", ValueType::kInteger, "3"));
  Log("b", Ev("shop", "buy", ValueType::kInteger, "-4"));
  Log("b", Ev("shop", "view"));
  env_.SetNow("2025-03-01T11:30:00Z");
  Log("c", Ev("shop", "buy", ValueType::kInteger, "10"));
  Log("a", Ev("shop", "view"));
  Log("a", Ev("blog", "read"));
  Result<DayCounts> day = set_.Counts("2025-03-01", nullptr, false);
  ASSERT_TRUE(day.ok()) << day.status().ToString();
  EXPECT_EQ(day->hosts, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(day->cells.size(), 3u);
  EXPECT_EQ(day->cells[0].app + "/" + day->cells[0].event, "blog/read");
  EXPECT_EQ(day->cells[1].app + "/" + day->cells[1].event, "shop/buy");
  EXPECT_EQ(day->cells[1].agg.count, 3);
  EXPECT_EQ(day->cells[1].agg.int_sum, 9);
  EXPECT_EQ(day->cells[1].agg.int_min, -4);
  EXPECT_EQ(day->cells[1].agg.int_max, 10);
  EXPECT_EQ(day->cells[2].agg.count, 2);
  Result<DayCounts> hourly = set_.Counts(
      "2025-03-01", [](const EventName& n) { return n.name == "buy"; }, true);
  ASSERT_TRUE(hourly.ok());
  ASSERT_EQ(hourly->cells.size(), 2u);
  EXPECT_EQ(hourly->cells[0].hour, 10);
  EXPECT_EQ(hourly->cells[0].agg.count, 2);
  EXPECT_EQ(hourly->cells[0].agg.int_sum, -1);
  EXPECT_EQ(hourly->cells[1].hour, 11);
  EXPECT_EQ(hourly->cells[1].agg.count, 1);
  // This host logs more later (its own file grows; the others' are sealed archive files): the
  // cached aggregates follow.
  Log("a", Ev("shop", "buy", ValueType::kInteger, "1"));
  Result<DayCounts> again = set_.Counts("2025-03-01", nullptr, false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->cells[1].agg.count, 4);
  EXPECT_EQ(again->cells[1].agg.int_sum, 10);
}

TEST_F(DaySetTest, OneEventByHostOrThisHosts) {
  Log("a", Ev("shop", "mine"));
  Log("b", Ev("shop", "theirs"));
  Log("b", Ev("shop", "theirs2"));
  Result<std::optional<HostRow>> own = set_.Event("2025-03-01", "", 1);
  ASSERT_TRUE(own.ok());
  ASSERT_TRUE(own->has_value());
  EXPECT_EQ((*own)->host, "a");
  EXPECT_EQ((*own)->row.event, "mine");
  Result<std::optional<HostRow>> theirs = set_.Event("2025-03-01", "b", 2);
  ASSERT_TRUE(theirs.ok());
  ASSERT_TRUE(theirs->has_value());
  EXPECT_EQ((*theirs)->host, "b");
  EXPECT_EQ((*theirs)->row.event, "theirs2");
  EXPECT_EQ((*theirs)->row.day, "2025-03-01");
  for (auto [host, seq] : {std::pair<const char*, int>{"a", 2}, {"", 2}, {"c", 1}, {"b", 3}}) {
    Result<std::optional<HostRow>> none = set_.Event("2025-03-01", host, seq);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value()) << host << "/" << seq;
  }
  Result<std::optional<HostRow>> no_day = set_.Event("2025-02-01", "", 1);
  ASSERT_TRUE(no_day.ok());
  EXPECT_FALSE(no_day->has_value());
}

TEST_F(DaySetTest, TheSourcesFailureIsTheAnswer) {
  Log("a", Ev("shop", "view"));
  files_.fail = UnavailableError("s3_unavailable", "the bucket cannot be reached");
  EXPECT_EQ(set_.Events(Query("2025-03-01", "2025-03-01", 10)).status().reason(), "s3_unavailable");
  EXPECT_EQ(set_.Counts("2025-03-01", nullptr, false).status().code(), Code::kUnavailable);
  EXPECT_EQ(set_.Uniques("2025-03-01", nullptr).status().code(), Code::kUnavailable);
  EXPECT_EQ(set_.Event("2025-03-01", "a", 1).status().code(), Code::kUnavailable);
  files_.fail = CorruptError("archive_corrupt", "2025-03-01/hosts/b/2025-03-01-v1.itslog");
  EXPECT_EQ(set_.Counts("2025-03-01", nullptr, false).status().reason(), "archive_corrupt");
}

// A file listed but gone by the time it is read (shipped and removed): as if not listed.
TEST_F(DaySetTest, AFileGoneSinceListedIsSkipped) {
  Log("a", Ev("shop", "view"));
  Log("b", Ev("shop", "view"));
  files_.days["2025-03-01"].push_back(HostFile{"z", dirs_["a"]->path() + "/gone.itslog", false});
  Result<EventPage> page = set_.Events(Query("2025-03-01", "2025-03-01", 10));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(Names(page->events), (std::vector<std::string>{"2025-03-01/a/1", "2025-03-01/b/1"}));
  EXPECT_EQ(page->hosts, (std::vector<std::string>{"a", "b"}));
  Result<DayCounts> counts = set_.Counts("2025-03-01", nullptr, false);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->cells.at(0).agg.count, 2);
}

}  // namespace
}  // namespace itslog
