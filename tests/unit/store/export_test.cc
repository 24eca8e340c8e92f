#include "store/export.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lib/fake_env.h"
#include "lib/temp_dir.h"
#include "store/day_store.h"
#include "unit/store/day_files_for_tests.h"

namespace itslog {
namespace {

using std::chrono::seconds;
using testing_days::Append;
using testing_days::Ev;
using testing_days::Tamper;

class ExportTest : public ::testing::Test {
 protected:
  ExportTest() : env_("2025-03-01T10:00:00Z") {}

  std::string Path() { return DayFilePath(dir_.path(), "2025-03-01"); }

  // Rows whose values need every kind of quoting, a second apart.
  void WriteTrickyRows() {
    const std::vector<Event> events = {
        Ev("shop", "cart.items", ValueType::kInteger, "3"),
        Ev("shop", "note", ValueType::kText, "say \"hi\", then\nleave\r\n"),
        Ev("shop", "none"),
        Ev("blog", "greeting", ValueType::kText, "h\xc3\xa9llo \xe2\x9c\x93"),
        Ev("blog", "empty", ValueType::kText, ""),
        Ev("blog", "login", ValueType::kText, "a\tb\x01\\", /*unique=*/true),
        Ev("shop", "cart.items", ValueType::kInteger, "-7"),
    };
    for (const Event& e : events) {
      Append(&env_, dir_.path(), {e});
      env_.Advance(std::chrono::milliseconds(1500));
    }
  }

