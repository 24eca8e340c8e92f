#include "store/day_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "core/host_id.h"
#include "core/time_util.h"
#include "lib/fake_env.h"
#include "lib/temp_dir.h"

namespace itslog {
namespace {

// ---------------------------------------------------------------------------------------------
// Reading files back by another road: the plain SQLite C API and a chain checker written from
// docs/DATA-FORMAT.md, not DayStore.

class Sqlite {
 public:
  explicit Sqlite(const std::string& path, bool writable = false) {
    int flags = writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    }
  }
  ~Sqlite() { sqlite3_close_v2(db_); }
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;

  // Runs sql; returns the result code and fills *error with SQLite's message on failure.
  int Exec(const std::string& sql, std::string* error = nullptr) {
    char* msg = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg);
    if (error != nullptr) {
      *error = msg != nullptr ? msg : "";
    }
    sqlite3_free(msg);
    return rc;
  }

  // Every row of a query, each column as text ("NULL" for SQL NULL, hex for blobs).
  std::vector<std::vector<std::string>> Query(const std::string& sql) {
    std::vector<std::vector<std::string>> rows;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return rows;
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_NULL:
            row.push_back("NULL");
            break;
          case SQLITE_BLOB:
            row.push_back(HexEncode(static_cast<const uint8_t*>(sqlite3_column_blob(stmt, i)),
                                    sqlite3_column_bytes(stmt, i)));
            break;
          default:
            row.push_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)),
                                      sqlite3_column_bytes(stmt, i)));
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    return rows;
  }

  std::string One(const std::string& sql) {
    auto rows = Query(sql);
    return rows.empty() || rows[0].empty() ? std::string("<no row>") : rows[0][0];
  }
  int64_t Int(const std::string& sql) { return std::stoll(One(sql)); }

 private:
  sqlite3* db_ = nullptr;
};

struct Row {
  int64_t seq = 0;
  int64_t ts = 0;
  std::string app, event;
  int type = 0;
  std::optional<std::string> value;
  int is_unique = 0;
  std::string hash;  // raw 32 bytes
};

std::vector<Row> ReadRows(const std::string& path) {
  std::vector<Row> rows;
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db,
                              "SELECT l.seq, l.ts, e.app, e.name, l.type, l.value, l.is_unique, "
                              "l.hash FROM log l JOIN events e ON e.id = l.event ORDER BY l.seq",
                              -1, &stmt, nullptr);
  EXPECT_EQ(rc, SQLITE_OK) << path << ": " << sqlite3_errmsg(db);
  auto text = [&](int i) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_blob(stmt, i)),
                       sqlite3_column_bytes(stmt, i));
  };
  while (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
    Row r;
    r.seq = sqlite3_column_int64(stmt, 0);
    r.ts = sqlite3_column_int64(stmt, 1);
    r.app = text(2);
    r.event = text(3);
    r.type = sqlite3_column_int(stmt, 4);
    if (sqlite3_column_type(stmt, 5) != SQLITE_NULL) {
      r.value = text(5);
    }
    r.is_unique = sqlite3_column_int(stmt, 6);
    r.hash = text(7);
    rows.push_back(std::move(r));
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  return rows;
}

std::map<std::string, std::string> ReadMeta(const std::string& path) {
  std::map<std::string, std::string> meta;
  Sqlite db(path);
  for (auto& row : db.Query("SELECT key, value FROM meta")) {
    meta[row[0]] = row[1];
  }
  return meta;
}

// docs/DATA-FORMAT.md, "Hash chain", byte by byte.
std::string ChainMessage(const std::string& prev, const Row& r) {
  std::string m = prev;
  auto be = [&m](uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
      m.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
  };
  be(r.seq, 8);
  be(r.ts, 8);
  be(r.app.size(), 4);
  m += r.app;
  be(r.event.size(), 4);
  m += r.event;
  be(r.type, 1);
  be(r.value ? 1 : 0, 1);
  be(r.value ? r.value->size() : 0, 4);
  m += r.value.value_or("");
  return m;
}

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Re-checks a file: seq dense from 1, ts never decreasing, every hash as the doc defines it.
// Returns "" when all is well, else what is wrong; *last_hash gets the last hash (hex).
std::string VerifyChain(const std::string& path, std::string* last_hash = nullptr) {
  auto meta = ReadMeta(path);
  if (meta["chain_seed"].size() != 64) {
    return "bad chain_seed";
  }
  std::string prev = FromHex(meta["chain_seed"]);
  int64_t expected_seq = 1;
  int64_t last_ts = INT64_MIN;
  for (const Row& r : ReadRows(path)) {
    if (r.seq != expected_seq) {
      return "seq " + std::to_string(r.seq) + " where " + std::to_string(expected_seq) +
             " was expected";
    }
    if (r.ts < last_ts) {
      return "ts decreases at seq " + std::to_string(r.seq);
    }
    Digest d = Sha256Of(ChainMessage(prev, r));
    std::string h(d.begin(), d.end());
    if (h != r.hash) {
      return "hash mismatch at seq " + std::to_string(r.seq);
    }
    prev = h;
    last_ts = r.ts;
    ++expected_seq;
  }
  if (last_hash != nullptr) {
    *last_hash = HexEncode(reinterpret_cast<const uint8_t*>(prev.data()), prev.size());
  }
  return "";
}

std::string LastHash(const std::string& path) {
  std::string h;
  EXPECT_EQ(VerifyChain(path, &h), "") << path;
  return h;
}

// ---------------------------------------------------------------------------------------------

StoreOptions Options(const std::string& dir) {
  StoreOptions o;
  o.data_dir = dir;
  o.host = "test-host";
  return o;
}

Event Ev(std::string name, std::optional<std::string> value = std::string("1"),
         std::string app = "app") {
  Event e;
  e.app = std::move(app);
  e.name = std::move(name);
  e.value = std::move(value);
  return e;
}

Event Unique(std::string name, std::string app = "app") {
  Event e = Ev(std::move(name), std::nullopt, std::move(app));
  e.is_unique = true;
  return e;
}

Event Keyed(std::string name, std::string key, std::string app = "app") {
  Event e = Ev(std::move(name), std::string("v"), std::move(app));
  e.idempotency_key = std::move(key);
  return e;
}

Result<AppendOutcome> AppendOne(DayStore& store, const Event& e) {
  auto r = store.Append(std::span<const Event>(&e, 1));
  if (!r.ok()) {
    return r.status();
  }
  return r->at(0);
}

std::string Path(const TempDir& dir, const std::string& day) {
  return dir.path() + "/" + day + "-v1.itslog";
}

std::vector<std::string> EventNamesIn(const std::string& path) {
  std::vector<std::string> names;
  for (const Row& r : ReadRows(path)) {
    names.push_back(r.event);
  }
  return names;
}

const std::string kZeroHash(64, '0');

std::string FileBytes(const std::string& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) {
    out.append(buf, n);
  }
  std::fclose(f);
  return out;
}

// ---------------------------------------------------------------------------------------------

TEST(DayStoreTest, DayFileNameAndPath) {
  EXPECT_EQ(DayFileName("2025-03-01"), "2025-03-01-v1.itslog");
  EXPECT_EQ(DayFilePath("/d", "2025-03-01"), "/d/2025-03-01-v1.itslog");
  EXPECT_EQ(DayFilePath("/d/", "2025-03-01"), "/d/2025-03-01-v1.itslog");
}

TEST(DayStoreTest, FirstAppendCreatesTheFileWithSchemaAndMeta) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00.123456Z");
  DayStore store(&env, Options(dir.path()));
  Result<AppendOutcome> r = AppendOne(store, Ev("signup", "42"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->seq, 1);
  EXPECT_FALSE(r->duplicate);
  EXPECT_EQ(r->day, "2025-03-01");

  std::string path = Path(dir, "2025-03-01");
  auto meta = ReadMeta(path);
  EXPECT_EQ(meta, (std::map<std::string, std::string>{{"format", "itslog"},
                                                      {"version", "1"},
                                                      {"day", "2025-03-01"},
                                                      {"timezone", "UTC"},
                                                      {"chain_seed", kZeroHash},
                                                      {"host", "test-host"}}));
  Sqlite db(path);
  EXPECT_EQ(db.One("PRAGMA journal_mode"), "wal");
  std::set<std::string> objects;
  for (auto& row : db.Query("SELECT type || ' ' || name FROM sqlite_master "
                            "WHERE name NOT LIKE 'sqlite_autoindex%'")) {
    objects.insert(row[0]);
  }
  EXPECT_EQ(objects, (std::set<std::string>{
                         "table meta",
                         "table events",
                         "table log",
                         "table uniques",
                         "table idempotency",
                         "index log_event_ts",
                         "view entries",
                         "trigger log_no_update",
                         "trigger log_no_delete",
                         "trigger events_no_update",
                         "trigger events_no_delete",
                         "trigger uniques_no_update",
                         "trigger uniques_no_delete",
                         "trigger idempotency_no_update",
                         "trigger idempotency_no_delete",
                     }));
  auto rows = ReadRows(path);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].seq, 1);
  EXPECT_EQ(rows[0].ts, *ParseIso8601Micros("2025-03-01T12:00:00.123456Z"));
  EXPECT_EQ(rows[0].app, "app");
  EXPECT_EQ(rows[0].event, "signup");
  EXPECT_EQ(rows[0].type, 3);
  EXPECT_EQ(rows[0].value, "42");
  EXPECT_EQ(rows[0].is_unique, 0);
  EXPECT_EQ(VerifyChain(path), "");
}

