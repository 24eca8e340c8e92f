// AlertsApi: the alerting routes (docs/API.md, "Alerts, notifications and incidents"):
// /v1/alerts/rules, /v1/alerts, /v1/notifications/channels, /v1/notifications/deliveries,
// /v1/incidents. Scopes: admin manages rules and channels and sees deliveries; read sees the
// rules, states and incidents of its apps; incidents (or admin) opens, acknowledges, resolves
// and comments. State lives in <data_dir>/control.sqlite, opened on first use and kept.
// Thread-safe (one connection behind a mutex).
#pragma once

#include <memory>
#include <mutex>

#include "config/config.h"
#include "core/env.h"
#include "core/log.h"
#include "http/request.h"

namespace itslog {

class ControlDb;

class AlertsApi {
 public:
  AlertsApi(const Config* config, Env* env, Logger* log);
  ~AlertsApi();

  // Answers a request routed to RouteId::kAlerting whose key is authenticated.
  Response Handle(const Request& request, const ApiKey& key);

  // The itslog_alert_* series of GET /metrics (Prometheus text): each rule's state, the
  // outbox by outcome, deliveries, evaluations (missed too) and their duration. Empty when
  // control.sqlite cannot be read (logged).
  std::string MetricsText();

 private:
  Response Dispatch(const Request& request, const ApiKey& key);
  Status EnsureOpen();  // opens db_ when needed; mu_ held

  const Config* config_;
  Env* env_;
  Logger* log_;
  std::mutex mu_;
  std::unique_ptr<ControlDb> db_;  // guarded by mu_
};

}  // namespace itslog
