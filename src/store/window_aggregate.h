// Aggregates of one event over a time range of one day file, for alert rules: found through
// the (event, ts) index, so the cost follows the rows in the range, never the day's size.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "store/reader.h"

namespace itslog {

struct WindowAggregate {
  int64_t count = 0;    // rows
  int64_t numeric = 0;  // rows with an INTEGER or REAL value
  double sum = 0;       // of the numeric values
  double min = 0;       // valid when numeric > 0
  double max = 0;
  void Merge(const WindowAggregate& other);
};

// The rows of event_id with ts in [from_micros, to_micros). with_values false: count only
// (answered from the index alone). Fails as SqliteStatus.
Result<WindowAggregate> AggregateEventWindow(DayReader* reader, int64_t event_id,
                                             int64_t from_micros, int64_t to_micros,
                                             bool with_values);

}  // namespace itslog