TEST(DayStoreTest, MetaHostDefaultsToTheLowerCasedHostname) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00Z");
  StoreOptions o = Options(dir.path());
  o.host.clear();
  DayStore store(&env, o);
  ASSERT_TRUE(AppendOne(store, Ev("signup", "1")).ok());
  const std::string host = ReadMeta(Path(dir, "2025-03-01"))["host"];
  EXPECT_EQ(host, DefaultHostId());
  for (char c : host) {
    EXPECT_FALSE(c >= 'A' && c <= 'Z') << host;
  }
}

TEST(DayStoreTest, EntriesViewShowsIsoTimeAndNames) {
  TempDir dir;
  FakeEnv env("2025-03-01T09:05:07.000042Z");
  DayStore store(&env, Options(dir.path()));
  Event e = Ev("pay", "3.5", "shop");
  e.type = ValueType::kReal;
  ASSERT_TRUE(AppendOne(store, e).ok());
  ASSERT_TRUE(AppendOne(store, Ev("empty", std::nullopt, "shop")).ok());
  Sqlite db(Path(dir, "2025-03-01"));
  EXPECT_EQ(db.Query("SELECT * FROM entries ORDER BY seq"),
            (std::vector<std::vector<std::string>>{
                {"1", "2025-03-01T09:05:07.000042Z", "shop", "pay", "3.5", "2", "0"},
                {"2", "2025-03-01T09:05:07.000042Z", "shop", "empty", "NULL", "3", "0"}}));
}

TEST(DayStoreTest, EmptyBatchStoresNothingAndCreatesNoFile) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00Z");
  DayStore store(&env, Options(dir.path()));
  auto r = store.Append({});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_FALSE(std::filesystem::exists(Path(dir, "2025-03-01")));
}

TEST(DayStoreTest, SeqIsDenseAndChainVerifiesOverManyAppendsAndBatches) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00Z");
  DayStore store(&env, Options(dir.path()));
  int64_t expected = 1;
  for (int i = 0; i < 20; ++i) {
    env.Advance(std::chrono::microseconds(7));
    Result<AppendOutcome> r = AppendOne(store, Ev("e" + std::to_string(i % 3), std::to_string(i)));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->seq, expected++);
  }
  std::vector<Event> batch = {Ev("a", "x"), Ev("b", std::nullopt), Ev("a", "\xc3\xa9t\xc3\xa9")};
  auto r = store.Append(batch);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  for (auto& o : *r) {
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o->seq, expected++);
  }
  std::string path = Path(dir, "2025-03-01");
  EXPECT_EQ(VerifyChain(path), "");
  auto rows = ReadRows(path);
  ASSERT_EQ(rows.size(), 23u);
  // One batch, one timestamp.
  EXPECT_EQ(rows[20].ts, rows[22].ts);
  EXPECT_EQ(rows[21].value, std::nullopt);
  EXPECT_EQ(rows[22].value, "\xc3\xa9t\xc3\xa9");
}

TEST(DayStoreTest, TwoStoresInterleavingOnOneFileKeepTheChain) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00Z");
  DayStore a(&env, Options(dir.path()));
  DayStore b(&env, Options(dir.path()));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(AppendOne(i % 2 ? a : b, Ev("e", std::to_string(i))).ok());
    // The same name through both: each store has its own cache of ids.
    ASSERT_TRUE(AppendOne(i % 2 ? b : a, Ev("e", std::to_string(i))).ok());
  }
  std::string path = Path(dir, "2025-03-01");
  EXPECT_EQ(VerifyChain(path), "");
  EXPECT_EQ(ReadRows(path).size(), 20u);
  EXPECT_EQ(Sqlite(path).Int("SELECT count(*) FROM events"), 1);
}

TEST(DayStoreTest, TimestampNeverDecreasesWhenTheClockStepsBack) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00.500000Z");
  DayStore store(&env, Options(dir.path()));
  ASSERT_TRUE(AppendOne(store, Ev("a")).ok());
  env.SetNow("2025-03-01T12:00:00.100000Z");
  ASSERT_TRUE(AppendOne(store, Ev("b")).ok());
  auto rows = ReadRows(Path(dir, "2025-03-01"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].ts, rows[0].ts);
  EXPECT_EQ(VerifyChain(Path(dir, "2025-03-01")), "");
}

TEST(DayStoreTest, EventAfterMidnightGoesToNextDaysFileChainedToTheOldOne) {
  TempDir dir;
  FakeEnv env("2025-03-01T23:59:59.999999Z");
  DayStore store(&env, Options(dir.path()));
  ASSERT_TRUE(AppendOne(store, Ev("before")).ok());
  env.Advance(std::chrono::microseconds(1));
  Result<AppendOutcome> r = AppendOne(store, Ev("after"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->day, "2025-03-02");
  EXPECT_EQ(r->seq, 1);
  std::string old_path = Path(dir, "2025-03-01");
  std::string new_path = Path(dir, "2025-03-02");
  EXPECT_EQ(EventNamesIn(old_path), std::vector<std::string>{"before"});
  EXPECT_EQ(EventNamesIn(new_path), std::vector<std::string>{"after"});
  EXPECT_EQ(ReadRows(old_path)[0].ts, *ParseIso8601Micros("2025-03-01T23:59:59.999999Z"));
  EXPECT_EQ(ReadRows(new_path)[0].ts, *ParseIso8601Micros("2025-03-02T00:00:00Z"));
  std::string old_last = LastHash(old_path);
  EXPECT_NE(old_last, kZeroHash);
  EXPECT_EQ(ReadMeta(new_path)["chain_seed"], old_last);
  EXPECT_EQ(VerifyChain(new_path), "");
  // The old day's connection was closed: its WAL was checkpointed into the file (reading
  // the seed read-only may leave an empty WAL behind).
  EXPECT_TRUE(!std::filesystem::exists(old_path + "-wal") ||
              std::filesystem::file_size(old_path + "-wal") == 0);
}

TEST(DayStoreTest, SeedIsZeroWhenThePreviousDayIsMissing) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  {
    DayStore store(&env, Options(dir.path()));
    ASSERT_TRUE(AppendOne(store, Ev("a")).ok());
  }
  env.SetNow("2025-03-03T10:00:00Z");  // 2025-03-02 has no file
  DayStore store(&env, Options(dir.path()));
  ASSERT_TRUE(AppendOne(store, Ev("b")).ok());
  EXPECT_EQ(ReadMeta(Path(dir, "2025-03-03"))["chain_seed"], kZeroHash);
}

TEST(DayStoreTest, SeedOfAnEmptyPreviousDayIsItsOwnSeed) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  {
    DayStore store(&env, Options(dir.path()));
    ASSERT_TRUE(AppendOne(store, Ev("a")).ok());
  }
  env.SetNow("2025-03-02T10:00:00Z");
  {
    // Day 2 gets a file whose only event is refused by the cap: it has meta but no rows.
    StoreOptions o = Options(dir.path());
    o.max_event_names_per_app_per_day = 0;
    DayStore store(&env, o);
    auto r = AppendOne(store, Ev("refused"));
    ASSERT_FALSE(r.ok());
  }
  std::string day1_last = LastHash(Path(dir, "2025-03-01"));
  EXPECT_EQ(ReadMeta(Path(dir, "2025-03-02"))["chain_seed"], day1_last);
  EXPECT_TRUE(ReadRows(Path(dir, "2025-03-02")).empty());
  env.SetNow("2025-03-03T10:00:00Z");
  DayStore store(&env, Options(dir.path()));
  ASSERT_TRUE(AppendOne(store, Ev("c")).ok());
  EXPECT_EQ(ReadMeta(Path(dir, "2025-03-03"))["chain_seed"], day1_last);
}

