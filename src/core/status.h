// Status: the outcome of an operation that can fail. Carries a Code (one per HTTP error class
// of the contract, plus kCorrupt and kInternal), a stable snake_case reason that clients see,
// a one-sentence message a person can act on, and the offending field, if any.
#pragma once

#include <string>
#include <string_view>

namespace itslog {

enum class Code {
  kOk,
  kInvalid,           // 400: malformed or invalid input
  kUnauthenticated,   // 401: no key or an unknown key
  kForbidden,         // 403: the key lacks the scope or the app
  kNotFound,          // 404
  kMethodNotAllowed,  // 405
  kTooLarge,          // 413: body or batch too large
  kConflict,          // 409: the request conflicts with what exists (e.g. a key from the config)
  kUnprocessable,     // 422: per-app cap on distinct event names reached
  kRateLimited,       // 429: the key's rate limit is used up; retry after a second
  kUnavailable,       // 503: storage unavailable (disk full, lock timeout); retry later
  kCorrupt,           // a file failed a check (broken chain, bad schema)
  kInternal,          // our bug or an unexpected library failure
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string reason, std::string message, std::string field = {})
      : code_(code),
        reason_(std::move(reason)),
        message_(std::move(message)),
        field_(std::move(field)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }

  // "reason: message (field f)", for logs and the command line.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string reason_;
  std::string message_;
  std::string field_;
};

// Shorthands for the common codes.
inline Status InvalidError(std::string reason, std::string message, std::string field = {}) {
  return Status(Code::kInvalid, std::move(reason), std::move(message), std::move(field));
}
inline Status UnavailableError(std::string reason, std::string message) {
  return Status(Code::kUnavailable, std::move(reason), std::move(message));
}
inline Status InternalError(std::string message) {
  return Status(Code::kInternal, "internal", std::move(message));
}
inline Status CorruptError(std::string reason, std::string message) {
  return Status(Code::kCorrupt, std::move(reason), std::move(message));
}

// Quotes a value for an error message: escaped (control bytes, quotes, non-ASCII as \xNN) and
// cut to at most 64 bytes of input, with "..." when cut. Never use it on keys or secrets.
std::string Quote(std::string_view value);

}  // namespace itslog
