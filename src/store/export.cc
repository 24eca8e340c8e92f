#include "store/export.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/json_writer.h"
#include "core/time_util.h"

namespace itslog {

namespace {

constexpr size_t kFlushBytes = 1 << 20;

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  out->append(buf, static_cast<size_t>(end - buf));
}

// Printable ASCII without '"' and '\\': copied into JSON as is.
bool PlainJson(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      return false;
    }
  }
  return true;
}

void AppendJsonText(std::string* out, std::string_view s) {
  if (PlainJson(s)) {
    out->push_back('"');
    out->append(s);
    out->push_back('"');
  } else {
    AppendJsonString(out, s);
  }
}

void AppendCsvField(std::string* out, std::string_view s) {
  bool quote = s.empty() || s.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') {
      out->push_back('"');
    }
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

void IsoTimeFormatter::Append(std::string* out, int64_t ts) {
  // Floor division without negating ts (an edited file may hold INT64_MIN).
  int64_t days = ts / kMicrosPerDay;
  int64_t rest = ts % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;  // now 0 .. kMicrosPerDay - 1
    --days;
  }
  if (days != cached_day_) {
    std::string d = FormatDay(CivilFromDays(days));
    if (d.size() != 10) {  // years outside 0000..9999: the slow, general road
      *out += FormatIso8601Micros(ts);
      return;
    }
    std::memcpy(date_, d.data(), 10);
    date_[10] = 'T';
    cached_day_ = days;
  }
  int64_t secs = rest / kMicrosPerSecond;
  int64_t micros = rest % kMicrosPerSecond;
  char buf[27];
  std::memcpy(buf, date_, 11);
  auto two = [](char* p, int64_t v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  two(buf + 11, secs / 3600);
  buf[13] = ':';
  two(buf + 14, secs / 60 % 60);
  buf[16] = ':';
  two(buf + 17, secs % 60);
  buf[19] = '.';
  for (int i = 25; i >= 20; --i) {
    buf[i] = static_cast<char>('0' + micros % 10);
    micros /= 10;
  }
  buf[26] = 'Z';
  out->append(buf, 27);
}

void AppendEventJson(std::string* out, std::string_view day, const RowView& row,
                     IsoTimeFormatter* time, std::string_view host) {
  out->append("{\"day\":\"");
  out->append(day);
  out->append("\",\"seq\":");
  AppendInt(out, row.seq);
  out->append(",\"time\":\"");
  time->Append(out, row.ts);
  out->append("\",\"app\":");
  AppendJsonText(out, row.name->app);
  out->append(",\"event\":");
  AppendJsonText(out, row.name->name);
  out->append(",\"value\":");
  if (row.value) {
    AppendJsonText(out, *row.value);
  } else {
    out->append("null");
  }
  out->append(",\"type\":");
  AppendInt(out, row.type);
  out->append(row.is_unique ? ",\"is_unique\":1" : ",\"is_unique\":0");
  if (!host.empty()) {
    out->append(",\"host\":");
    AppendJsonText(out, host);
  }
  out->push_back('}');
}

void AppendEventCsv(std::string* out, std::string_view day, const RowView& row,
                    IsoTimeFormatter* time) {
  out->append(day);
  out->push_back(',');
  AppendInt(out, row.seq);
  out->push_back(',');
  time->Append(out, row.ts);
  out->push_back(',');
  AppendCsvField(out, row.name->app);
  out->push_back(',');
  AppendCsvField(out, row.name->name);
  out->push_back(',');
  if (row.value) {
    AppendCsvField(out, *row.value);
  }
  out->push_back(',');
  AppendInt(out, row.type);
  out->append(row.is_unique ? ",1\r\n" : ",0\r\n");
}

