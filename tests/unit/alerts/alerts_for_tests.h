// Helpers of the alerts tests: control.sqlite opened as the alerts service opens it, and a
// notification channel with every field set.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "alerts/alert_model.h"
#include "alerts/incidents.h"
#include "control/control_db.h"

namespace itslog {
namespace testing_alerts {

// The Standard Webhooks secret the channels sign with.
inline constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// <data_dir>/control.sqlite, migrated; on failure the test fails and this is nullptr.
inline std::unique_ptr<ControlDb> OpenControl(const std::string& data_dir) {
  auto db = ControlDb::Open(ControlDbPath(data_dir));
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

// A channel of type (webhook | pagerduty) with a new id, kSecret, and the fields of both types
// set; its URLs name a loopback port nothing listens on.
inline NotificationChannel Channel(const std::string& type, int64_t created_at) {
  NotificationChannel c;
  c.id = NewId("chn_");
  c.name = "ops";
  c.channel_type = type;
  c.url = "http://127.0.0.1:9/hook";
  c.secret = kSecret;
  c.headers = {{"X-Team", "ops"}};
  c.routing_key = "rk";
  c.endpoint = "http://127.0.0.1:9/v2/enqueue";
  c.created_at = created_at;
  return c;
}

}  // namespace testing_alerts
}  // namespace itslog
