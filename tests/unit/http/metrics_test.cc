#include "http/metrics.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "lib/temp_dir.h"

namespace itslog {
namespace {

std::unique_ptr<Metrics> OpenOrFail(const std::string& dir) {
  Result<std::unique_ptr<Metrics>> m = Metrics::Open(dir);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : nullptr;
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(MetricsTest, FreshFileRendersZeroCountersAndNoRequests) {
  TempDir dir;
  std::unique_ptr<Metrics> m = OpenOrFail(dir.path());
  ASSERT_NE(m, nullptr);
  std::string text = m->RenderPrometheus({});
  EXPECT_TRUE(Has(text,
                  "# HELP itslog_events_accepted_total Events accepted by the ingest API: "
                  "stored, or duplicates of events stored before.\n"
                  "# TYPE itslog_events_accepted_total counter\n"
                  "itslog_events_accepted_total 0\n"))
      << text;
  EXPECT_TRUE(Has(text, "itslog_events_duplicates_total 0\n"));
  EXPECT_TRUE(Has(text, "itslog_events_rejected_total{reason=\"invalid_json\"} 0\n"));
  EXPECT_TRUE(Has(text, "itslog_events_rejected_total{reason=\"other\"} 0\n"));
  EXPECT_FALSE(Has(text, "itslog_http_requests_total{"));
  EXPECT_FALSE(Has(text, "itslog_http_request_duration_seconds_bucket"));
  EXPECT_FALSE(Has(text, "itslog_day_file_bytes"));
  EXPECT_FALSE(Has(text, "itslog_last_ship_timestamp_seconds"));
  struct stat st;
  ASSERT_EQ(stat((dir.path() + "/.itslog-metrics-v2").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(MetricsTest, CountersOfEveryProcessAndObjectAddUp) {
  TempDir dir;
  std::unique_ptr<Metrics> a = OpenOrFail(dir.path());
  std::unique_ptr<Metrics> b = OpenOrFail(dir.path() + "/");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  a->RecordAccepted(3, 1);
  b->RecordAccepted(2, 0);
  a->RecordRejected("invalid_value", 2);
  b->RecordRejected("invalid_value");
  b->RecordRejected("no_such_reason", 4);
  a->RecordRejected("invalid_json", 0);  // nothing
  a->RecordRequest(RouteId::kEvents, 200, 700);
  b->RecordRequest(RouteId::kEvents, 200, 3000000);
  b->RecordRequest(RouteId::kLog, 418, -5);
  // A child process (a worker of its own) adds to the same counters.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Result<std::unique_ptr<Metrics>> c = Metrics::Open(dir.path());
    if (!c.ok()) {
      _exit(3);
    }
    (*c)->RecordAccepted(10, 5);
    (*c)->RecordRejected("invalid_value", 1);
    (*c)->RecordRequest(RouteId::kEvents, 200, 1000);
    (*c)->RecordRequest(RouteId::kEvents, 503, 20000);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  const std::string text = a->RenderPrometheus({});
  EXPECT_EQ(text, b->RenderPrometheus({}));
  EXPECT_TRUE(Has(text, "\nitslog_events_accepted_total 15\n")) << text;
  EXPECT_TRUE(Has(text, "\nitslog_events_duplicates_total 6\n")) << text;
  EXPECT_TRUE(Has(text, "\nitslog_events_rejected_total{reason=\"invalid_value\"} 4\n")) << text;
  EXPECT_TRUE(Has(text, "\nitslog_events_rejected_total{reason=\"invalid_json\"} 0\n")) << text;
  EXPECT_TRUE(Has(text, "\nitslog_events_rejected_total{reason=\"other\"} 4\n")) << text;
  EXPECT_TRUE(Has(text,
                  "\nitslog_http_requests_total{route=\"events\",code=\"200\"} 3\n"
                  "itslog_http_requests_total{route=\"events\",code=\"503\"} 1\n"))
      << text;
  EXPECT_TRUE(Has(text, "\nitslog_http_requests_total{route=\"log\",code=\"other\"} 1\n")) << text;
  // Buckets are cumulative: 700 us and 1000 us in le=0.001, 20 ms in le=0.025, 3 s in le=5.
  EXPECT_TRUE(Has(text,
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"0.0005\"} 0\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"0.001\"} 2\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"0.0025\"} 2\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"0.005\"} 2\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"0.01\"} 2\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"0.025\"} 3\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"0.05\"} 3\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"0.1\"} 3\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"0.25\"} 3\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"0.5\"} 3\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"1\"} 3\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"2.5\"} 3\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"5\"} 4\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"10\"} 4\n"
                  "itslog_http_request_duration_seconds_bucket{route=\"events\",le=\"+Inf\"} 4\n"
                  "itslog_http_request_duration_seconds_sum{route=\"events\"} 3.021700\n"
                  "itslog_http_request_duration_seconds_count{route=\"events\"} 4\n"))
      << text;
  EXPECT_TRUE(Has(text, "itslog_http_request_duration_seconds_sum{route=\"log\"} 0.000000\n"))
      << text;
  // The counts survive the objects: a new one reads them from the file.
  a.reset();
  b.reset();
  std::unique_ptr<Metrics> again = OpenOrFail(dir.path());
  EXPECT_EQ(again->RenderPrometheus({}), text);
}

TEST(MetricsTest, GaugesAndLastShip) {
  TempDir dir;
  std::unique_ptr<Metrics> m = OpenOrFail(dir.path());
  MetricsGauges g;
  g.day = "2025-03-01";
  g.day_file_bytes = 12345;
  g.free_bytes = 987654321;
  m->RecordShip(1740787200);
  std::string text = m->RenderPrometheus(g);
  EXPECT_TRUE(Has(text,
                  "# TYPE itslog_day_file_bytes gauge\n"
                  "itslog_day_file_bytes{day=\"2025-03-01\"} 12345\n"))
      << text;
  EXPECT_TRUE(Has(text, "\nitslog_data_dir_free_bytes 987654321\n")) << text;
  EXPECT_TRUE(Has(text, "\nitslog_last_ship_timestamp_seconds 1740787200\n")) << text;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(MetricsTest, ForeignOrDamagedFilesAreRefusedAndLeftAlone) {
  TempDir fresh;
  ASSERT_NE(OpenOrFail(fresh.path()), nullptr);
  const std::string ours = ReadAll(fresh.path() + "/.itslog-metrics-v2");
  ASSERT_GT(ours.size(), 64u);

  TempDir dir;
  const std::string path = dir.path() + "/.itslog-metrics-v2";
  const std::string not_ours = "its-log metrics? no: " + std::string(ours.size() - 21, 'x');
  const struct {
    std::string content;
    std::string message;
  } cases[] = {
      {"not the metrics of its-log, but some text",
       "the metrics file " + path + " is not an its-log metrics file"},
      {not_ours, "the metrics file " + path + " is not an its-log metrics file"},
      {"x", "the metrics file " + path + " is not an its-log metrics file"},
      {ours + std::string(8, '\0'), "the metrics file " + path + " has another layout; remove it"},
      {ours.substr(0, 64), "the metrics file " + path + " has another layout; remove it"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.content.size());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << c.content;
    Result<std::unique_ptr<Metrics>> m = Metrics::Open(dir.path());
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), Code::kUnavailable);
    EXPECT_EQ(m.status().reason(), "storage_unavailable");
    EXPECT_EQ(m.status().message(), c.message);
    EXPECT_EQ(ReadAll(path), c.content);  // not grown, not written
  }
  // A directory where the file should be.
  TempDir other;
  ASSERT_EQ(mkdir((other.path() + "/.itslog-metrics-v2").c_str(), 0755), 0);
  Result<std::unique_ptr<Metrics>> dir_in_the_way = Metrics::Open(other.path());
  ASSERT_FALSE(dir_in_the_way.ok());
  EXPECT_EQ(dir_in_the_way.status().reason(), "storage_unavailable");
  // No such data_dir.
  Result<std::unique_ptr<Metrics>> missing = Metrics::Open(dir.path() + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().reason(), "storage_unavailable");
  // An empty file (created, not yet sized) is taken over.
  std::ofstream(path, std::ios::trunc).flush();
  std::unique_ptr<Metrics> taken = OpenOrFail(dir.path());
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(ReadAll(path).size(), ours.size());
}

TEST(MetricsTest, RouteLabels) {
  EXPECT_EQ(RouteLabel(RouteId::kLog), "log");
  EXPECT_EQ(RouteLabel(RouteId::kEventBySeq), "event_by_seq");
  EXPECT_EQ(RouteLabel(RouteId::kTail), "tail");
  EXPECT_EQ(RouteLabel(RouteId::kMetrics), "metrics");
}

}  // namespace
}  // namespace itslog
