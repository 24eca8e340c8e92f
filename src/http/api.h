// Api: the HTTP handlers of the worker. Turns a Request into a Response: routing, auth,
// parsing, storing, and the contract's answers (docs/API.md). Thread-safe when the append
// and health functions are.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "config/config.h"
#include "core/env.h"
#include "core/log.h"
#include "http/alerts_api.h"
#include "http/metrics.h"
#include "http/read_api.h"
#include "http/request.h"
#include "keys/key_ring.h"
#include "store/day_store.h"

namespace itslog {

using AppendFn =
    std::function<Result<std::vector<Result<AppendOutcome>>>(std::span<const Event> events)>;
using HealthFn = std::function<DayStore::Health()>;

struct ApiContext {
  const Config* config = nullptr;
  Env* env = nullptr;
  Logger* log = nullptr;
  AppendFn append;  // stores events; returns after the commit
  HealthFn health;
  // The shared counters behind GET /metrics; nullptr: not counted (e.g. no writable data_dir).
  Metrics* metrics = nullptr;
  // The keys made over HTTP, their rate limits and the admin routes; nullptr: config keys only.
  KeyRing* keys = nullptr;
};

class Api {
 public:
  explicit Api(ApiContext context)
      : ctx_(std::move(context)),
        read_(std::make_shared<ReadApi>(ctx_.config, ctx_.env, ctx_.log)),
        alerts_(std::make_shared<AlertsApi>(ctx_.config, ctx_.env, ctx_.log)) {}

  // Never throws; every failure becomes the contract's error response.
  Response Handle(const Request& request) const;

 private:
  Response Dispatch(const Route& route, const Request& request) const;
  Response HandleLog(const Request& request, const ApiKey& key) const;
  Response HandlePut(const Request& request, const ApiKey& key, std::string_view app,
                     std::string_view event, bool is_unique) const;
  Response HandleHealth() const;

  ApiContext ctx_;
  std::shared_ptr<ReadApi> read_;      // the read routes and /metrics (http/read_api.h)
  std::shared_ptr<AlertsApi> alerts_;  // rules, channels, incidents (http/alerts_api.h)
};

}  // namespace itslog
