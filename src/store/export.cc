#include "store/export.h"

#include <errno.h>
#include <unistd.h>

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

}  // namespace

Result<int64_t> ExportDayFile(const std::string& path, const ExportOptions& options, int fd) {
  // No mmap: the file's pages stay in the kernel's cache, not in this process.
  Result<std::unique_ptr<DayReader>> opened = DayReader::Open(path);
  if (!opened.ok()) {
    return opened.status();
  }
  DayReader& reader = **opened;
  if (Status s = reader.BeginSnapshot(); !s.ok()) {
    return s;
  }
  if (Status s = reader.LoadEvents(); !s.ok()) {
    return s;
  }
  EventFilter filter;
  bool filtered = options.app || options.event;
  const EventTable& events = reader.events();
  for (size_t i = 0; i < events.size(); ++i) {
    const EventName& n = events.name(i);
    if ((!options.app || n.app == *options.app) && (!options.event || n.name == *options.event)) {
      filter.Allow(events.id(i));
    }
  }
  std::string buf;
  buf.reserve(kFlushBytes + 64 * 1024);
  if (options.format == ExportFormat::kCsv && options.csv_header) {
    buf.append(kCsvHeader);
    buf.append(options.host ? ",host\r\n" : "\r\n");
  }
  // The host's CSV field, ready to append.
  const std::string_view host = options.host ? std::string_view(*options.host) : "";
  std::string host_csv;
  if (options.host) {
    host_csv.push_back(',');
    AppendCsvField(&host_csv, *options.host);
    host_csv.append("\r\n");
  }
  const std::string day = reader.day();
  IsoTimeFormatter time;
  int64_t rows = 0;
  Status write_status;
  bool csv = options.format == ExportFormat::kCsv;
  Status s = Status::Ok();
  if (!filtered || !filter.empty()) {
    s = reader.ScanRows(0, 0, filtered ? &filter : nullptr, [&](const RowView& row) {
      if (csv) {
        AppendEventCsv(&buf, day, row, &time);
        if (!host_csv.empty()) {
          buf.resize(buf.size() - 2);  // the record's CRLF
          buf.append(host_csv);
        }
      } else {
        AppendEventJson(&buf, day, row, &time, host);
        buf.push_back('\n');
      }
      ++rows;
      if (buf.size() >= kFlushBytes) {
        write_status = WriteAll(fd, &buf);
        return write_status.ok();
      }
      return true;
    });
  }
  reader.EndSnapshot();
  if (!s.ok()) {
    return s;
  }
  if (!write_status.ok()) {
    return write_status;
  }
  if (Status w = WriteAll(fd, &buf); !w.ok()) {
    return w;
  }
  return rows;
}

}  // namespace itslog