TEST(DayStoreTest, UnreadablePreviousDayRefusesToStartANewChain) {
  TempDir dir;
  {
    FILE* f = std::fopen(Path(dir, "2025-03-01").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(
        "this is not a database, just some text long enough to have a header......\n"
        "................................................................................",
        f);
    std::fclose(f);
  }
  FakeEnv env("2025-03-02T10:00:00Z");
  DayStore store(&env, Options(dir.path()));
  Result<AppendOutcome> r = AppendOne(store, Ev("a"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorrupt);
  EXPECT_NE(r.status().message().find("move it aside"), std::string::npos) << r.status().message();
  // Nothing was initialised: once the file is moved away, the day starts with a zero seed.
  std::filesystem::rename(Path(dir, "2025-03-01"), dir.path() + "/broken");
  ASSERT_TRUE(AppendOne(store, Ev("a")).ok());
  EXPECT_EQ(ReadMeta(Path(dir, "2025-03-02"))["chain_seed"], kZeroHash);
}

TEST(DayStoreTest, ConfiguredTimeZoneChoosesTheDay) {
  Result<TimeZone> zone = TimeZone::Load("America/New_York");
  if (!zone.ok()) {
    GTEST_SKIP() << "no zoneinfo for America/New_York";
  }
  TempDir dir;
  FakeEnv env("2025-03-02T04:59:59.999999Z");  // 23:59:59.999999 in New York (EST)
  StoreOptions o = Options(dir.path());
  o.zone = *zone;
  DayStore store(&env, o);
  ASSERT_TRUE(AppendOne(store, Ev("late")).ok());
  env.Advance(std::chrono::microseconds(1));
  ASSERT_TRUE(AppendOne(store, Ev("early")).ok());
  EXPECT_EQ(EventNamesIn(Path(dir, "2025-03-01")), std::vector<std::string>{"late"});
  EXPECT_EQ(EventNamesIn(Path(dir, "2025-03-02")), std::vector<std::string>{"early"});
  EXPECT_EQ(ReadMeta(Path(dir, "2025-03-01"))["timezone"], "America/New_York");
}

TEST(DayStoreTest, UniqueEventIsStoredOncePerDay) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  DayStore store(&env, Options(dir.path()));
  ASSERT_TRUE(AppendOne(store, Ev("other")).ok());
  Result<AppendOutcome> first = AppendOne(store, Unique("first-login"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->seq, 2);
  ASSERT_TRUE(AppendOne(store, Ev("other")).ok());
  Result<AppendOutcome> again = AppendOne(store, Unique("first-login"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->seq, 2);
  // Another app's event of the same name is its own unique event.
  Result<AppendOutcome> other_app = AppendOne(store, Unique("first-login", "app2"));
  ASSERT_TRUE(other_app.ok());
  EXPECT_FALSE(other_app->duplicate);

  std::string path = Path(dir, "2025-03-01");
  auto rows = ReadRows(path);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].is_unique, 1);
  EXPECT_EQ(rows[1].event, "first-login");
  Sqlite db(path);
  EXPECT_EQ(db.Query("SELECT u.day, e.app, e.name, u.seq FROM uniques u JOIN events e "
                     "ON e.id = u.event ORDER BY u.seq"),
            (std::vector<std::vector<std::string>>{{"2025-03-01", "app", "first-login", "2"},
                                                   {"2025-03-01", "app2", "first-login", "4"}}));
  EXPECT_EQ(VerifyChain(path), "");

  env.SetNow("2025-03-02T10:00:00Z");
  Result<AppendOutcome> next_day = AppendOne(store, Unique("first-login"));
  ASSERT_TRUE(next_day.ok());
  EXPECT_FALSE(next_day->duplicate);
  EXPECT_EQ(next_day->day, "2025-03-02");
}

TEST(DayStoreTest, IdempotencyKeyStoresOnce) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  DayStore store(&env, Options(dir.path()));
  Result<AppendOutcome> first = AppendOne(store, Keyed("order", "k-1"));
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->duplicate);
  ASSERT_TRUE(AppendOne(store, Ev("other")).ok());
  Result<AppendOutcome> retry = AppendOne(store, Keyed("order", "k-1"));
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->seq, first->seq);
  // Keys are per app.
  Result<AppendOutcome> other_app = AppendOne(store, Keyed("order", "k-1", "app2"));
  ASSERT_TRUE(other_app.ok());
  EXPECT_FALSE(other_app->duplicate);
  // The same key twice in one batch: the second is a duplicate of the first.
  std::vector<Event> batch = {Keyed("order", "k-2"), Ev("x"), Keyed("order", "k-2")};
  auto r = store.Append(batch);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*r)[0].ok() && (*r)[2].ok());
  EXPECT_FALSE((*r)[0]->duplicate);
  EXPECT_TRUE((*r)[2]->duplicate);
  EXPECT_EQ((*r)[2]->seq, (*r)[0]->seq);
  EXPECT_EQ((*r)[1]->seq, (*r)[0]->seq + 1);

  std::string path = Path(dir, "2025-03-01");
  EXPECT_EQ(ReadRows(path).size(), 5u);
  EXPECT_EQ(Sqlite(path).Query("SELECT app, key, seq FROM idempotency ORDER BY seq"),
            (std::vector<std::vector<std::string>>{
                {"app", "k-1", "1"}, {"app2", "k-1", "3"}, {"app", "k-2", "4"}}));
  EXPECT_EQ(VerifyChain(path), "");
}

TEST(DayStoreTest, KeyedUniqueDuplicateLeavesNoDanglingIdempotencyRow) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  DayStore store(&env, Options(dir.path()));
  ASSERT_TRUE(AppendOne(store, Unique("once")).ok());
  Event keyed_unique = Unique("once");
  keyed_unique.idempotency_key = "k";
  Result<AppendOutcome> r = AppendOne(store, keyed_unique);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->duplicate);
  EXPECT_EQ(r->seq, 1);
  ASSERT_TRUE(AppendOne(store, Ev("next")).ok());
  std::string path = Path(dir, "2025-03-01");
  Sqlite db(path);
  // Every idempotency and uniques row points at a stored row.
  EXPECT_EQ(db.Int("SELECT count(*) FROM idempotency"), 0);
  EXPECT_EQ(db.Int("SELECT count(*) FROM uniques u LEFT JOIN log l ON l.seq = u.seq "
                   "WHERE l.seq IS NULL OR l.event != u.event"),
            0);
  // A retry of a stored keyed unique event is a duplicate by its key.
  Event keyed_new = Unique("twice");
  keyed_new.idempotency_key = "k2";
  Result<AppendOutcome> a = AppendOne(store, keyed_new);
  Result<AppendOutcome> b = AppendOne(store, keyed_new);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->duplicate);
  EXPECT_TRUE(b->duplicate);
  EXPECT_EQ(b->seq, a->seq);
  EXPECT_EQ(db.Int("SELECT count(*) FROM idempotency i JOIN log l ON l.seq = i.seq"), 1);
  EXPECT_EQ(VerifyChain(path), "");
}

// unique_scope: bucket. The store asks about a unique event only when it is new to the day's
// file, and stores it only when this host holds the bucket's claim.
TEST(DayStoreTest, UniqueClaimDecidesWhetherANewUniqueEventIsStored) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  std::map<std::string, UniqueClaim> claims;  // event name -> answer
  std::vector<std::string> asked;
  StoreOptions options = Options(dir.path());
  options.unique_claim = [&](const std::string& day, const Event& e) {
    asked.push_back(day + "/" + e.name);
    auto it = claims.find(e.name);
    return it == claims.end() ? UniqueClaim::kUnknown : it->second;
  };
  DayStore store(&env, options);
  Result<AppendOutcome> unknown = AppendOne(store, Unique("u"));
  ASSERT_TRUE(unknown.ok()) << unknown.status().ToString();
  EXPECT_TRUE(unknown->unclaimed);
  EXPECT_FALSE(unknown->duplicate);
  EXPECT_EQ(unknown->day, "2025-03-01");
  claims["u"] = UniqueClaim::kOurs;
  Result<AppendOutcome> ours = AppendOne(store, Unique("u"));
  ASSERT_TRUE(ours.ok());
  EXPECT_FALSE(ours->unclaimed || ours->duplicate);
  EXPECT_EQ(ours->seq, 1);
  // Already in the file: a duplicate, without asking.
  Result<AppendOutcome> again = AppendOne(store, Unique("u"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->seq, 1);
  claims["v"] = UniqueClaim::kOthers;
  claims["w"] = UniqueClaim::kOthersReplay;
  Event keyed = Unique("w");
  keyed.idempotency_key = "k";
  std::vector<Event> batch = {Unique("v"), Ev("plain"), keyed};
  auto r = store.Append(batch);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*r)[0].ok() && (*r)[1].ok() && (*r)[2].ok());
  EXPECT_TRUE((*r)[0]->duplicate);
  EXPECT_FALSE((*r)[0]->replayed);
  EXPECT_EQ((*r)[0]->seq, 0);
  EXPECT_EQ((*r)[1]->seq, 2);
  EXPECT_TRUE((*r)[2]->duplicate);
  EXPECT_TRUE((*r)[2]->replayed);
  EXPECT_EQ(asked, (std::vector<std::string>{"2025-03-01/u", "2025-03-01/u", "2025-03-01/v",
                                             "2025-03-01/w"}));
  std::string path = Path(dir, "2025-03-01");
  EXPECT_EQ(EventNamesIn(path), (std::vector<std::string>{"u", "plain"}));
  Sqlite db(path);
  EXPECT_EQ(db.Int("SELECT count(*) FROM uniques"), 1);
  EXPECT_EQ(db.Int("SELECT count(*) FROM idempotency"), 0);  // taken back with the event
  EXPECT_EQ(VerifyChain(path), "");
}