  // Runs the export into a file and returns what it wrote.
  std::string Export(const ExportOptions& options, Result<int64_t>* rows = nullptr) {
    std::string out_path = out_dir_.path() + "/out";
    int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    Result<int64_t> r = ExportDayFile(Path(), options, fd);
    close(fd);
    if (rows != nullptr) {
      *rows = r;
    } else {
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
    std::ifstream in(out_path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  TempDir dir_;
  TempDir out_dir_;
  FakeEnv env_;
};

TEST_F(ExportTest, JsonLinesHoldEveryColumnEscaped) {
  WriteTrickyRows();
  Result<int64_t> rows = 0;
  std::string out = Export({}, &rows);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, 7);
  EXPECT_EQ(
      out,
      "{\"day\":\"2025-03-01\",\"seq\":1,\"time\":\"2025-03-01T10:00:00.000000Z\","
      "\"app\":\"shop\",\"event\":\"cart.items\",\"value\":\"3\",\"type\":1,\"is_unique\":0}\n"
      "{\"day\":\"2025-03-01\",\"seq\":2,\"time\":\"2025-03-01T10:00:01.500000Z\","
      "\"app\":\"shop\",\"event\":\"note\",\"value\":\"say \\\"hi\\\", then\\nleave\\r\\n\","
      "\"type\":3,\"is_unique\":0}\n"
      "{\"day\":\"2025-03-01\",\"seq\":3,\"time\":\"2025-03-01T10:00:03.000000Z\","
      "\"app\":\"shop\",\"event\":\"none\",\"value\":null,\"type\":3,\"is_unique\":0}\n"
      "{\"day\":\"2025-03-01\",\"seq\":4,\"time\":\"2025-03-01T10:00:04.500000Z\","
      "\"app\":\"blog\",\"event\":\"greeting\",\"value\":\"h\xc3\xa9llo \xe2\x9c\x93\","
      "\"type\":3,\"is_unique\":0}\n"
      "{\"day\":\"2025-03-01\",\"seq\":5,\"time\":\"2025-03-01T10:00:06.000000Z\","
      "\"app\":\"blog\",\"event\":\"empty\",\"value\":\"\",\"type\":3,\"is_unique\":0}\n"
      "{\"day\":\"2025-03-01\",\"seq\":6,\"time\":\"2025-03-01T10:00:07.500000Z\","
      "\"app\":\"blog\",\"event\":\"login\",\"value\":\"a\\tb\\u0001\\\\\",\"type\":3,"
      "\"is_unique\":1}\n"
      "{\"day\":\"2025-03-01\",\"seq\":7,\"time\":\"2025-03-01T10:00:09.000000Z\","
      "\"app\":\"shop\",\"event\":\"cart.items\",\"value\":\"-7\",\"type\":1,"
      "\"is_unique\":0}\n");
}

TEST_F(ExportTest, CsvFollowsRfc4180) {
  WriteTrickyRows();
  ExportOptions csv;
  csv.format = ExportFormat::kCsv;
  EXPECT_EQ(
      Export(csv),
      "day,seq,time,app,event,value,type,is_unique\r\n"
      "2025-03-01,1,2025-03-01T10:00:00.000000Z,shop,cart.items,3,1,0\r\n"
      "2025-03-01,2,2025-03-01T10:00:01.500000Z,shop,note,\"say \"\"hi\"\", then\nleave\r\n\","
      "3,0\r\n"
      "2025-03-01,3,2025-03-01T10:00:03.000000Z,shop,none,,3,0\r\n"
      "2025-03-01,4,2025-03-01T10:00:04.500000Z,blog,greeting,h\xc3\xa9llo \xe2\x9c\x93,3,0\r\n"
      "2025-03-01,5,2025-03-01T10:00:06.000000Z,blog,empty,\"\",3,0\r\n"
      "2025-03-01,6,2025-03-01T10:00:07.500000Z,blog,login,a\tb\x01\\,3,1\r\n"
      "2025-03-01,7,2025-03-01T10:00:09.000000Z,shop,cart.items,-7,1,0\r\n");
  csv.csv_header = false;
  std::string no_header = Export(csv);
  EXPECT_EQ(no_header.substr(0, no_header.find("\r\n")),
            "2025-03-01,1,2025-03-01T10:00:00.000000Z,shop,cart.items,3,1,0");
}

TEST_F(ExportTest, RowsNameTheirHostWhenAsked) {
  Append(&env_, dir_.path(), {Ev("shop", "a", ValueType::kText, "x")});
  ExportOptions options;
  options.host = "vm-\"a\"";
  EXPECT_EQ(Export(options),
            "{\"day\":\"2025-03-01\",\"seq\":1,\"time\":\"2025-03-01T10:00:00.000000Z\","
            "\"app\":\"shop\",\"event\":\"a\",\"value\":\"x\",\"type\":3,\"is_unique\":0,"
            "\"host\":\"vm-\\\"a\\\"\"}\n");
  options.format = ExportFormat::kCsv;
  options.host = "vm,a";
  EXPECT_EQ(Export(options),
            "day,seq,time,app,event,value,type,is_unique,host\r\n"
            "2025-03-01,1,2025-03-01T10:00:00.000000Z,shop,a,x,3,0,\"vm,a\"\r\n");
}

TEST_F(ExportTest, CsvQuotesLoneCarriageReturnsAndCommas) {
  Append(&env_, dir_.path(),
         {Ev("a", "x", ValueType::kText, "one\rtwo"), Ev("a", "x", ValueType::kText, "1,2"),
          Ev("a", "x", ValueType::kText, "\"")});
  ExportOptions csv;
  csv.format = ExportFormat::kCsv;
  csv.csv_header = false;
  EXPECT_EQ(Export(csv),
            "2025-03-01,1,2025-03-01T10:00:00.000000Z,a,x,\"one\rtwo\",3,0\r\n"
            "2025-03-01,2,2025-03-01T10:00:00.000000Z,a,x,\"1,2\",3,0\r\n"
            "2025-03-01,3,2025-03-01T10:00:00.000000Z,a,x,\"\"\"\",3,0\r\n");
}

// The seqs of the JSON lines in out.
std::vector<int> SeqsOf(const std::string& out) {
  std::vector<int> seqs;
  size_t at = 0;
  while ((at = out.find("\"seq\":", at)) != std::string::npos) {
    at += 6;
    seqs.push_back(static_cast<int>(std::strtol(out.c_str() + at, nullptr, 10)));
  }
  return seqs;
}

TEST_F(ExportTest, FiltersByAppAndEvent) {
  WriteTrickyRows();
  ExportOptions o;
  o.app = "shop";
  EXPECT_EQ(SeqsOf(Export(o)), (std::vector<int>{1, 2, 3, 7}));
  o.event = "cart.items";
  EXPECT_EQ(SeqsOf(Export(o)), (std::vector<int>{1, 7}));
  o.app = "blog";
  Result<int64_t> rows = -1;
  EXPECT_EQ(Export(o, &rows), "");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, 0);
  o.app.reset();
  o.event = "login";
  EXPECT_EQ(SeqsOf(Export(o)), (std::vector<int>{6}));
  o.event = "nothing.like.it";
  o.format = ExportFormat::kCsv;
  EXPECT_EQ(Export(o), "day,seq,time,app,event,value,type,is_unique\r\n");
}

TEST_F(ExportTest, MissingFileIsNotFound) {
  Result<int64_t> rows = 0;
  EXPECT_EQ(Export({}, &rows), "");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), Code::kNotFound);
  EXPECT_EQ(rows.status().reason(), "not_found");
  EXPECT_EQ(rows.status().message(), "no day file " + Path());
}

TEST_F(ExportTest, RefusedWritesFail) {
  Append(&env_, dir_.path(), {Ev("a", "x")});
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  Result<int64_t> r = ExportDayFile(Path(), {}, fd);
  close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().reason(), "write_failed");
}

