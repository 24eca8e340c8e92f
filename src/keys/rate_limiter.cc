#include "keys/rate_limiter.h"

#include <algorithm>
#include <atomic>

namespace itslog {

RateDecision AdmitRequest(uint64_t* tat_nanos, int64_t rate_per_second, int64_t now_nanos) {
  constexpr int64_t kNanosPerSecond = 1000000000;
  // GCRA: each request moves the arrival time on by one interval; a request is let in while
  // that time stays within burst intervals of now.
  const int64_t interval =
      std::max<int64_t>(1, kNanosPerSecond / std::max<int64_t>(1, rate_per_second));
  const int64_t window = interval * std::max<int64_t>(1, rate_per_second);  // the burst
  std::atomic_ref<uint64_t> word(*tat_nanos);
  uint64_t seen = word.load(std::memory_order_relaxed);
  for (;;) {
    int64_t tat = static_cast<int64_t>(seen);
    if (tat < now_nanos || tat > now_nanos + window) {
      tat = now_nanos;  // idle long enough to be full, or a clock from before a reboot
    }
    int64_t next = tat + interval;
    if (next > now_nanos + window) {
      int64_t wait = next - window - now_nanos;  // until one interval has drained
      return RateDecision{false,
                          std::max<int64_t>(1, (wait + kNanosPerSecond - 1) / kNanosPerSecond)};
    }
    if (word.compare_exchange_weak(seen, static_cast<uint64_t>(next), std::memory_order_relaxed)) {
      return RateDecision{true, 0};
    }
  }
}

}  // namespace itslog
