#include "store/window_aggregate.h"

#include <sqlite3.h>

#include <algorithm>

#include "store/sqlite_util.h"

namespace itslog {

void WindowAggregate::Merge(const WindowAggregate& o) {
  if (o.numeric > 0) {
    min = numeric > 0 ? std::min(min, o.min) : o.min;
    max = numeric > 0 ? std::max(max, o.max) : o.max;
  }
  count += o.count;
  numeric += o.numeric;
  sum += o.sum;
}

Result<WindowAggregate> AggregateEventWindow(DayReader* reader, int64_t event_id,
                                             int64_t from_micros, int64_t to_micros,
                                             bool with_values) {
  // INTEGER and REAL values are stored as their decimal text (docs/DATA-FORMAT.md).
  const char* sql =
      with_values ? "SELECT count(*), count(CASE WHEN type IN (1, 2) THEN 1 END),"
                    " total(CASE WHEN type IN (1, 2) THEN CAST(value AS REAL) END),"
                    " min(CASE WHEN type IN (1, 2) THEN CAST(value AS REAL) END),"
                    " max(CASE WHEN type IN (1, 2) THEN CAST(value AS REAL) END)"
                    " FROM log INDEXED BY log_event_ts WHERE event = ?1 AND ts >= ?2 AND ts < ?3"
                  : "SELECT count(*), 0, 0, NULL, NULL"
                    " FROM log INDEXED BY log_event_ts WHERE event = ?1 AND ts >= ?2 AND ts < ?3";
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(reader->db(), sql, -1, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, reader->db(), "cannot read " + reader->path());
  }
  sqlite3_bind_int64(raw, 1, event_id);
  sqlite3_bind_int64(raw, 2, from_micros);
  sqlite3_bind_int64(raw, 3, to_micros);
  rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) {
    return SqliteStatus(rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, reader->db(),
                        "cannot read " + reader->path());
  }
  WindowAggregate out;
  out.count = sqlite3_column_int64(raw, 0);
  out.numeric = sqlite3_column_int64(raw, 1);
  out.sum = sqlite3_column_double(raw, 2);
  out.min = sqlite3_column_double(raw, 3);
  out.max = sqlite3_column_double(raw, 4);
  return out;
}

}  // namespace itslog
