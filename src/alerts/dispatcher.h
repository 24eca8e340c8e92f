// Dispatcher: delivers the outbox (control/alert_tables.h) to webhooks (Standard Webhooks
// signatures) and PagerDuty (Events API v2). A message keeps its webhook-id on every attempt;
// network errors, 408, 429 and 5xx are retried with exponential backoff and jitter (or after
// Retry-After) until the message's deadline; 410 disables the channel; other answers fail the
// message. Each outcome is recorded, with the incident's timeline (notified / notify_failed).
// A message is marked only after its attempt: one killed mid-attempt is sent again, with the
// same webhook-id, after a restart (receivers deduplicate on it).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "control/alert_tables.h"
#include "core/env.h"
#include "core/log.h"
#include "net/http_post.h"

namespace itslog {

using Headers = std::vector<std::pair<std::string, std::string>>;
// The HTTP seam: HttpPost in the service, a recording fake in unit tests.
using PostFn = std::function<HttpPostResult(const std::string& url, const Headers& headers,
                                            const std::string& body)>;

struct DispatcherOptions {
  int64_t backoff_initial_ms = 5000;     // the first retry's delay (before jitter)
  int64_t backoff_max_ms = 3600 * 1000;  // no delay is longer
};

struct DeliveryStats {
  int64_t delivered = 0;
  int64_t retried = 0;  // attempts that failed and will be retried
  int64_t failed = 0;   // messages given up
};

// The delay before retry number attempts (1 = the first retry): initial * 2^(attempts-1),
// capped, then jittered to [delay/2, delay] by jitter in [0, 1).
int64_t BackoffMicros(const DispatcherOptions& options, int64_t attempts, double jitter);

// The request a message becomes on a channel: url, headers (custom ones first, then ours, so
// that ours win) and body. Webhooks are signed with timestamp now.
struct OutgoingRequest {
  std::string url;
  Headers headers;
  std::string body;
};
Result<OutgoingRequest> BuildRequest(const NotificationChannel& channel,
                                     const OutboxMessage& message, int64_t now_micros);

class Dispatcher {
 public:
  Dispatcher(Env* env, ControlDb* db, Logger* log, PostFn post, DispatcherOptions options)
      : env_(env), db_(db), tables_(db), log_(log), post_(std::move(post)), options_(options) {}

  // Attempts every message due at env's now (oldest first, at most max_messages). Blocks on
  // the network, one request at a time.
  Status DeliverDue(DeliveryStats* stats, int max_messages = 100);

 private:
  Status Deliver(OutboxMessage message, DeliveryStats* stats);

  Env* env_;
  ControlDb* db_;
  AlertTables tables_;
  Logger* log_;
  PostFn post_;
  DispatcherOptions options_;
};

}  // namespace itslog
