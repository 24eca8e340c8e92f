#include "store/verify.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "store/reader.h"
#include "store/seal.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using std::chrono::seconds;
using testing_days::Append;
using testing_days::Ev;
using testing_days::Rechain;
using testing_days::Sql;
using testing_days::Tamper;

// One integer from plain SQLite.
int64_t SqlInt(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  int64_t v = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    v = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  return v;
}

// The stored hash of seq, as hex, read by plain SQLite.
std::string HashHex(const std::string& path, int64_t seq) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT hex(hash) FROM log WHERE seq = ?1", -1, &stmt, nullptr),
            SQLITE_OK);
  sqlite3_bind_int64(stmt, 1, seq);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string FileSha256Hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return HexEncode(Sha256Of(s.str()));
}

class VerifyTest : public ::testing::Test {
 protected:
  static constexpr const char* kDay = "2025-03-01";

  VerifyTest() : env_("2025-03-01T10:00:00Z") {}

  std::string Path(const std::string& day = kDay) { return DayFilePath(dir_.path(), day); }

  // Six rows a second apart: numbers, text, NULL, a unique event.
  void WriteSixRows() {
    const std::vector<Event> events = {
        Ev("shop", "cart.items", ValueType::kInteger, "3"),
        Ev("shop", "page.view", ValueType::kText, "/home"),
        Ev("shop", "cart.items", ValueType::kInteger, "5"),
        Ev("blog", "app.start"),
        Ev("shop", "price", ValueType::kReal, "2.5"),
        Ev("shop", "page.view", ValueType::kText, "/cart"),
    };
    StoreOptions o;
    o.data_dir = dir_.path();
    DayStore store(&env_, o);
    for (const Event& e : events) {
      auto r = store.Append(std::span<const Event>(&e, 1));
      ASSERT_TRUE(r.ok() && (*r)[0].ok());
      env_.Advance(seconds(1));
    }
  }

  VerifyReport Verify(const VerifyOptions& options = {}, const std::string& day = kDay) {
    Result<VerifyReport> r = VerifyDayFile(Path(day), options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }

  static std::string Describe(const VerifyReport& r) {
    std::string out;
    for (const Problem& p : r.problems) {
      out +=
          std::string(DamageName(p.kind)) + " " + std::to_string(p.seq) + ": " + p.message + "\n";
    }
    return out;
  }

  // Asserts that the report names exactly one problem, of kind at seq, with message.
  static void ExpectOnly(const VerifyReport& r, Damage kind, int64_t seq,
                         const std::string& message) {
    ASSERT_EQ(r.problems.size(), 1u) << Describe(r);
    EXPECT_EQ(DamageName(r.problems[0].kind), DamageName(kind)) << r.problems[0].message;
    EXPECT_EQ(r.problems[0].seq, seq) << r.problems[0].message;
    EXPECT_EQ(r.problems[0].message, message);
  }

  Seal SealOf(const SealInfo& info, std::optional<std::string> file_sha256 = std::nullopt) {
    Result<Seal> seal = ParseSeal(SealJson(info, "vm-a", file_sha256.value_or("")));
    if (!file_sha256) {
      // SealJson always writes file_sha256; a seal without one is the same text minus it.
      std::string text = "{\"day\":\"" + info.day + "\",\"rows\":" + std::to_string(info.rows) +
                         ",\"final_hash\":\"" + info.final_hash + "\"}";
      seal = ParseSeal(text);
    }
    EXPECT_TRUE(seal.ok()) << seal.status().ToString();
    return seal.ok() ? *seal : Seal{};
  }

  TempDir dir_;
  FakeEnv env_;
};

TEST_F(VerifyTest, IntactFileVerifiesWithEveryRowAndTheLastHash) {
  WriteSixRows();
  VerifyReport r = Verify();
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.day, kDay);
  EXPECT_EQ(r.rows, 6);
  EXPECT_EQ(HexEncode(r.last_hash), HashHex(Path(), 6));
  EXPECT_FALSE(r.sealed);
}