TEST(DayStoreTest, CardinalityCapRefusesNewNamesPastTheLimit) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  StoreOptions o = Options(dir.path());
  o.max_event_names_per_app_per_day = 3;
  DayStore store(&env, o);
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_TRUE(AppendOne(store, Ev(name)).ok()) << name;
  }
  Result<AppendOutcome> refused = AppendOne(store, Ev("user-1740873600"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnprocessable);
  EXPECT_EQ(refused.status().reason(), "too_many_event_names");
  EXPECT_EQ(refused.status().field(), "event");
  EXPECT_NE(refused.status().message().find("in the value, not in the name"), std::string::npos)
      << refused.status().message();
  // Known names still work; another app has its own budget.
  EXPECT_TRUE(AppendOne(store, Ev("b")).ok());
  EXPECT_TRUE(AppendOne(store, Ev("d", "1", "other-app")).ok());
  // A fresh process sees the same count in the file.
  DayStore fresh(&env, o);
  EXPECT_EQ(AppendOne(fresh, Ev("e")).status().reason(), "too_many_event_names");
  EXPECT_TRUE(AppendOne(fresh, Ev("a")).ok());
  std::string path = Path(dir, "2025-03-01");
  EXPECT_EQ(Sqlite(path).Int("SELECT count(*) FROM events WHERE app = 'app'"), 3);
  EXPECT_EQ(VerifyChain(path), "");
  // A new day starts a new budget.
  env.SetNow("2025-03-02T10:00:00Z");
  EXPECT_TRUE(AppendOne(store, Ev("user-1740873600")).ok());
}

TEST(DayStoreTest, BatchWhereOneItemHitsTheCapStoresTheOthers) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  StoreOptions o = Options(dir.path());
  o.max_event_names_per_app_per_day = 2;
  DayStore store(&env, o);
  std::vector<Event> batch = {Ev("a"), Ev("b"), Ev("c"), Ev("a", "2"), Ev("b", "3")};
  auto r = store.Append(batch);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_TRUE((*r)[0].ok());
  EXPECT_TRUE((*r)[1].ok());
  ASSERT_FALSE((*r)[2].ok());
  EXPECT_EQ((*r)[2].status().reason(), "too_many_event_names");
  ASSERT_TRUE((*r)[3].ok());
  ASSERT_TRUE((*r)[4].ok());
  EXPECT_EQ((*r)[3]->seq, 3);  // the refused item used no seq
  EXPECT_EQ((*r)[4]->seq, 4);
  std::string path = Path(dir, "2025-03-01");
  EXPECT_EQ(EventNamesIn(path), (std::vector<std::string>{"a", "b", "a", "b"}));
  EXPECT_EQ(VerifyChain(path), "");
}

TEST(DayStoreTest, RolledBackNameInsertLeavesNoStaleId) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  DayStore store(&env, Options(dir.path()));
  ASSERT_TRUE(AppendOne(store, Ev("known")).ok());
  std::string path = Path(dir, "2025-03-01");
  {
    Sqlite db(path, /*writable=*/true);
    ASSERT_EQ(db.Exec("CREATE TRIGGER boom BEFORE INSERT ON log WHEN NEW.value = 'boom' "
                      "BEGIN SELECT RAISE(ABORT, 'boom'); END"),
              SQLITE_OK);
  }
  // The new name's events row is inserted, then the log insert fails: all is rolled back.
  std::vector<Event> batch = {Ev("fresh", "ok"), Ev("fresh", "boom")};
  auto failed = store.Append(batch);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(Sqlite(path).Int("SELECT count(*) FROM events WHERE name = 'fresh'"), 0);
  EXPECT_EQ(ReadRows(path).size(), 1u);
  {
    Sqlite db(path, /*writable=*/true);
    ASSERT_EQ(db.Exec("DROP TRIGGER boom"), SQLITE_OK);
  }
  // Another writer takes the id "fresh" had in the rolled-back transaction.
  DayStore other(&env, Options(dir.path()));
  ASSERT_TRUE(AppendOne(other, Ev("usurper")).ok());
  ASSERT_TRUE(AppendOne(store, Ev("fresh", "again")).ok());
  EXPECT_EQ(EventNamesIn(path), (std::vector<std::string>{"known", "usurper", "fresh"}));
  EXPECT_EQ(VerifyChain(path), "");
}

TEST(DayStoreTest, TriggersRefuseUpdateAndDelete) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  DayStore store(&env, Options(dir.path()));
  Event e = Unique("u");
  e.idempotency_key = "key";
  ASSERT_TRUE(AppendOne(store, e).ok());
  ASSERT_TRUE(AppendOne(store, Ev("plain")).ok());
  std::string path = Path(dir, "2025-03-01");
  Sqlite db(path, /*writable=*/true);
  for (const char* sql : {
           "UPDATE log SET value = 'forged'",
           "DELETE FROM log WHERE seq = 2",
           "UPDATE events SET name = 'renamed'",
           "DELETE FROM events",
           "UPDATE uniques SET seq = 99",
           "DELETE FROM uniques",
           "UPDATE idempotency SET seq = 99",
           "DELETE FROM idempotency",
       }) {
    std::string error;
    int rc = db.Exec(sql, &error);
    EXPECT_EQ(rc & 0xff, SQLITE_CONSTRAINT) << sql;
    EXPECT_NE(error.find("append-only"), std::string::npos) << sql << ": " << error;
  }
  EXPECT_EQ(db.Int("SELECT count(*) FROM log"), 2);
  EXPECT_EQ(db.Int("SELECT count(*) FROM events"), 2);
  EXPECT_EQ(db.Int("SELECT count(*) FROM uniques"), 1);
  EXPECT_EQ(db.Int("SELECT count(*) FROM idempotency"), 1);
  EXPECT_EQ(VerifyChain(path), "");
}

TEST(DayStoreTest, ChainCheckerDetectsAnEditMadeWithTheTriggersDropped) {
  // Makes sure the checker the other tests rely on can fail.
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  DayStore store(&env, Options(dir.path()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(AppendOne(store, Ev("e", std::to_string(i))).ok());
  }
  std::string path = Path(dir, "2025-03-01");
  Sqlite db(path, /*writable=*/true);
  ASSERT_EQ(db.Exec("DROP TRIGGER log_no_update; UPDATE log SET value = 'x' WHERE seq = 2"),
            SQLITE_OK);
  EXPECT_EQ(VerifyChain(path), "hash mismatch at seq 2");
}

TEST(DayStoreTest, SealedFileIsRefused) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  DayStore store(&env, Options(dir.path()));
  ASSERT_TRUE(AppendOne(store, Ev("a")).ok());
  std::string path = Path(dir, "2025-03-01");
  {
    Sqlite db(path, /*writable=*/true);
    ASSERT_EQ(db.Exec("INSERT INTO meta(key, value) VALUES('sealed_at', "
                      "'2025-03-02T00:05:00.000000Z'), ('rows', '1'), ('final_hash', '" +
                      LastHash(path) + "')"),
              SQLITE_OK);
  }
  Result<AppendOutcome> r = AppendOne(store, Ev("b"));  // the store's connection is open
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().reason(), "day_sealed");
  // Sealing then takes the file out of WAL mode (the refusal closed the store's connection),
  // and its bytes are published: a writer must not touch them, not even the journal mode.
  {
    Sqlite db(path, /*writable=*/true);
    ASSERT_EQ(db.One("PRAGMA journal_mode=DELETE"), "delete");
  }
  std::string bytes_before = FileBytes(path);
  DayStore fresh(&env, Options(dir.path()));
  EXPECT_EQ(AppendOne(fresh, Ev("c")).status().reason(), "day_sealed");
  EXPECT_EQ(FileBytes(path), bytes_before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  EXPECT_EQ(ReadRows(path).size(), 1u);
  EXPECT_EQ(VerifyChain(path), "");
}

