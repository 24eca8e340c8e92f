#include "store/window_aggregate.h"

#include <algorithm>

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

}  // namespace itslog