TEST_F(VerifyTest, EmptyDayVerifiesWithTheSeedAsLastHash) {
  WriteSixRows();
  Tamper(Path(), "DELETE FROM log");
  VerifyReport r = Verify();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.rows, 0);
  EXPECT_EQ(r.last_hash, Digest{});
}

TEST_F(VerifyTest, EditedRowsAreNamedByTheirSeq) {
  const std::string kEdited =
      "seq 3: its contents (ts, event, type or value) do not match its hash: the row was edited";
  const struct {
    const char* sql;
    int64_t seq;
    const char* message;
  } cases[] = {
      {"UPDATE log SET value = '30' WHERE seq = 3", 3, kEdited.c_str()},
      {"UPDATE log SET value = NULL WHERE seq = 3", 3, kEdited.c_str()},
      {"UPDATE log SET ts = ts + 1 WHERE seq = 3", 3, kEdited.c_str()},
      {"UPDATE log SET type = 3 WHERE seq = 3", 3, kEdited.c_str()},
      {"UPDATE log SET event = 2 WHERE seq = 3", 3, kEdited.c_str()},
      {"UPDATE events SET name = 'cart.itemz' WHERE name = 'cart.items'", 1,
       "seq 1: its contents (ts, event, type or value) do not match its hash: the row was edited, "
       "or meta.chain_seed is wrong"},
      {"UPDATE log SET hash = x'00' WHERE seq = 4", 4,
       "seq 4: its hash is not 32 bytes: the row was edited"},
      {"UPDATE log SET event = 99 WHERE seq = 5", 5,
       "seq 5: it names an event id the events table does not hold: the row was edited"},
      {"UPDATE log SET value = 'x' WHERE seq = 6", 6,
       "seq 6: its contents (ts, event, type or value) do not match its hash: the row was edited"},
      {"UPDATE log SET hash = randomblob(32) WHERE seq = 2", 2,
       "seq 2: this row and the next do not match their hashes: rows or hashes were edited"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sql);
    TempDir fresh;
    FakeEnv env("2025-03-01T10:00:00Z");
    for (int i = 0; i < 6; ++i) {
      Append(&env, fresh.path(),
             {i == 1 ? Ev("shop", "page.view")
                     : Ev("shop", "cart.items", ValueType::kInteger, std::to_string(i))});
      env.Advance(seconds(1));
    }
    std::string path = DayFilePath(fresh.path(), kDay);
    Tamper(path, c.sql);
    Result<VerifyReport> r = VerifyDayFile(path, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectOnly(*r, Damage::kEditedRow, c.seq, c.message);
    EXPECT_EQ(r->rows, c.seq - 1);
  }
}

TEST_F(VerifyTest, DeletedRowLeavesAGap) {
  WriteSixRows();
  Tamper(Path(), "DELETE FROM log WHERE seq = 3");
  VerifyReport r = Verify();
  ExpectOnly(r, Damage::kDeletedRow, 3, "seq 3: row 3 is missing (seq jumps from 2 to 4)");
  EXPECT_EQ(r.rows, 2);
  Tamper(Path(), "DELETE FROM log WHERE seq = 4");
  ExpectOnly(Verify(), Damage::kDeletedRow, 3,
             "seq 3: rows 3..4 are missing (seq jumps from 2 to 5)");
}

TEST_F(VerifyTest, DeletedRowWithTheRestRenumbered) {
  WriteSixRows();
  Tamper(Path(),
         "DELETE FROM log WHERE seq = 3; UPDATE log SET seq = seq + 100 WHERE seq > 3; "
         "UPDATE log SET seq = seq - 101 WHERE seq > 100");
  ExpectOnly(Verify(), Damage::kDeletedRow, 3,
             "seq 3: 1 row(s) were deleted before seq 3 and the rows after them renumbered");
}

TEST_F(VerifyTest, DeletedFirstRowsWithTheRestRenumbered) {
  WriteSixRows();
  Tamper(Path(),
         "DELETE FROM log WHERE seq <= 2; UPDATE log SET seq = seq + 100; "
         "UPDATE log SET seq = seq - 102");
  ExpectOnly(Verify(), Damage::kDeletedRow, 1,
             "seq 1: 2 row(s) were deleted before seq 1 and the rows after them renumbered");
}

TEST_F(VerifyTest, InsertedRowIsFoundWhereItWasPut) {
  WriteSixRows();
  Tamper(Path(),
         "UPDATE log SET seq = seq + 100 WHERE seq >= 3; UPDATE log SET seq = seq - 99 WHERE seq > "
         "100; INSERT INTO log(seq, ts, event, type, value, is_unique, hash) "
         "SELECT 3, ts, event, type, '4', 0, randomblob(32) FROM log WHERE seq = 4");
  VerifyReport r = Verify();
  ExpectOnly(r, Damage::kInsertedRow, 3,
             "seq 3: 1 row(s) were inserted at seq 3 (the original row 3 is now seq 4)");
  EXPECT_EQ(r.rows, 2);
}

TEST_F(VerifyTest, InsertedRowsBeforeTheFirst) {
  WriteSixRows();
  Tamper(Path(),
         "UPDATE log SET seq = seq + 100; UPDATE log SET seq = seq - 98; "
         "INSERT INTO log(seq, ts, event, type, value, is_unique, hash) "
         "SELECT 1, ts, event, type, value, 0, randomblob(32) FROM log WHERE seq = 3;"
         "INSERT INTO log(seq, ts, event, type, value, is_unique, hash) "
         "SELECT 2, ts, event, type, value, 0, randomblob(32) FROM log WHERE seq = 4");
  ExpectOnly(Verify(), Damage::kInsertedRow, 1,
             "seq 1: 2 row(s) were inserted at seq 1 (the original row 1 is now seq 3)");
}

TEST_F(VerifyTest, RowWithASeqBelowOneIsInserted) {
  WriteSixRows();
  Tamper(Path(),
         "INSERT INTO log(seq, ts, event, type, value, is_unique, hash) "
         "SELECT 0, ts, event, type, value, 0, hash FROM log WHERE seq = 1");
  ExpectOnly(Verify(), Damage::kInsertedRow, 0, "seq 0: a row with a seq below 1 was inserted");
}

TEST_F(VerifyTest, SwappedRowsAreReordered) {
  WriteSixRows();
  // Whole rows (with their hashes) trade places.
  Tamper(Path(),
         "UPDATE log SET seq = 100 WHERE seq = 2; UPDATE log SET seq = 2 WHERE seq = 3; "
         "UPDATE log SET seq = 3 WHERE seq = 100");
  ExpectOnly(Verify(), Damage::kReorderedRows, 2, "seq 2: rows 2 and 3 were swapped");
}

TEST_F(VerifyTest, RowsMovedFartherAreReordered) {
  WriteSixRows();
  Tamper(Path(),
         "UPDATE log SET seq = 100 WHERE seq = 2; UPDATE log SET seq = 2 WHERE seq = 5; "
         "UPDATE log SET seq = 5 WHERE seq = 100");
  ExpectOnly(Verify(), Damage::kReorderedRows, 2,
             "seq 2: the row stored as seq 5 belongs at seq 2");
}

// The contents of two rows swapped, each hash left where it was.
std::string SwapContents(int a, int b) {
  std::string sa = std::to_string(a), sb = std::to_string(b);
  return "CREATE TEMP TABLE t AS SELECT seq, ts, event, type, value FROM log WHERE seq IN (" + sa +
         "," + sb +
         "); UPDATE log SET (ts, event, type, value) = (SELECT ts, event, type, value "
         "FROM t WHERE t.seq = CASE log.seq WHEN " +
         sa + " THEN " + sb + " ELSE " + sa + " END) WHERE seq IN (" + sa + "," + sb + ")";
}

TEST_F(VerifyTest, SwappedContentsUnderTheirOldHashesAreReordered) {
  WriteSixRows();
  Tamper(Path(), SwapContents(2, 3));
  ExpectOnly(Verify(), Damage::kReorderedRows, 2,
             "seq 2: the contents of seq 2 are now stored as seq 3: rows' contents were swapped "
             "or moved");
}

TEST_F(VerifyTest, SwappedContentsOfDistantRowsAreReordered) {
  WriteSixRows();
  Tamper(Path(), SwapContents(2, 5));
  ExpectOnly(Verify(), Damage::kReorderedRows, 2,
             "seq 2: the contents of seq 2 are now stored as seq 5: rows' contents were swapped "
             "or moved");
}

TEST_F(VerifyTest, WrongChainSeedIsNamed) {
  WriteSixRows();
  std::string other(64, 'a');
  Sql(Path(), "UPDATE meta SET value = '" + other + "' WHERE key = 'chain_seed'");
  VerifyReport r = Verify();
  ExpectOnly(r, Damage::kWrongSeed, 1,
             "seq 1: meta.chain_seed " + other +
                 " is not the seed the chain was built on (32 zero bytes, " + std::string(64, '0') +
                 ")");
  EXPECT_EQ(r.rows, 0);
}

TEST_F(VerifyTest, SeedIsCheckedAgainstThePreviousDaysFile) {
  // 2025-02-28 is here when 2025-03-01 is created: its last hash seeds the new day.
  FakeEnv env("2025-02-28T23:59:58Z");
  Append(&env, dir_.path(), {Ev("a", "x"), Ev("a", "y")});
  env.Advance(seconds(3));
  Append(&env, dir_.path(), {Ev("a", "z"), Ev("a", "z")});
  std::string last_of_previous = HashHex(Path("2025-02-28"), 2);
  VerifyReport good = Verify();
  EXPECT_TRUE(good.ok()) << Describe(good);

  // A zero seed where the chain was built on the previous day's hash.
  Sql(Path(), "UPDATE meta SET value = '" + std::string(64, '0') + "' WHERE key = 'chain_seed'");
  ExpectOnly(Verify(), Damage::kWrongSeed, 1,
             "seq 1: meta.chain_seed " + std::string(64, '0') +
                 " is not the seed the chain was built on (the previous day's last hash, " +
                 last_of_previous + ")");

  // Another seed and a chain rebuilt on it: the rows agree, the link to the previous day not.
  Sql(Path(), "UPDATE meta SET value = '" + std::string(64, 'b') + "' WHERE key = 'chain_seed'");
  Rechain(Path());
  ExpectOnly(Verify(), Damage::kWrongSeed, 1,
             "meta.chain_seed " + std::string(64, 'b') +
                 " is not the last hash of the previous day's file (" + last_of_previous + ")");
  VerifyOptions no_link;
  no_link.check_previous_day = false;
  EXPECT_TRUE(Verify(no_link).ok());
}

TEST_F(VerifyTest, RechainedPreviousDayBreaksTheNextDaysLink) {
  FakeEnv env("2025-02-28T23:59:58Z");
  Append(&env, dir_.path(), {Ev("a", "x"), Ev("a", "y")});
  env.Advance(seconds(3));
  Append(&env, dir_.path(), {Ev("a", "z")});
  Tamper(Path("2025-02-28"), "UPDATE log SET value = 'forged' WHERE seq = 1");
  Rechain(Path("2025-02-28"));
  EXPECT_TRUE(Verify({}, "2025-02-28").ok());  // alone, the rewritten day looks fine
  VerifyReport next = Verify();
  ASSERT_EQ(next.problems.size(), 1u);
  EXPECT_EQ(next.problems[0].kind, Damage::kWrongSeed);
  EXPECT_EQ(next.problems[0].seq, 1);
}

TEST_F(VerifyTest, CutOffTailIsCaughtByTheSealInMeta) {
  WriteSixRows();
  Result<SealInfo> seal = SealDay(dir_.path(), kDay, &env_);
  ASSERT_TRUE(seal.ok()) << seal.status().ToString();
  VerifyReport sealed = Verify();
  EXPECT_TRUE(sealed.ok()) << Describe(sealed);
  EXPECT_TRUE(sealed.sealed);
  Tamper(Path(), "DELETE FROM log WHERE seq >= 5");
  VerifyReport r = Verify();
  ExpectOnly(r, Damage::kDeletedRow, 5,
             "seq 5: meta's seal says 6 rows, the file has 4: rows were removed from the end");
  EXPECT_TRUE(r.sealed);
}

TEST_F(VerifyTest, CutOffTailWithMetaRewrittenIsCaughtByTheSealFile) {
  WriteSixRows();
  Result<SealInfo> info = SealDay(dir_.path(), kDay, &env_);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  VerifyOptions with_seal;
  with_seal.seal = SealOf(*info, FileSha256Hex(Path()));
  EXPECT_TRUE(Verify(with_seal).ok());
  // The tail cut, and meta's seal rewritten to match what is left.
  Tamper(Path(),
         "DELETE FROM log WHERE seq = 6; UPDATE meta SET value = '5' WHERE key = 'rows'; "
         "UPDATE meta SET value = lower(hex((SELECT hash FROM log WHERE seq = 5))) "
         "WHERE key = 'final_hash'");
  EXPECT_TRUE(Verify().ok());  // the file agrees with itself
  ExpectOnly(Verify(with_seal), Damage::kDeletedRow, 6,
             "seq 6: the seal file says 6 rows, the file has 5: rows were removed from the end");
}

TEST_F(VerifyTest, CutOffTailOfALiveFileIsCaughtByASealFile) {
  WriteSixRows();
  SealInfo info;
  info.day = kDay;
  info.rows = 6;
  info.final_hash = HashHex(Path(), 6);
  VerifyOptions with_seal;
  with_seal.seal = SealOf(info);
  EXPECT_TRUE(Verify(with_seal).ok());
  Tamper(Path(), "DELETE FROM log WHERE seq = 6");
  EXPECT_TRUE(Verify().ok());  // a chain alone cannot show a cut-off tail
  ExpectOnly(Verify(with_seal), Damage::kDeletedRow, 6,
             "seq 6: the seal file says 6 rows, the file has 5: rows were removed from the end");
}

TEST_F(VerifyTest, RowsAppendedAfterTheSealAreInserted) {
  WriteSixRows();
  SealInfo info;
  info.day = kDay;
  info.rows = 6;
  info.final_hash = HashHex(Path(), 6);
  VerifyOptions with_seal;
  with_seal.seal = SealOf(info);
  Tamper(Path(),
         "INSERT INTO log(seq, ts, event, type, value, is_unique, hash) "
         "SELECT 7, ts, event, type, value, 0, hash FROM log WHERE seq = 6");
  Rechain(Path());
  EXPECT_TRUE(Verify().ok());
  ExpectOnly(Verify(with_seal), Damage::kInsertedRow, 7,
             "seq 7: the seal file says 6 rows, the file has 7: rows were added after the seal");
}

TEST_F(VerifyTest, RowsRewrittenAndRechainedDifferFromTheSeal) {
  WriteSixRows();
  SealInfo info;
  info.day = kDay;
  info.rows = 6;
  info.final_hash = HashHex(Path(), 6);
  VerifyOptions with_seal;
  with_seal.seal = SealOf(info);
  Tamper(Path(), "UPDATE log SET value = '300' WHERE seq = 3");
  Rechain(Path());
  EXPECT_TRUE(Verify().ok());
  ExpectOnly(Verify(with_seal), Damage::kSealMismatch, 0,
             "the seal file: the final hash differs: the rows were rewritten and re-chained");
}

TEST_F(VerifyTest, FileChangedOutsideTheLogDiffersFromTheSealsSha256) {
  WriteSixRows();
  Result<SealInfo> info = SealDay(dir_.path(), kDay, &env_);
  ASSERT_TRUE(info.ok());
  VerifyOptions with_seal;
  with_seal.seal = SealOf(*info, FileSha256Hex(Path()));
  EXPECT_TRUE(Verify(with_seal).ok());
  Sql(Path(), "UPDATE meta SET value = 'elsewhere' WHERE key = 'host'");
  EXPECT_TRUE(Verify().ok());
  ExpectOnly(Verify(with_seal), Damage::kSealMismatch, 0,
             "the file's SHA-256 differs from the seal's file_sha256 (its rows still match: the "
             "file was changed outside the log, e.g. by VACUUM or an edit of meta)");
}

TEST_F(VerifyTest, SealOfAnotherDayIsAMismatch) {
  WriteSixRows();
  SealInfo info;
  info.day = "2025-03-02";
  info.rows = 6;
  info.final_hash = HashHex(Path(), 6);
  VerifyOptions with_seal;
  with_seal.seal = SealOf(info);
  ExpectOnly(Verify(with_seal), Damage::kSealMismatch, 0,
             "the seal is for 2025-03-02, the file for 2025-03-01");
}

TEST_F(VerifyTest, SchemaDamageIsNamed) {
  const struct {
    const char* sql;
    const char* message;
  } cases[] = {
      {"DROP TRIGGER log_no_update",
       "schema: trigger log_no_update is missing (the file's append-only guard was removed)"},
      {"DROP INDEX log_event_ts", "schema: index log_event_ts is missing"},
      {"CREATE TABLE notes(x)", "schema: table notes is not part of the format"},
      {"DROP VIEW entries; CREATE VIEW entries AS SELECT * FROM log",
       "schema: view entries differs from the format's"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sql);
    TempDir fresh;
    FakeEnv env("2025-03-01T10:00:00Z");
    Append(&env, fresh.path(), {Ev("a", "x"), Ev("a", "y")});
    std::string path = DayFilePath(fresh.path(), kDay);
    Sql(path, c.sql);
    Result<VerifyReport> r = VerifyDayFile(path, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectOnly(*r, Damage::kBadSchema, 0, c.message);
    EXPECT_EQ(r->rows, 2);  // the chain itself is fine
  }
}

TEST_F(VerifyTest, MissingTablesAreSchemaDamageNotAFailureToRead) {
  const struct {
    const char* sql;
    std::vector<std::string> messages;
  } cases[] = {
      // In the order of the objects' names.
      {"DROP TABLE uniques",
       {"schema: index sqlite_autoindex_uniques_1 is missing", "schema: table uniques is missing",
        "schema: trigger uniques_no_delete is missing (the file's append-only guard was removed)",
        "schema: trigger uniques_no_update is missing (the file's append-only guard was "
        "removed)"}},
      {"DROP TABLE log",
       {"schema: table log is missing", "schema: index log_event_ts is missing",
        "schema: trigger log_no_delete is missing (the file's append-only guard was removed)",
        "schema: trigger log_no_update is missing (the file's append-only guard was removed)"}},
      {"DROP TABLE events",
       {"schema: table events is missing",
        "schema: trigger events_no_delete is missing (the file's append-only guard was removed)",
        "schema: trigger events_no_update is missing (the file's append-only guard was removed)",
        "schema: index sqlite_autoindex_events_1 is missing"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sql);
    TempDir fresh;
    FakeEnv env("2025-03-01T10:00:00Z");
    Append(&env, fresh.path(), {Ev("a", "x"), Ev("a", "y")});
    std::string path = DayFilePath(fresh.path(), kDay);
    Sql(path, c.sql);
    Result<VerifyReport> r = VerifyDayFile(path, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> schema;
    for (const Problem& p : r->problems) {
      if (p.kind == Damage::kBadSchema) {
        schema.push_back(p.message);
      }
    }
    EXPECT_EQ(schema, c.messages) << Describe(*r);
  }
}

TEST_F(VerifyTest, BadMetaIsNamed) {
  WriteSixRows();
  Sql(Path(), "DELETE FROM meta WHERE key = 'timezone'");
  ExpectOnly(Verify(), Damage::kBadMeta, 0, "meta.timezone is missing");
  Sql(Path(),
      "INSERT INTO meta VALUES('timezone', 'UTC'); "
      "UPDATE meta SET value = 'xyz' WHERE key = 'chain_seed'");
  VerifyReport r = Verify();
  ASSERT_GE(r.problems.size(), 1u);
  // The chain's problem comes first; the meta problem follows.
  EXPECT_EQ(r.problems.back().kind, Damage::kBadMeta);
  EXPECT_EQ(r.problems.back().message, "meta.chain_seed is not 64 hex digits");
  Sql(Path(), "UPDATE meta SET value = '" + std::string(64, '0') +
                  "' WHERE key = 'chain_seed'; UPDATE meta SET value = '2025-03-02' "
                  "WHERE key = 'day'");
  ExpectOnly(Verify(), Damage::kBadMeta, 0,
             "the file is named for 2025-03-01 but meta.day is \"2025-03-02\"");
}

TEST_F(VerifyTest, IncompleteSealInMetaIsBadMeta) {
  WriteSixRows();
  ASSERT_TRUE(SealDay(dir_.path(), kDay, &env_).ok());
  Sql(Path(), "DELETE FROM meta WHERE key = 'final_hash'");
  ExpectOnly(Verify(), Damage::kBadMeta, 0,
             "meta's seal is incomplete (sealed_at, rows, final_hash)");
}

TEST_F(VerifyTest, UniquesAndIdempotencyMustNameRealRows) {
  WriteSixRows();
  Tamper(Path(), "INSERT INTO uniques VALUES('2025-03-01', 1, 99)");
  ExpectOnly(Verify(), Damage::kBrokenLink, 99,
             "seq 99: uniques names this row, but it does not exist");
  Tamper(Path(),
         "DELETE FROM uniques WHERE seq = 99; INSERT INTO uniques VALUES('2025-03-01', "
         "1, 2)");
  ExpectOnly(Verify(), Damage::kBrokenLink, 2,
             "seq 2: uniques names this row, but it is not that unique event");
  Tamper(Path(),
         "DELETE FROM uniques WHERE seq = 2; INSERT INTO idempotency VALUES('shop', "
         "'k1', 77)");
  ExpectOnly(Verify(), Damage::kBrokenLink, 77,
             "seq 77: idempotency names this row, but it does not exist");
}

TEST_F(VerifyTest, DamagedSqlitePagesFailIntegrityCheck) {
  WriteSixRows();
  Sql(Path(), "PRAGMA wal_checkpoint(TRUNCATE)");
  int64_t page_size = SqlInt(Path(), "PRAGMA page_size");
  int64_t root = SqlInt(Path(), "SELECT rootpage FROM sqlite_master WHERE name = 'log_event_ts'");
  ASSERT_GT(root, 1);
  // Scribble over the cell area at the end of the index's page (the log's table is intact,
  // so the chain still reads).
  int fd = open(Path().c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  std::string junk(64, '\x7f');
  ASSERT_EQ(pwrite(fd, junk.data(), junk.size(),
                   static_cast<off_t>(root * page_size - static_cast<int64_t>(junk.size()))),
            static_cast<ssize_t>(junk.size()));
  close(fd);
  VerifyReport r = Verify();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.rows, 6);
  for (const Problem& p : r.problems) {
    EXPECT_EQ(p.kind, Damage::kIntegrity) << p.message;
    EXPECT_EQ(p.message.rfind("integrity_check: ", 0), 0u) << p.message;
  }
  VerifyOptions skip;
  skip.integrity_check = false;
  EXPECT_TRUE(Verify(skip).ok());
}

TEST_F(VerifyTest, UnreadableFilesFailRatherThanReport) {
  Result<VerifyReport> missing = VerifyDayFile(Path(), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().reason(), "not_found");
  std::ofstream(Path()) << "not a database, just some text that is long enough to be a header\n";
  Result<VerifyReport> text = VerifyDayFile(Path(), {});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().reason(), "not_itslog_file") << text.status().ToString();
  std::remove(Path().c_str());
  Sql(Path(), "CREATE TABLE t(x)");
  Result<VerifyReport> other = VerifyDayFile(Path(), {});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().reason(), "not_itslog_file");
}

TEST(ParseSealTest, ReadsTheFourMembersAndIgnoresOthers) {
  std::string hash(64, 'a'), sha(64, 'B');
  Result<Seal> s = ParseSeal(" {\"day\":\"2025-03-01\", \"rows\": 12, \"final_hash\":\"" + hash +
                             "\",\"file_sha256\":\"" + sha +
                             "\",\"extra\":{\"a\":[1,2,{\"b\":null}]},\"note\":\"x\\u00e9\"}\n");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->day, "2025-03-01");
  EXPECT_EQ(s->rows, 12);
  EXPECT_EQ(HexEncode(s->final_hash), hash);
  ASSERT_TRUE(s->file_sha256.has_value());
  EXPECT_EQ(HexEncode(*s->file_sha256), std::string(64, 'b'));
  Result<Seal> no_sha =
      ParseSeal("{\"day\":\"2025-03-01\",\"rows\":0,\"final_hash\":\"" + hash + "\"}");
  ASSERT_TRUE(no_sha.ok());
  EXPECT_FALSE(no_sha->file_sha256.has_value());
}

TEST(ParseSealTest, ReadsTheHostWhenThereIsOne) {
  std::string hash(64, 'c'), sha(64, 'd');
  SealInfo info;
  info.day = "2025-03-01";
  info.rows = 3;
  info.final_hash = hash;
  const std::string with_host = SealJson(info, "vm-a.example", sha);
  EXPECT_EQ(with_host,
            "{\"day\":\"2025-03-01\",\"host\":\"vm-a.example\",\"rows\":3,"
            "\"final_hash\":\"" +
                hash + "\",\"file_sha256\":\"" + sha + "\"}");
  Result<Seal> s = ParseSeal(with_host);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->host, "vm-a.example");
  EXPECT_EQ(s->day, "2025-03-01");
  EXPECT_EQ(s->rows, 3);
  // The first layout's seal: no host.
  const std::string legacy = SealJson(info, "", sha);
  EXPECT_EQ(legacy, "{\"day\":\"2025-03-01\",\"rows\":3,\"final_hash\":\"" + hash +
                        "\",\"file_sha256\":\"" + sha + "\"}");
  s = ParseSeal(legacy);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->host, "");
  for (const char* bad : {"\"\"", "\"VM-A\"", "\"../x\"", "\"a/b\"", "1", "\"-a\""}) {
    s = ParseSeal("{\"day\":\"2025-03-01\",\"host\":" + std::string(bad) +
                  ",\"rows\":1,\"final_hash\":\"" + hash + "\"}");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().message(), "\"host\" must be a host_id ([a-z0-9][a-z0-9.-]{0,62})") << bad;
  }
}