TEST(DayStoreTest, DataDirThatCannotExistIsStorageUnavailable) {
  TempDir dir;
  std::string file = dir.path() + "/plain-file";
  ASSERT_EQ(close(open(file.c_str(), O_WRONLY | O_CREAT, 0644)), 0);
  FakeEnv env("2025-03-01T10:00:00Z");
  DayStore store(&env, Options(file + "/data"));  // a path below a regular file
  Result<AppendOutcome> r = AppendOne(store, Ev("a"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().reason(), "storage_unavailable");
}

// Appends n events, one commit each; returns false (and reports) on the first failure.
bool AppendEach(DayStore& store, int n) {
  for (int i = 0; i < n; ++i) {
    Result<AppendOutcome> r = AppendOne(store, Ev("e" + std::to_string(i % 7)));
    if (!r.ok()) {
      ADD_FAILURE() << r.status().ToString();
      return false;
    }
  }
  return true;
}

TEST(DayStoreTest, CommitsCopyTheLogBackIntoTheFileEveryCheckpointFrames) {
  // A log frame is a page (4,096 bytes) plus a 24-byte header; each commit adds a few frames.
  constexpr int64_t kFrameBytes = 4096 + 24;
  for (int checkpoint_frames : {20, 1000000}) {
    TempDir dir;
    FakeEnv env("2025-03-01T12:00:00Z");
    StoreOptions o = Options(dir.path());
    o.checkpoint_frames = checkpoint_frames;
    DayStore store(&env, o);
    ASSERT_TRUE(AppendEach(store, 300));
    auto log_bytes =
        static_cast<int64_t>(std::filesystem::file_size(Path(dir, "2025-03-01") + "-wal"));
    if (checkpoint_frames == 20) {
      // The log starts over after each checkpoint: it never holds much more than 20 frames.
      EXPECT_LE(log_bytes, 40 * kFrameBytes + 32);
    } else {
      EXPECT_GE(log_bytes, 300 * kFrameBytes);  // nothing copied back: a frame or more per commit
    }
    EXPECT_EQ(ReadRows(Path(dir, "2025-03-01")).size(), 300u);
    EXPECT_EQ(VerifyChain(Path(dir, "2025-03-01")), "");
  }
}

TEST(DayStoreTest, BackgroundLogSyncSyncsTheDaysLogOnlyWhenAskedTo) {
  for (bool background : {true, false}) {
    TempDir dir;
    FakeEnv env("2025-03-01T12:00:00Z");
    StoreOptions o = Options(dir.path());
    o.sync_log_in_background = background;
    o.log_sync_frames = 10;
    DayStore store(&env, o);
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(AppendEach(store, 1));
      store.WaitForLogSync();  // so that no request merges into the one before it
    }
    std::vector<std::string> synced = env.synced();
    LogSyncer::Stats stats = store.log_sync_stats();
    if (!background) {
      EXPECT_TRUE(synced.empty());
      EXPECT_EQ(stats.syncs, 0);
      continue;
    }
    // 100 commits make at least 100 frames: a sync for every 10 of them.
    EXPECT_GE(synced.size(), 10u);
    EXPECT_LE(synced.size(), 100u);
    for (const std::string& path : synced) {
      EXPECT_EQ(path, Path(dir, "2025-03-01") + "-wal");
    }
    EXPECT_EQ(stats.syncs, static_cast<int64_t>(synced.size()));
    EXPECT_EQ(stats.failures, 0);
  }
}

