#include "alerts/webhook_signature.h"

#include "core/base64.h"
#include "core/hmac.h"

namespace itslog {

Result<std::string> SignWebhook(std::string_view secret, std::string_view message_id,
                                int64_t timestamp_seconds, std::string_view body) {
  constexpr std::string_view kPrefix = "whsec_";
  std::optional<std::string> key;
  if (secret.starts_with(kPrefix)) {
    key = DecodeBase64(secret.substr(kPrefix.size()));
  }
  if (!key) {
    return InvalidError("invalid_secret", "a webhook secret must be \"whsec_\" + base64");
  }
  std::string signed_text;
  signed_text.reserve(message_id.size() + body.size() + 24);
  signed_text.append(message_id).append(".").append(std::to_string(timestamp_seconds));
  signed_text.append(".").append(body);
  return "v1," + EncodeBase64(HmacSha256Bytes(*key, signed_text));
}

}  // namespace itslog
