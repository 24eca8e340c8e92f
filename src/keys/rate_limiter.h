// RateLimiter: one token bucket per key, kept as a single 64-bit word that any number of
// threads and processes update with compare-and-swap (the generic cell rate algorithm, GCRA):
// a rate of r requests per second with a burst of r. No lock, so requests are never
// serialised; only two requests of the same key at the same instant retry their CAS.
// Pure: no I/O; the word lives wherever the caller maps it (keys/shared_key_state.h).
#pragma once

#include <cstdint>

namespace itslog {

struct RateDecision {
  bool allowed = true;
  int64_t retry_after_seconds = 0;  // when refused: whole seconds until one request is let in
};

// Takes one request's worth from the bucket in *tat_nanos (the theoretical arrival time of
// the next request, on a clock shared by every user of the word: CLOCK_MONOTONIC nanoseconds)
// for a limit of rate_per_second (>= 1) and a burst of the same size, at now_nanos. A word of
// 0 is a full bucket. A word further in the future than a full burst can be (the clock
// restarted with the machine) counts as a full bucket too. Thread- and process-safe.
RateDecision AdmitRequest(uint64_t* tat_nanos, int64_t rate_per_second, int64_t now_nanos);

}  // namespace itslog