namespace {

Status WriteAll(int fd, std::string* buf) {
  size_t done = 0;
  while (done < buf->size()) {
    ssize_t n = write(fd, buf->data() + done, buf->size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return UnavailableError("write_failed",
                              std::string("cannot write the export: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  buf->clear();
  return Status::Ok();
}

// Formats rows into a buffer that is written to fd about every MiB.
class ExportSink {
 public:
  ExportSink(const ExportOptions& options, bool with_host, int fd)
      : csv_(options.format == ExportFormat::kCsv), fd_(fd) {
    buf_.reserve(kFlushBytes + 64 * 1024);
    if (csv_ && options.csv_header) {
      buf_.append(kCsvHeader);
      buf_.append(with_host ? ",host\r\n" : "\r\n");
    }
  }

  // Adds one row (naming host unless it is empty); false when writing failed (status()).
  bool Add(std::string_view day, const RowView& row, std::string_view host) {
    if (csv_) {
      AppendEventCsv(&buf_, day, row, &time_);
      if (!host.empty()) {
        buf_.resize(buf_.size() - 2);  // the record's CRLF
        buf_.push_back(',');
        AppendCsvField(&buf_, host);
        buf_.append("\r\n");
      }
    } else {
      AppendEventJson(&buf_, day, row, &time_, host);
      buf_.push_back('\n');
    }
    ++rows_;
    if (buf_.size() >= kFlushBytes) {
      status_ = WriteAll(fd_, &buf_);
    }
    return status_.ok();
  }

  // Writes what is left; returns the rows added, or why writing failed.
  Result<int64_t> Finish() {
    if (status_.ok()) {
      status_ = WriteAll(fd_, &buf_);
    }
    if (!status_.ok()) {
      return status_;
    }
    return rows_;
  }

 private:
  const bool csv_;
  const int fd_;
  std::string buf_;
  IsoTimeFormatter time_;
  int64_t rows_ = 0;
  Status status_;
};

// Opens path for an export: one snapshot, the events table, and which ids the options want.
// *wanted is null when every row is; *none is true when the options want no id of the file.
struct ExportReader {
  std::unique_ptr<DayReader> reader;
  EventFilter filter;
  bool filtered = false;
  const EventFilter* wanted() const { return filtered ? &filter : nullptr; }
  bool none() const { return filtered && filter.empty(); }
};

Result<ExportReader> OpenForExport(const std::string& path, const ExportOptions& options) {
  // No mmap: the file's pages stay in the kernel's cache, not in this process.
  Result<std::unique_ptr<DayReader>> opened = DayReader::Open(path);
  if (!opened.ok()) {
    return opened.status();
  }
  ExportReader out;
  out.reader = std::move(opened).value();
  if (Status s = out.reader->BeginSnapshot(); !s.ok()) {
    return s;
  }
  if (Status s = out.reader->LoadEvents(); !s.ok()) {
    out.reader->EndSnapshot();
    return s;
  }
  out.filtered = options.app || options.event;
  const EventTable& events = out.reader->events();
  for (size_t i = 0; i < events.size(); ++i) {
    const EventName& n = events.name(i);
    if ((!options.app || n.app == *options.app) && (!options.event || n.name == *options.event)) {
      out.filter.Allow(events.id(i));
    }
  }
  return out;
}

// A row held between batches of a merge: the view (its name points into the reader's events
// table) with its own copy of the value.
struct HeldRow {
  RowView row;
  std::optional<std::string> value;

  RowView View() const {
    RowView v = row;
    v.value = value;
    return v;
  }
};

// One host's file in a merge: the rows of the current batch and where the next one starts.
struct MergeInput {
  std::string host;
  ExportReader file;
  std::vector<HeldRow> rows;
  size_t next = 0;
  int64_t after = 0;  // the seq of the last row read
  bool more = true;   // rows may follow the batch

  const HeldRow* Front() const { return next < rows.size() ? &rows[next] : nullptr; }

  // Reads the next batch once the current one is used up.
  Status Refill(int64_t batch_rows) {
    if (next < rows.size() || !more) {
      return Status::Ok();
    }
    rows.clear();
    next = 0;
    if (file.none()) {
      more = false;
      return Status::Ok();
    }
    Status s = file.reader->ScanRows(after, 0, file.wanted(), [&](const RowView& row) {
      HeldRow& h = rows.emplace_back();
      h.row = row;
      h.row.value.reset();  // the reader's buffer: copied instead
      if (row.value) {
        h.value = std::string(*row.value);
      }
      return static_cast<int64_t>(rows.size()) < batch_rows;
    });
    if (!s.ok()) {
      return s;
    }
    more = static_cast<int64_t>(rows.size()) >= batch_rows;
    if (!rows.empty()) {
      after = rows.back().row.seq;
    }
    return Status::Ok();
  }
};

// True when a's front row comes before b's in (ts, host, seq) order.
bool FrontBefore(const MergeInput& a, const MergeInput& b) {
  const RowView& x = a.Front()->row;
  const RowView& y = b.Front()->row;
  if (x.ts != y.ts) {
    return x.ts < y.ts;
  }
  if (a.host != b.host) {
    return a.host < b.host;
  }
  return x.seq < y.seq;
}

}  // namespace

Result<int64_t> ExportDayFile(const std::string& path, const ExportOptions& options, int fd) {
  Result<ExportReader> opened = OpenForExport(path, options);
  if (!opened.ok()) {
    return opened.status();
  }
  DayReader& reader = *opened->reader;
  ExportSink sink(options, options.host.has_value(), fd);
  const std::string_view host = options.host ? std::string_view(*options.host) : "";
  const std::string day = reader.day();
  Status s = Status::Ok();
  if (!opened->none()) {
    s = reader.ScanRows(0, 0, opened->wanted(),
                        [&](const RowView& row) { return sink.Add(day, row, host); });
  }
  reader.EndSnapshot();
  if (!s.ok()) {
    return s;
  }
  return sink.Finish();
}

Result<int64_t> ExportDayFiles(const std::vector<ExportInput>& files, const ExportOptions& options,
                               int fd, int64_t batch_rows) {
  batch_rows = std::max<int64_t>(batch_rows, 1);
  std::vector<MergeInput> inputs;
  inputs.reserve(files.size());
  auto end_snapshots = [&]() {
    for (MergeInput& in : inputs) {
      in.file.reader->EndSnapshot();
    }
  };
  for (const ExportInput& f : files) {
    Result<ExportReader> opened = OpenForExport(f.path, options);
    if (!opened.ok()) {
      end_snapshots();
      return opened.status();
    }
    MergeInput& in = inputs.emplace_back();
    in.host = f.host;
    in.file = std::move(opened).value();
  }
  ExportSink sink(options, /*with_host=*/true, fd);
  Status s = Status::Ok();
  for (;;) {
    MergeInput* first = nullptr;
    for (MergeInput& in : inputs) {
      if (s = in.Refill(batch_rows); !s.ok()) {
        break;
      }
      if (in.Front() != nullptr && (first == nullptr || FrontBefore(in, *first))) {
        first = &in;
      }
    }
    if (!s.ok() || first == nullptr) {
      break;
    }
    if (!sink.Add(first->file.reader->day(), first->Front()->View(), first->host)) {
      break;  // Finish reports the failed write
    }
    ++first->next;
  }
  end_snapshots();
  if (!s.ok()) {
    return s;
  }
  return sink.Finish();
}

}  // namespace itslog