TEST(DayStoreTest, DayFileThatCannotBeOpenedIsStorageUnavailable) {
  TempDir dir;
  ASSERT_TRUE(std::filesystem::create_directory(Path(dir, "2025-03-01")));
  FakeEnv env("2025-03-01T10:00:00Z");
  DayStore store(&env, Options(dir.path()));
  Result<AppendOutcome> r = AppendOne(store, Ev("a"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().reason(), "storage_unavailable") << r.status().ToString();
}

TEST(DayStoreTest, WalThatCannotBeWrittenIsStorageUnavailable) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  std::string path = Path(dir, "2025-03-01");
  {
    DayStore store(&env, Options(dir.path()));
    ASSERT_TRUE(AppendOne(store, Ev("a")).ok());
  }
  ASSERT_FALSE(std::filesystem::exists(path + "-wal"));
  ASSERT_TRUE(std::filesystem::create_directory(path + "-wal"));  // even root cannot write it
  DayStore store(&env, Options(dir.path()));
  Result<AppendOutcome> r = AppendOne(store, Ev("b"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().reason(), "storage_unavailable") << r.status().ToString();
  std::filesystem::remove(path + "-wal");
  ASSERT_TRUE(AppendOne(store, Ev("c")).ok());  // recovers once the problem is gone
  EXPECT_EQ(EventNamesIn(path), (std::vector<std::string>{"a", "c"}));
}

// Appends to a day file its owner made read-only; returns what went wrong, "" when the append
// was refused as storage_unavailable, as it must be.
std::string AppendToReadOnlyDayFile(const std::string& data_dir) {
  FakeEnv env("2025-03-01T10:00:00Z");
  std::string path = data_dir + "/2025-03-01-v1.itslog";
  {
    DayStore store(&env, Options(data_dir));
    if (Status s = AppendOne(store, Ev("a")).status(); !s.ok()) {
      return "first append: " + s.ToString();
    }
  }
  if (chmod(path.c_str(), 0444) != 0) {
    return "chmod failed";
  }
  DayStore store(&env, Options(data_dir));
  Result<AppendOutcome> r = AppendOne(store, Ev("b"));
  if (r.ok()) {
    return "an append to a read-only file succeeded";
  }
  return r.status().reason() == "storage_unavailable" ? "" : r.status().ToString();
}

TEST(DayStoreTest, ReadOnlyDayFileIsStorageUnavailable) {
  TempDir dir;
  ASSERT_EQ(Path(dir, "2025-03-01"), dir.path() + "/2025-03-01-v1.itslog");
  if (geteuid() != 0) {
    EXPECT_EQ(AppendToReadOnlyDayFile(dir.path()), "");
    return;
  }
  // Root writes read-only files: the test runs as the user nobody (65534) in a child process,
  // in a folder every user may write.
  ASSERT_EQ(chmod(dir.path().c_str(), 0777), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) {
      _exit(2);
    }
    std::string error = AppendToReadOnlyDayFile(dir.path());
    if (!error.empty()) {
      fprintf(stderr, "as nobody: %s\n", error.c_str());
    }
    _exit(error.empty() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: cannot become nobody; 1: see the child's message";
}

TEST(DayStoreTest, FileThatIsNotAnItslogFileIsCorrupt) {
  TempDir dir;
  std::string path = Path(dir, "2025-03-01");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE foo(x)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  FakeEnv env("2025-03-01T10:00:00Z");
  DayStore store(&env, Options(dir.path()));
  Result<AppendOutcome> r = AppendOne(store, Ev("a"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorrupt);
  EXPECT_EQ(r.status().reason(), "not_itslog_file");
}

TEST(DayStoreTest, LockHeldTooLongIsLockTimeout) {
  TempDir dir;
  FakeEnv env("2025-03-01T10:00:00Z");
  Result<FileLock> held = env.LockExclusive(Path(dir, "2025-03-01") + ".lock", 1000);
  ASSERT_TRUE(held.ok());
  StoreOptions o = Options(dir.path());
  o.lock_timeout_ms = 50;
  DayStore store(&env, o);
  Result<AppendOutcome> r = AppendOne(store, Ev("a"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().reason(), "lock_timeout");
  held = FileLock();
  EXPECT_TRUE(AppendOne(store, Ev("a")).ok());
}

TEST(DayStoreTest, CheckHealthReportsTodaysFileAndFreeSpace) {
  TempDir dir;
  FakeEnv env("2025-03-01T23:59:59Z");
  DayStore store(&env, Options(dir.path()));
  DayStore::Health h = store.CheckHealth();
  EXPECT_TRUE(h.writable) << h.reason << ": " << h.message;
  EXPECT_EQ(h.today_file, "2025-03-01-v1.itslog");
  ASSERT_TRUE(h.free_bytes.has_value());
  EXPECT_GT(*h.free_bytes, 0);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // the probe was removed

  DayStore missing(&env, Options(dir.path() + "/missing"));
  DayStore::Health bad = missing.CheckHealth();
  EXPECT_FALSE(bad.writable);
  EXPECT_EQ(bad.reason, "storage_unavailable");
  EXPECT_EQ(bad.today_file, "2025-03-01-v1.itslog");
}

// ---------------------------------------------------------------------------------------------
// Midnight with requests in flight: several threads, each with its own DayStore, append while
// the clock crosses midnight.

// Reads the rows of 2025-03-01 and 2025-03-02 in dir, checking that both files hold rows,
// each on its side of midnight, that both chains verify and that the new day's seed is the
// old day's last hash.
void ReadDaysSplitAtMidnight(const TempDir& dir, int64_t midnight, std::vector<Row>* old_rows,
                             std::vector<Row>* new_rows) {
  std::string old_path = Path(dir, "2025-03-01");
  std::string new_path = Path(dir, "2025-03-02");
  *old_rows = ReadRows(old_path);
  *new_rows = ReadRows(new_path);
  ASSERT_FALSE(old_rows->empty());
  ASSERT_FALSE(new_rows->empty());
  for (const Row& r : *old_rows) {
    EXPECT_LT(r.ts, midnight) << "seq " << r.seq << " in the old file";
  }
  for (const Row& r : *new_rows) {
    EXPECT_GE(r.ts, midnight) << "seq " << r.seq << " in the new file";
  }
  std::string old_last;
  EXPECT_EQ(VerifyChain(old_path, &old_last), "");
  EXPECT_EQ(VerifyChain(new_path), "");
  EXPECT_EQ(ReadMeta(new_path)["chain_seed"], old_last);
}

TEST(DayStoreTest, MidnightWithRequestsInFlightKeepsDaysAndChainsApart) {
  TempDir dir;
  FakeEnv env("2025-03-01T23:59:59.990000Z");
  const int64_t midnight = *ParseIso8601Micros("2025-03-02T00:00:00Z");
  constexpr int kThreads = 4;
  struct Ack {
    std::string day;
    int64_t seq;
    std::string value;
  };
  std::vector<std::vector<Ack>> acks(kThreads);
  std::vector<std::string> errors(kThreads);
  std::atomic<int64_t> appended{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      DayStore store(&env, Options(dir.path()));
      for (int n = 0; !stop.load(); ++n) {
        std::string value = "t" + std::to_string(t) + "-" + std::to_string(n);
        Result<AppendOutcome> r = AppendOne(store, Ev("tick", value));
        if (!r.ok()) {
          errors[t] = r.status().ToString();
          failed = true;
          return;
        }
        acks[t].push_back({r->day, r->seq, value});
        ++appended;
      }
    });
  }
  // Move the clock 250 us after every few appends, until well past midnight.
  auto wait_for = [&](int64_t count) {
    while (appended.load() < count && !failed.load()) {
      std::this_thread::yield();
    }
  };
  int64_t seen = 0;
  while (env.NowMicros() < midnight + 10000 && !failed.load()) {
    seen += kThreads;
    wait_for(seen);
    env.Advance(std::chrono::microseconds(250));
  }
  wait_for(appended.load() + 20);
  stop = true;
  for (auto& th : threads) {
    th.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(errors[t], "") << "thread " << t;
  }
  std::vector<Row> old_rows;
  std::vector<Row> new_rows;
  ASSERT_NO_FATAL_FAILURE(ReadDaysSplitAtMidnight(dir, midnight, &old_rows, &new_rows));
  // Every acknowledged event is where its outcome said, exactly once.
  std::map<std::string, std::vector<Row>*> by_day = {{"2025-03-01", &old_rows},
                                                     {"2025-03-02", &new_rows}};
  size_t total = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (const Ack& a : acks[t]) {
      ASSERT_TRUE(by_day.count(a.day)) << a.day;
      const std::vector<Row>& rows = *by_day[a.day];
      ASSERT_GE(a.seq, 1);
      ASSERT_LE(a.seq, static_cast<int64_t>(rows.size()));
      EXPECT_EQ(rows[a.seq - 1].value, a.value);
      ++total;
    }
  }
  EXPECT_EQ(total, old_rows.size() + new_rows.size());
}

// An Env that tells the test when a store asks for a given lock, before waiting for it.
class LockWatchEnv : public FakeEnv {
 public:
  using FakeEnv::FakeEnv;
  void Watch(const std::string& path) { watched_ = path; }
  Result<FileLock> LockExclusive(const std::string& path, int timeout_ms) override {
    if (path == watched_) {
      std::lock_guard<std::mutex> g(mu_);
      asked_ = true;
      cv_.notify_all();
    }
    return FakeEnv::LockExclusive(path, timeout_ms);
  }
  Result<FileLock> LockExclusiveKeepingOpen(LockFile* file, const std::string& path,
                                            int timeout_ms) override {
    if (path == watched_) {
      std::lock_guard<std::mutex> g(mu_);
      asked_ = true;
      cv_.notify_all();
    }
    return FakeEnv::LockExclusiveKeepingOpen(file, path, timeout_ms);
  }
  // Waits until the watched lock was asked for or done() is true.
  void WaitAsked(const std::atomic<bool>& done) {
    std::unique_lock<std::mutex> l(mu_);
    while (!asked_ && !done.load()) {
      cv_.wait_for(l, std::chrono::milliseconds(1));
    }
  }

 private:
  std::string watched_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool asked_ = false;
};

TEST(DayStoreTest, NewDaySeedWaitsForTheOldDaysInFlightWriter) {
  TempDir dir;
  LockWatchEnv env("2025-03-01T23:59:59.999998Z");
  std::string old_path = Path(dir, "2025-03-01");
  std::string new_path = Path(dir, "2025-03-02");
  {
    DayStore store(&env, Options(dir.path()));
    ASSERT_TRUE(AppendOne(store, Ev("before")).ok());
  }
  // An old-day writer holds the old day's lock (it read its time before midnight) ...
  Result<FileLock> in_flight = env.LockExclusive(old_path + ".lock", 1000);
  ASSERT_TRUE(in_flight.ok());
  env.Watch(old_path + ".lock");
  env.Advance(std::chrono::microseconds(2));
  // ... while a new-day writer creates the new file.
  std::atomic<bool> done{false};
  Result<AppendOutcome> after = InternalError("not run");
  std::thread creator([&] {
    DayStore store(&env, Options(dir.path()));
    after = AppendOne(store, Ev("after"));
    done = true;
  });
  env.WaitAsked(done);
  // The in-flight writer commits its row (chained by hand, as docs/DATA-FORMAT.md says), then
  // releases the lock.
  {
    Row r;
    r.seq = 2;
    r.ts = *ParseIso8601Micros("2025-03-01T23:59:59.999999Z");
    r.app = "app";
    r.event = "before";
    r.type = 3;
    r.value = "late";
    Digest d = Sha256Of(ChainMessage(FromHex(LastHash(old_path)), r));
    Sqlite db(old_path, /*writable=*/true);
    ASSERT_EQ(db.Exec("INSERT INTO log(seq, ts, event, type, value, hash) VALUES(2, " +
                      std::to_string(r.ts) + ", 1, 3, 'late', X'" + HexEncode(d) + "')"),
              SQLITE_OK);
  }
  in_flight = FileLock();
  creator.join();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  std::string old_last;
  ASSERT_EQ(VerifyChain(old_path, &old_last), "");
  EXPECT_EQ(ReadRows(old_path).size(), 2u);
  EXPECT_EQ(ReadMeta(new_path)["chain_seed"], old_last);
  EXPECT_EQ(VerifyChain(new_path), "");
}

// docs/DATA-FORMAT.md, "Clock": once a day's successor file exists, a clock stepped back
// appends to the newest day, with that day's latest timestamp.
TEST(DayStoreTest, ClockSteppedBackAcrossMidnightAppendsToTheNewDay) {
  TempDir dir;
  FakeEnv env("2025-03-01T23:59:59.900000Z");
  DayStore store(&env, Options(dir.path()));
  ASSERT_TRUE(AppendOne(store, Ev("before")).ok());
  env.SetNow("2025-03-02T00:00:00.100000Z");
  ASSERT_TRUE(AppendOne(store, Ev("after")).ok());
  env.SetNow("2025-03-01T23:59:59.950000Z");
  Result<AppendOutcome> late = AppendOne(store, Ev("late"));
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  EXPECT_EQ(late->day, "2025-03-02");
  EXPECT_EQ(late->seq, 2);
  std::string old_path = Path(dir, "2025-03-01");
  std::string new_path = Path(dir, "2025-03-02");
  EXPECT_EQ(EventNamesIn(old_path), std::vector<std::string>{"before"});
  EXPECT_EQ(EventNamesIn(new_path), (std::vector<std::string>{"after", "late"}));
  auto rows = ReadRows(new_path);
  EXPECT_EQ(rows[1].ts, *ParseIso8601Micros("2025-03-02T00:00:00.100000Z"));
  EXPECT_EQ(ReadMeta(new_path)["chain_seed"], LastHash(old_path));
  EXPECT_EQ(VerifyChain(new_path), "");
}

// Two processes whose clocks disagree: the one still before midnight has the old day open,
// the other creates the new day (taking the old day's last hash); the first must not append
// to the old day any more.
TEST(DayStoreTest, WriterWhoseClockIsBehindNeverAppendsToADayWithASuccessor) {
  TempDir dir;
  FakeEnv behind("2025-03-01T23:59:59.990000Z");
  FakeEnv ahead("2025-03-02T00:00:00.005000Z");
  DayStore a(&behind, Options(dir.path()));
  DayStore b(&ahead, Options(dir.path()));
  ASSERT_TRUE(AppendOne(a, Ev("a1")).ok());
  ASSERT_TRUE(AppendOne(b, Ev("b1")).ok());
  behind.Advance(std::chrono::microseconds(1000));
  Result<AppendOutcome> a2 = AppendOne(a, Ev("a2"));
  ASSERT_TRUE(a2.ok()) << a2.status().ToString();
  EXPECT_EQ(a2->day, "2025-03-02");
  std::string old_path = Path(dir, "2025-03-01");
  std::string new_path = Path(dir, "2025-03-02");
  EXPECT_EQ(EventNamesIn(old_path), std::vector<std::string>{"a1"});
  EXPECT_EQ(EventNamesIn(new_path), (std::vector<std::string>{"b1", "a2"}));
  auto rows = ReadRows(new_path);
  EXPECT_EQ(rows[1].ts, rows[0].ts);  // the new day's latest time, not the clock's
  EXPECT_EQ(ReadMeta(new_path)["chain_seed"], LastHash(old_path));
  EXPECT_EQ(VerifyChain(new_path), "");
}

// A newer day's file without rows yet (its creator failed before the first row): a writer
// whose clock is behind initialises it, chained to the old day, with the day's first instant.
TEST(DayStoreTest, NewerDayWithoutRowsTakesTheRowAtTheStartOfItsDay) {
  TempDir dir;
  FakeEnv env("2025-03-01T23:59:59.900000Z");
  DayStore store(&env, Options(dir.path()));
  ASSERT_TRUE(AppendOne(store, Ev("before")).ok());
  std::string new_path = Path(dir, "2025-03-02");
  FILE* f = std::fopen(new_path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  env.Advance(std::chrono::microseconds(1000));
  Result<AppendOutcome> r = AppendOne(store, Ev("late"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->day, "2025-03-02");
  auto rows = ReadRows(new_path);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].ts, *ParseIso8601Micros("2025-03-02T00:00:00Z"));
  EXPECT_EQ(ReadMeta(new_path)["chain_seed"], LastHash(Path(dir, "2025-03-01")));
  EXPECT_EQ(EventNamesIn(Path(dir, "2025-03-01")), std::vector<std::string>{"before"});
}

// A store started with its clock days behind the newest file finds that file (a gap of days
// without files in between) and appends there.
TEST(DayStoreTest, StoreStartedWithAClockBehindTheNewestFileAppendsToIt) {
  TempDir dir;
  FakeEnv env("2025-03-03T08:00:00Z");
  {
    DayStore store(&env, Options(dir.path()));
    ASSERT_TRUE(AppendOne(store, Ev("newest")).ok());
  }
  env.SetNow("2025-03-01T08:00:00Z");
  DayStore store(&env, Options(dir.path()));
  Result<AppendOutcome> r = AppendOne(store, Ev("behind"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->day, "2025-03-03");
  EXPECT_FALSE(std::filesystem::exists(Path(dir, "2025-03-01")));
  EXPECT_EQ(EventNamesIn(Path(dir, "2025-03-03")), (std::vector<std::string>{"newest", "behind"}));
  EXPECT_EQ(VerifyChain(Path(dir, "2025-03-03")), "");
}

// ---------------------------------------------------------------------------------------------
// Several processes on one file: fork() children, each with its own DayStore.

struct Report {
  int32_t child = 0;
  int32_t n = 0;
  int64_t seq = 0;
  int32_t ok = 0;
  int32_t duplicate = 0;
  char day[16] = {};
  char reason[400] = {};
};

// Starts children running body(child, write_fd) and then _exit(0), collects every Report they
// write to a shared pipe, and reaps them. Kills (by pid) any child still running on scope exit.
class Children {
 public:
  Children() {
    if (pipe(fds_) != 0) {
      ADD_FAILURE() << "pipe failed";
    }
  }
  ~Children() {
    for (pid_t pid : pids_) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    close(fds_[0]);
    if (fds_[1] >= 0) {
      close(fds_[1]);
    }
  }

  pid_t Start(int child, const std::function<void(int, int)>& body) {
    pid_t pid = fork();
    if (pid == 0) {
      close(fds_[0]);
      body(child, fds_[1]);
      _exit(0);
    }
    pids_.push_back(pid);
    return pid;
  }

  // Reads reports until count have arrived (or the writers are gone, when count < 0).
  std::vector<Report> Read(int64_t count = -1) {
    if (count < 0 && fds_[1] >= 0) {
      close(fds_[1]);  // so that read() sees EOF once every child has exited
      fds_[1] = -1;
    }
    std::vector<Report> out;
    Report r;
    while (count < 0 || static_cast<int64_t>(out.size()) < count) {
      ssize_t got = read(fds_[0], &r, sizeof(r));
      if (got != static_cast<ssize_t>(sizeof(r))) {
        EXPECT_EQ(got, 0) << "partial report";
        break;
      }
      out.push_back(r);
    }
    return out;
  }

  // Waits for every child; returns how many did not exit with status 0.
  int Reap() {
    int bad = 0;
    for (pid_t pid : pids_) {
      int status = 0;
      waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        ++bad;
      }
    }
    pids_.clear();
    return bad;
  }

  void Kill(pid_t pid) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    std::erase(pids_, pid);
  }

 private:
  int fds_[2] = {-1, -1};
  std::vector<pid_t> pids_;
};