// A day of two hosts exports as one log: (ts, host, seq) order, each row naming its host,
// whatever the batch size of the merge.
TEST_F(ExportTest, SeveralHostsFilesExportAsOneLogInTimeOrder) {
  TempDir a_dir;
  TempDir b_dir;
  auto at = [&](const std::string& dir, const char* time, const char* app) {
    env_.SetNow(time);
    Append(&env_, dir, {Ev(app, "e", ValueType::kText, std::string(time + 11, 8))});
  };
  at(b_dir.path(), "2025-03-01T10:00:00Z", "shop");  // b1
  at(a_dir.path(), "2025-03-01T10:00:01Z", "blog");  // a1
  at(a_dir.path(), "2025-03-01T10:00:02Z", "shop");  // a2
  at(b_dir.path(), "2025-03-01T10:00:02Z", "shop");  // b2: same time, host b after a
  at(b_dir.path(), "2025-03-01T10:00:03Z", "blog");  // b3
  at(a_dir.path(), "2025-03-01T10:00:04Z", "shop");  // a3
  const std::vector<ExportInput> files = {{"vm-b", DayFilePath(b_dir.path(), "2025-03-01")},
                                          {"vm-a", DayFilePath(a_dir.path(), "2025-03-01")}};
  auto run = [&](const ExportOptions& options, int64_t batch_rows) {
    std::string out_path = out_dir_.path() + "/merged";
    int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    Result<int64_t> rows = ExportDayFiles(files, options, fd, batch_rows);
    close(fd);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::ifstream in(out_path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  auto line = [](const char* host, int seq, const char* time, const char* app) {
    return "{\"day\":\"2025-03-01\",\"seq\":" + std::to_string(seq) + ",\"time\":\"2025-03-01T" +
           time + ".000000Z\",\"app\":\"" + app + "\",\"event\":\"e\",\"value\":\"" + time +
           "\",\"type\":3,\"is_unique\":0,\"host\":\"" + host + "\"}\n";
  };
  const std::string all =
      line("vm-b", 1, "10:00:00", "shop") + line("vm-a", 1, "10:00:01", "blog") +
      line("vm-a", 2, "10:00:02", "shop") + line("vm-b", 2, "10:00:02", "shop") +
      line("vm-b", 3, "10:00:03", "blog") + line("vm-a", 3, "10:00:04", "shop");
  for (int64_t batch : {1, 2, 4096}) {
    EXPECT_EQ(run({}, batch), all) << "batch " << batch;
  }
  ExportOptions shop;
  shop.app = "shop";
  EXPECT_EQ(run(shop, 1),
            line("vm-b", 1, "10:00:00", "shop") + line("vm-a", 2, "10:00:02", "shop") +
                line("vm-b", 2, "10:00:02", "shop") + line("vm-a", 3, "10:00:04", "shop"));
  ExportOptions none;
  none.app = "nobody";
  EXPECT_EQ(run(none, 1), "");
  ExportOptions csv;
  csv.format = ExportFormat::kCsv;
  csv.event = "e";
  const std::string got = run(csv, 2);
  EXPECT_EQ(got.substr(0, got.find("\r\n") + 2),
            "day,seq,time,app,event,value,type,is_unique,host\r\n");
  EXPECT_NE(got.find("\r\n2025-03-01,1,2025-03-01T10:00:00.000000Z,shop,e,10:00:00,3,0,vm-b\r\n"
                     "2025-03-01,1,2025-03-01T10:00:01.000000Z,blog,e,10:00:01,3,0,vm-a\r\n"),
            std::string::npos)
      << got;
  // A bad row in either file fails the export, naming why.
  Tamper(DayFilePath(a_dir.path(), "2025-03-01"), "UPDATE log SET event = 999 WHERE seq = 3");
  int fd = open((out_dir_.path() + "/bad").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  Result<int64_t> rows = ExportDayFiles(files, {}, fd, 2);
  close(fd);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().reason(), "corrupt_file");
}

// Export holds at most about 1 MiB of output: a file whose rows fail to read far down has
// already written all but the last MiB of the rows before the bad one.
TEST_F(ExportTest, StreamsInBoundedMemory) {
  StoreOptions so;
  so.data_dir = dir_.path();
  DayStore store(&env_, so);
  const std::string value(1000, 'v');
  constexpr int kRows = 3000;
  for (int batch = 0; batch < kRows / 500; ++batch) {
    std::vector<Event> events(500, Ev("a", "big", ValueType::kText, value));
    auto r = store.Append(events);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  std::string full = Export({});
  ASSERT_EQ(SeqsOf(full).size(), static_cast<size_t>(kRows));
  const size_t bad_at = full.find("{\"day\":\"2025-03-01\",\"seq\":2900,");
  ASSERT_NE(bad_at, std::string::npos);
  Tamper(Path(), "UPDATE log SET event = 999 WHERE seq = 2900");
  Result<int64_t> rows = 0;
  std::string part = Export({}, &rows);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().reason(), "corrupt_file");
  EXPECT_EQ(full.compare(0, part.size(), part), 0);  // a prefix of the good export
  ASSERT_FALSE(part.empty());
  EXPECT_EQ(part.back(), '\n');
  EXPECT_GE(part.size() + (size_t{1} << 20) + 2 * (value.size() + 200), bad_at);
  EXPECT_LT(part.size(), bad_at);
}

// A file edited to hold absurd times still exports (the chain tells it was edited).
TEST_F(ExportTest, ExtremeTimesOfAnEditedFileExport) {
  Append(&env_, dir_.path(), {Ev("a", "x"), Ev("a", "y")});
  Tamper(Path(),
         "UPDATE log SET ts = -9223372036854775808 WHERE seq = 1; "
         "UPDATE log SET ts = 9223372036854775807 WHERE seq = 2");
  Result<int64_t> rows = 0;
  std::string out = Export({}, &rows);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 2);
  EXPECT_NE(out.find("\"time\":\"" + FormatIso8601Micros(INT64_MIN) + "\""), std::string::npos)
      << out;
  EXPECT_NE(out.find("\"time\":\"" + FormatIso8601Micros(INT64_MAX) + "\""), std::string::npos)
      << out;
}

TEST(IsoTimeFormatterTest, FormatsAcrossDaysAndOutOfRange) {
  IsoTimeFormatter f;
  std::string out;
  const int64_t t = *ParseIso8601Micros("2025-03-01T23:59:59.999999Z");
  f.Append(&out, t);
  out += ' ';
  f.Append(&out, t + 1);
  out += ' ';
  f.Append(&out, t + 2);
  out += ' ';
  f.Append(&out, 0);
  out += ' ';
  f.Append(&out, -1);
  EXPECT_EQ(out,
            "2025-03-01T23:59:59.999999Z 2025-03-02T00:00:00.000000Z 2025-03-02T00:00:00.000001Z "
            "1970-01-01T00:00:00.000000Z 1969-12-31T23:59:59.999999Z");
  for (int64_t ts : {*ParseIso8601Micros("0001-01-01T00:00:00Z") - kMicrosPerDay,
                     *ParseIso8601Micros("9999-12-31T12:00:00Z") + kMicrosPerDay, INT64_MIN,
                     INT64_MIN + 1, INT64_MIN + kMicrosPerDay, INT64_MAX, INT64_MAX - 1}) {
    std::string o;
    f.Append(&o, ts);
    EXPECT_EQ(o, FormatIso8601Micros(ts));
  }
}

}  // namespace
}  // namespace itslog
