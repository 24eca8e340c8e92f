// Export: streams the rows of a day file as JSON lines or RFC 4180 CSV, in seq order, with
// constant memory whatever the file's size (and a day of several hosts' files as one log, in
// time order); and the one JSON shape of an event that the HTTP
// API, `itslog tail --json` and `itslog export` share (docs/ANALYSIS.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/reader.h"

namespace itslog {

// Formats microseconds since the epoch as "2025-03-01T23:59:59.999999Z", remembering the
// date part of the last call (rows of a file share it).
class IsoTimeFormatter {
 public:
  void Append(std::string* out, int64_t ts_micros);

 private:
  int64_t cached_day_ = INT64_MIN;
  char date_[11] = {};  // "YYYY-MM-DDT"
};

// Appends one event as a JSON object with the members of the entries view plus "day":
// {"day":"2025-03-01","seq":7,"time":"2025-03-01T12:00:00.000000Z","app":"a","event":"e",
//  "value":"42","type":1,"is_unique":0}
// value is the stored text (null when none was sent). With a host, a last member "host":"..."
// names the host whose file holds the event (the read API; several hosts make a day).
void AppendEventJson(std::string* out, std::string_view day, const RowView& row,
                     IsoTimeFormatter* time, std::string_view host = {});

// The CSV header of AppendEventCsv: the same columns as the JSON form, in the same order.
inline constexpr std::string_view kCsvHeader = "day,seq,time,app,event,value,type,is_unique";

// Appends one event as an RFC 4180 CSV record ending in CRLF. A NULL value is an empty field,
// an empty value a quoted empty field ("") (as PostgreSQL's COPY ... CSV reads them).
void AppendEventCsv(std::string* out, std::string_view day, const RowView& row,
                    IsoTimeFormatter* time);

enum class ExportFormat { kJsonl, kCsv };

struct ExportOptions {
  ExportFormat format = ExportFormat::kJsonl;
  std::optional<std::string> app;    // only this app's rows
  std::optional<std::string> event;  // only rows of this event name
  bool csv_header = true;
  // When set, each row also names its host: a "host" member last in JSON, a host column last
  // in CSV (a day of several hosts, docs/OPERATIONS.md "Running several hosts").
  std::optional<std::string> host;
};

// Writes the rows of the day file at path to fd, in one read snapshot, through a buffer of
// about 1 MiB. Returns the number of rows written. Fails as DayReader::Open, or kUnavailable
// "write_failed" when fd refuses the data (e.g. a closed pipe).
Result<int64_t> ExportDayFile(const std::string& path, const ExportOptions& options, int fd);

// One host's file of a day, for ExportDayFiles.
struct ExportInput {
  std::string host;
  std::string path;
};

// Writes the rows of a day's files, one per host, as one log: in (ts, host, seq) order, the
// read API's order, each row naming its host (options.host is not used). Reads each file in
// one snapshot, batch_rows rows at a time, so memory stays bounded whatever the files' sizes.
// Returns the number of rows written; fails as ExportDayFile.
Result<int64_t> ExportDayFiles(const std::vector<ExportInput>& files, const ExportOptions& options,
                               int fd, int64_t batch_rows = 4096);

}  // namespace itslog