void SendReport(int fd, int child, int n, const Result<AppendOutcome>& r) {
  Report rep;
  rep.child = child;
  rep.n = n;
  rep.ok = r.ok();
  if (r.ok()) {
    rep.seq = r->seq;
    rep.duplicate = r->duplicate;
    std::snprintf(rep.day, sizeof(rep.day), "%s", r->day.c_str());
  } else {
    std::snprintf(rep.reason, sizeof(rep.reason), "%s", r.status().ToString().c_str());
  }
  // One write of less than PIPE_BUF bytes: reports of several children never interleave.
  if (write(fd, &rep, sizeof(rep)) != static_cast<ssize_t>(sizeof(rep))) {
    _exit(3);
  }
}

TEST(DayStoreTest, FourProcessesAppendingToOneFileLoseAndDuplicateNothing) {
  TempDir dir;
  constexpr int kChildren = 4;
  constexpr int kPerChild = 300;
  Children children;
  for (int c = 0; c < kChildren; ++c) {
    children.Start(c, [&](int child, int fd) {
      FakeEnv env("2025-03-01T12:00:00Z");
      DayStore store(&env, Options(dir.path()));
      for (int n = 0; n < kPerChild; ++n) {
        env.Advance(std::chrono::microseconds(1));
        std::string value = "c" + std::to_string(child) + "-" + std::to_string(n);
        SendReport(fd, child, n, AppendOne(store, Ev("e" + std::to_string(n % 5), value)));
      }
    });
  }
  std::vector<Report> reports = children.Read();
  EXPECT_EQ(children.Reap(), 0);
  ASSERT_EQ(reports.size(), static_cast<size_t>(kChildren * kPerChild));
  std::string path = Path(dir, "2025-03-01");
  auto rows = ReadRows(path);
  ASSERT_EQ(rows.size(), static_cast<size_t>(kChildren * kPerChild));
  for (const Report& r : reports) {
    ASSERT_TRUE(r.ok) << "child " << r.child << " event " << r.n << ": " << r.reason;
    ASSERT_GE(r.seq, 1);
    ASSERT_LE(r.seq, static_cast<int64_t>(rows.size()));
    EXPECT_EQ(rows[r.seq - 1].value, "c" + std::to_string(r.child) + "-" + std::to_string(r.n));
  }
  std::set<std::string> values;
  for (const Row& r : rows) {
    values.insert(r.value.value_or(""));
  }
  EXPECT_EQ(values.size(), rows.size());  // each event exactly once
  EXPECT_EQ(VerifyChain(path), "");
  EXPECT_EQ(ReadMeta(path).size(), 6u);  // initialised once
  EXPECT_EQ(Sqlite(path).Int("SELECT count(*) FROM events"), 5);
}