TEST(ParseSealTest, RejectsWhatIsNotASeal) {
  std::string h(64, 'a');
  const struct {
    std::string json;
    std::string message;
  } cases[] = {
      {"", "a seal must be a JSON object"},
      {"[]", "a seal must be a JSON object"},
      {"{\"day\":\"2025-03-01\"} x", "text after the seal's object"},
      {"{\"day\":\"2025-03-01\",\"day\":\"2025-03-01\"}", "member \"day\" appears twice"},
      {"{\"day\":\"2025-03-01\"", "expected ',' or '}'"},
      {"{\"day\":\"2025-3-1\",\"rows\":1,\"final_hash\":\"" + h + "\"}",
       "the seal needs \"day\" as \"YYYY-MM-DD\""},
      {"{\"rows\":1,\"final_hash\":\"" + h + "\"}", "the seal needs \"day\" as \"YYYY-MM-DD\""},
      {"{\"day\":\"2025-03-01\",\"final_hash\":\"" + h + "\"}",
       "the seal needs \"rows\" as a non-negative integer"},
      {"{\"day\":\"2025-03-01\",\"rows\":-1,\"final_hash\":\"" + h + "\"}",
       "the seal needs \"rows\" as a non-negative integer"},
      {"{\"day\":\"2025-03-01\",\"rows\":1.5,\"final_hash\":\"" + h + "\"}",
       "the seal needs \"rows\" as a non-negative integer"},
      {"{\"day\":\"2025-03-01\",\"rows\":1,\"final_hash\":\"abc\"}",
       "the seal needs \"final_hash\" as 64 hex digits"},
      {"{\"day\":\"2025-03-01\",\"rows\":1,\"final_hash\":\"" + h + "\",\"file_sha256\":\"zz\"}",
       "\"file_sha256\" must be 64 hex digits"},
      {"{\"day\":\"2025-03-01\\q\"}", "bad escape in a string"},
      {"{\"day\":\"a\nb\"}", "control character in a string"},
  };
  for (const auto& c : cases) {
    Result<Seal> s = ParseSeal(c.json);
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_EQ(s.status().reason(), "invalid_seal") << c.json;
    EXPECT_EQ(s.status().message(), c.message) << c.json;
  }
}

}  // namespace
}  // namespace itslog
