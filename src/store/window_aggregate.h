// WindowAggregate: what an alert rule aggregates over a time range of day-file rows (alerts/
// window_source.h): the rows, and the count, sum, min and max of their INTEGER and REAL values.
#pragma once

#include <cstdint>

namespace itslog {

struct WindowAggregate {
  int64_t count = 0;    // rows
  int64_t numeric = 0;  // rows with an INTEGER or REAL value
  double sum = 0;       // of the numeric values
  double min = 0;       // valid when numeric > 0
  double max = 0;
  void Merge(const WindowAggregate& other);
};

}  // namespace itslog