// Issue 12: worker processes whose clocks straddle midnight and step back and forth across it
// while they append. Every acknowledged event is in the day its outcome names, exactly once;
// the old day has only times before midnight; the new day's chain_seed is the old day's last
// hash.
TEST(DayStoreTest, ProcessesWithClocksSteppingBackAcrossMidnightKeepTheLink) {
  TempDir dir;
  constexpr int kChildren = 4;
  constexpr int kPerChild = 200;
  const int64_t midnight = *ParseIso8601Micros("2025-03-02T00:00:00Z");
  Children children;
  for (int c = 0; c < kChildren; ++c) {
    children.Start(c, [&](int child, int fd) {
      // Each child's clock starts at its own offset before midnight and moves 500 us per
      // append, stepping back 2 ms every 7th append: it crosses midnight both ways.
      FakeEnv env("2025-03-01T23:59:59.990000Z");
      env.Advance(std::chrono::microseconds(child * 2500));
      DayStore store(&env, Options(dir.path()));
      for (int n = 0; n < kPerChild; ++n) {
        env.Advance(std::chrono::microseconds(n % 7 == 6 ? -2000 : 500));
        std::string value = "c" + std::to_string(child) + "-" + std::to_string(n);
        SendReport(fd, child, n, AppendOne(store, Ev("tick", value)));
      }
    });
  }
  std::vector<Report> reports = children.Read();
  EXPECT_EQ(children.Reap(), 0);
  ASSERT_EQ(reports.size(), static_cast<size_t>(kChildren * kPerChild));
  std::vector<Row> old_rows;
  std::vector<Row> new_rows;
  ASSERT_NO_FATAL_FAILURE(ReadDaysSplitAtMidnight(dir, midnight, &old_rows, &new_rows));
  std::map<std::string, std::vector<Row>*> by_day = {{"2025-03-01", &old_rows},
                                                     {"2025-03-02", &new_rows}};
  for (const Report& r : reports) {
    ASSERT_TRUE(r.ok) << "child " << r.child << " event " << r.n << ": " << r.reason;
    ASSERT_TRUE(by_day.count(r.day)) << r.day;
    const std::vector<Row>& rows = *by_day[r.day];
    ASSERT_GE(r.seq, 1);
    ASSERT_LE(r.seq, static_cast<int64_t>(rows.size()));
    EXPECT_EQ(rows[r.seq - 1].value, "c" + std::to_string(r.child) + "-" + std::to_string(r.n));
  }
  EXPECT_EQ(old_rows.size() + new_rows.size(), static_cast<size_t>(kChildren * kPerChild));
}

TEST(DayStoreTest, UniqueEventRacedByFourProcessesIsStoredOnce) {
  TempDir dir;
  constexpr int kChildren = 4;
  constexpr int kTries = 25;
  Children children;
  for (int c = 0; c < kChildren; ++c) {
    children.Start(c, [&](int child, int fd) {
      FakeEnv env("2025-03-01T12:00:00Z");
      DayStore store(&env, Options(dir.path()));
      for (int n = 0; n < kTries; ++n) {
        SendReport(fd, child, n, AppendOne(store, Unique("first-deploy")));
        SendReport(fd, child, -1, AppendOne(store, Ev("noise")));
      }
    });
  }
  std::vector<Report> reports = children.Read();
  EXPECT_EQ(children.Reap(), 0);
  ASSERT_EQ(reports.size(), static_cast<size_t>(2 * kChildren * kTries));
  std::string path = Path(dir, "2025-03-01");
  Sqlite db(path);
  EXPECT_EQ(db.Int("SELECT count(*) FROM entries WHERE event = 'first-deploy'"), 1);
  EXPECT_EQ(db.Int("SELECT count(*) FROM uniques"), 1);
  int64_t unique_seq = db.Int("SELECT seq FROM entries WHERE event = 'first-deploy'");
  EXPECT_EQ(db.Int("SELECT is_unique FROM log WHERE seq = " + std::to_string(unique_seq)), 1);
  int stored = 0;
  for (const Report& r : reports) {
    ASSERT_TRUE(r.ok) << r.reason;
    if (r.n >= 0) {
      EXPECT_EQ(r.seq, unique_seq);
      stored += r.duplicate ? 0 : 1;
    }
  }
  EXPECT_EQ(stored, 1);
  EXPECT_EQ(db.Int("SELECT count(*) FROM log"), 1 + kChildren * kTries);
  EXPECT_EQ(VerifyChain(path), "");
}

// Another connection may hold the day file exclusively for a moment outside the lock file: a
// process closing its last connection checkpoints and removes the WAL that way. A writer that
// opens the file meanwhile waits for it (busy_timeout is set before anything reads the file)
// instead of failing with lock_timeout.
TEST(DayStoreTest, OpeningTheDayWaitsForAnExclusiveHolderOfTheFile) {
  TempDir dir;
  FakeEnv env("2025-03-01T12:00:00Z");
  {
    DayStore first(&env, Options(dir.path()));
    ASSERT_TRUE(AppendOne(first, Ev("a")).ok());
  }
  auto holder = std::make_unique<Sqlite>(Path(dir, "2025-03-01"), /*writable=*/true);
  ASSERT_EQ(holder->Exec("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE"), SQLITE_OK);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    holder.reset();
  });
  DayStore second(&env, Options(dir.path()));
  Result<AppendOutcome> r = AppendOne(second, Ev("b"));
  release.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->seq, 2);
}

TEST(DayStoreTest, IdempotencyKeysRacedByFourProcessesStoreOnce) {
  TempDir dir;
  constexpr int kChildren = 4;
  constexpr int kKeys = 30;
  Children children;
  for (int c = 0; c < kChildren; ++c) {
    children.Start(c, [&](int child, int fd) {
      FakeEnv env("2025-03-01T12:00:00Z");
      DayStore store(&env, Options(dir.path()));
      for (int n = 0; n < kKeys; ++n) {
        SendReport(fd, child, n, AppendOne(store, Keyed("order", "key-" + std::to_string(n))));
      }
    });
  }
  std::vector<Report> reports = children.Read();
  EXPECT_EQ(children.Reap(), 0);
  std::string path = Path(dir, "2025-03-01");
  Sqlite db(path);
  EXPECT_EQ(db.Int("SELECT count(*) FROM log"), kKeys);
  std::map<int, int64_t> seq_of_key;
  std::map<int, int> stored;
  for (const Report& r : reports) {
    ASSERT_TRUE(r.ok) << r.reason;
    auto [it, inserted] = seq_of_key.emplace(r.n, r.seq);
    EXPECT_EQ(it->second, r.seq) << "key-" << r.n;
    stored[r.n] += r.duplicate ? 0 : 1;
  }
  for (int n = 0; n < kKeys; ++n) {
    EXPECT_EQ(stored[n], 1) << "key-" << n;
    EXPECT_EQ(db.Int("SELECT seq FROM idempotency WHERE key = 'key-" + std::to_string(n) + "'"),
              seq_of_key[n]);
  }
  EXPECT_EQ(VerifyChain(path), "");
}

TEST(DayStoreTest, WriterKilledMidAppendLosesNoAcknowledgedEvent) {
  TempDir dir;
  Children children;
  pid_t pid = children.Start(0, [&](int child, int fd) {
    FakeEnv env("2025-03-01T12:00:00Z");
    DayStore store(&env, Options(dir.path()));
    for (int n = 0; n < 1000000; ++n) {
      env.Advance(std::chrono::microseconds(1));
      Event e = Ev("crash", "k-" + std::to_string(n));
      if (n % 7 == 0) {
        e.idempotency_key = "id-" + std::to_string(n);
      }
      std::vector<Event> batch = {e};
      if (n % 5 == 0) {
        batch.push_back(Ev("crash", "b-" + std::to_string(n)));
      }
      auto r = store.Append(batch);
      SendReport(fd, child, n, r.ok() ? r->at(0) : Result<AppendOutcome>(r.status()));
    }
  });
  std::vector<Report> reports = children.Read(400);
  children.Kill(pid);
  std::vector<Report> rest = children.Read();
  reports.insert(reports.end(), rest.begin(), rest.end());
  ASSERT_GE(reports.size(), 400u);

  std::string path = Path(dir, "2025-03-01");
  {
    Sqlite db(path);
    EXPECT_EQ(db.One("PRAGMA integrity_check"), "ok");
  }
  auto rows = ReadRows(path);
  for (const Report& r : reports) {
    ASSERT_TRUE(r.ok) << r.reason;
    ASSERT_LE(r.seq, static_cast<int64_t>(rows.size())) << "acknowledged event " << r.n;
    EXPECT_EQ(rows[r.seq - 1].value, "k-" + std::to_string(r.n));
  }
  EXPECT_EQ(VerifyChain(path), "");
  // The file takes new writers after the crash, and the chain goes on.
  FakeEnv env("2025-03-01T13:00:00Z");
  DayStore store(&env, Options(dir.path()));
  Result<AppendOutcome> after = AppendOne(store, Ev("after-crash"));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->seq, static_cast<int64_t>(rows.size()) + 1);
  EXPECT_EQ(VerifyChain(path), "");
}

}  // namespace
}  // namespace itslog
