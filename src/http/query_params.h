// Query strings of the read API (docs/API.md): parsing, typed parameters, and the opaque,
// tamper-evident pagination cursor. Pure: no I/O. Every failure is kInvalid
// "invalid_parameter" whose field names the parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/crypto.h"
#include "core/result.h"
#include "core/time_util.h"

namespace itslog {

// The decoded name=value pairs of a query string, in order.
class QueryParams {
 public:
  std::optional<std::string> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }
  void Add(std::string name, std::string value) {
    pairs_.emplace_back(std::move(name), std::move(value));
  }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// Parses application/x-www-form-urlencoded text: '&'-separated name[=value] pairs,
// percent-escapes, '+' for a space. Fails (field = the parameter, or "query" when the name
// itself cannot be read) on a bad escape, a NUL or control byte, a name not in allowed, a name
// given twice, or a value longer than 1024 bytes. Empty pairs ("a=1&&b=2") are skipped.
Result<QueryParams> ParseQuery(std::string_view query,
                               const std::vector<std::string_view>& allowed);

// Typed values. Each fails naming field.
// "YYYY-MM-DD", a real date.
Result<std::string> ParseDayParam(std::string_view field, std::string_view value);
// An ISO 8601 date-time (core/time_util.h), or a date "YYYY-MM-DD" meaning the start of that
// day in zone. Microseconds since the epoch.
Result<int64_t> ParseTimeParam(std::string_view field, std::string_view value,
                               const TimeZone& zone);
// A decimal integer in [min, max].
Result<int64_t> ParseIntParam(std::string_view field, std::string_view value, int64_t min,
                              int64_t max);
// An app or event name by the contract's patterns.
Status CheckAppParam(std::string_view field, std::string_view value);
Status CheckEventParam(std::string_view field, std::string_view value);
// A host_id: [a-z0-9][a-z0-9.-]{0,62}.
Status CheckHostParam(std::string_view field, std::string_view value);

// A position in the log across days: after row seq of day; with a host, after the row
// (day, ts, host, seq) of the log merged across hosts.
struct Cursor {
  Cursor() = default;
  Cursor(std::string d, int64_t s, std::string h = {}, int64_t t = 0)
      : day(std::move(d)), seq(s), host(std::move(h)), ts(t) {}
  std::string day;
  int64_t seq = 0;
  std::string host;  // empty: this host's files alone (ts unused)
  int64_t ts = 0;
  friend bool operator==(const Cursor&, const Cursor&) = default;
};

// The cursor as URL-safe text: base64url of (version, day, [ts,] seq, [host,] a MAC over them
// and binding) keyed by key. binding ties the cursor to the query it came from (its filters).
// A host longer than 63 bytes is cut there (host_ids are at most 63).
std::string EncodeCursor(const Cursor& cursor, const Digest& key, std::string_view binding);
// Reads a cursor made by EncodeCursor with the same key and binding; anything else (edited,
// truncated, from another query or another installation) fails naming field.
Result<Cursor> DecodeCursor(std::string_view text, const Digest& key, std::string_view binding,
                            std::string_view field);

// HMAC-SHA256 (RFC 2104).
Digest HmacSha256(const Digest& key, std::string_view message);

}  // namespace itslog
