// Standard Webhooks 1.0 signatures (docs/API.md, "Notifications"): HMAC-SHA256 over
// "<webhook-id>.<webhook-timestamp>.<body>" keyed by the base64-decoded text after "whsec_"
// of the channel's secret, sent as "v1,<base64>". Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace itslog {

// The webhook-signature header's value. Fails kInvalid "invalid_secret" for a secret that is
// not "whsec_" + base64.
Result<std::string> SignWebhook(std::string_view secret, std::string_view message_id,
                                int64_t timestamp_seconds, std::string_view body);

}  // namespace itslog
