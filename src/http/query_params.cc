#include "http/query_params.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "archive/archive_keys.h"
#include "event/event.h"

namespace itslog {

namespace {

constexpr size_t kMaxValueBytes = 1024;

Status BadParam(std::string_view field, std::string message) {
  return InvalidError("invalid_parameter", std::move(message), std::string(field));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Percent-decodes s; nullopt on a bad escape or a control byte in the result.
std::optional<std::string> Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      if (i + 2 >= s.size()) {
        return std::nullopt;
      }
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return std::nullopt;
    }
    out.push_back(c);
  }
  return out;
}

constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string EncodeB64Url(const uint8_t* data, size_t n) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc = acc << 8 | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kB64Url[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) {
    out.push_back(kB64Url[(acc << (6 - bits)) & 63]);
  }
  return out;
}

// Strict: only the URL-safe alphabet, no padding, and unused bits zero.
std::optional<std::vector<uint8_t>> DecodeB64Url(std::string_view s) {
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    const char* p = c == '\0' ? nullptr : std::strchr(kB64Url, c);
    if (p == nullptr) {
      return std::nullopt;
    }
    acc = acc << 6 | static_cast<uint32_t>(p - kB64Url);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

// Cursor layouts. Version 1 (a position in this host's files): version | days since epoch (i32
// be, two's complement: days before 1970 are negative) | seq (u64 be) | MAC (16). Version 2 (a
// position in the merged log of several hosts): version | days | ts (i64 be) | seq (u64 be) |
// length of host (u8) | host | MAC (16). The MAC covers the body, a NUL and the binding.
constexpr uint8_t kCursorVersion = 1;
constexpr uint8_t kHostCursorVersion = 2;
constexpr size_t kCursorBody = 1 + 4 + 8;
constexpr size_t kHostCursorFixed = 1 + 4 + 8 + 8 + 1;
constexpr size_t kMaxCursorHost = 63;
constexpr size_t kCursorMac = 16;
constexpr size_t kMaxCursorText = 160;  // base64url of the longest version 2 cursor, and some

Digest CursorMac(const Digest& key, const uint8_t* body, size_t body_size,
                 std::string_view binding) {
  std::string message(reinterpret_cast<const char*>(body), body_size);
  message.push_back('\0');
  message.append(binding);
  return HmacSha256(key, message);
}

void PutBigEndian(std::vector<uint8_t>* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out->push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}

uint64_t GetBigEndian(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v = v << 8 | p[i];
  }
  return v;
}

}  // namespace

std::optional<std::string> QueryParams::Get(std::string_view name) const {
  for (const auto& [n, v] : pairs_) {
    if (n == name) {
      return v;
    }
  }
  return std::nullopt;
}

Result<QueryParams> ParseQuery(std::string_view query,
                               const std::vector<std::string_view>& allowed) {
  QueryParams out;
  size_t i = 0;
  while (i <= query.size()) {
    size_t amp = query.find('&', i);
    if (amp == std::string_view::npos) {
      amp = query.size();
    }
    std::string_view pair = query.substr(i, amp - i);
    i = amp + 1;
    if (pair.empty()) {
      continue;
    }
    size_t eq = pair.find('=');
    std::optional<std::string> name = Decode(pair.substr(0, eq));
    if (!name || name->empty()) {
      return BadParam("query", "the query string has a malformed parameter name");
    }
    if (std::find(allowed.begin(), allowed.end(), *name) == allowed.end()) {
      std::string list;
      for (std::string_view a : allowed) {
        list += list.empty() ? "" : ", ";
        list += a;
      }
      return BadParam(*name, "unknown parameter " + Quote(*name) + "; this endpoint takes " +
                                 (list.empty() ? std::string("none") : list));
    }
    if (out.Has(*name)) {
      return BadParam(*name, "parameter " + *name + " is given more than once");
    }
    std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::optional<std::string> value = Decode(raw);
    if (!value) {
      return BadParam(
          *name, "parameter " + *name + " has a malformed percent-escape or a control character");
    }
    if (value->size() > kMaxValueBytes) {
      return BadParam(*name, "parameter " + *name + " is longer than 1024 bytes");
    }
    out.Add(std::move(*name), std::move(*value));
  }
  return out;
}

Result<std::string> ParseDayParam(std::string_view field, std::string_view value) {
  if (value.size() != 10 || !ParseDay(value)) {
    return BadParam(field, std::string(field) + " must be a date YYYY-MM-DD, not " + Quote(value));
  }
  return std::string(value);
}

Result<int64_t> ParseTimeParam(std::string_view field, std::string_view value,
                               const TimeZone& zone) {
  if (value.size() == 10 && ParseDay(value)) {
    return zone.StartOfDay(value);
  }
  std::optional<int64_t> t = ParseIso8601Micros(value);
  if (!t) {
    return BadParam(field, std::string(field) +
                               " must be an ISO 8601 time (2025-03-01T12:00:00Z) or a date "
                               "YYYY-MM-DD, not " +
                               Quote(value));
  }
  // An offset can move a time in year 1 or 9999 out of the days that have names; the read API
  // names the day of every time it is given.
  if (!ParseDay(zone.DayOf(*t))) {
    return BadParam(field, std::string(field) + " must fall on a day from 0001-01-01 to " +
                               "9999-12-31, not " + Quote(value));
  }
  return *t;
}

Result<int64_t> ParseIntParam(std::string_view field, std::string_view value, int64_t min,
                              int64_t max) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || n < min ||
      n > max) {
    return BadParam(field, std::string(field) + " must be an integer from " + std::to_string(min) +
                               " to " + std::to_string(max) + ", not " + Quote(value));
  }
  return n;
}

Status CheckAppParam(std::string_view field, std::string_view value) {
  if (Status s = ValidateAppName(value); !s.ok()) {
    return BadParam(field, s.message());
  }
  return Status::Ok();
}

Status CheckEventParam(std::string_view field, std::string_view value) {
  if (Status s = ValidateEventName(value); !s.ok()) {
    return BadParam(field, s.message());
  }
  return Status::Ok();
}

Status CheckHostParam(std::string_view field, std::string_view value) {
  if (!IsValidHostId(value)) {
    return BadParam(field,
                    "a host is 1 to 63 of a-z, 0-9, '.' and '-', starting with a letter "
                    "or digit; not " +
                        Quote(value));
  }
  return Status::Ok();
}

Digest HmacSha256(const Digest& key, std::string_view message) {
  uint8_t ipad[64], opad[64];
  for (size_t i = 0; i < 64; ++i) {
    uint8_t k = i < key.size() ? key[i] : 0;
    ipad[i] = k ^ 0x36;
    opad[i] = k ^ 0x5c;
  }
  Sha256 h;
  h.Update(ipad, sizeof(ipad));
  h.Update(message);
  Digest inner = h.Finish();
  h.Reset();
  h.Update(opad, sizeof(opad));
  h.Update(inner.data(), inner.size());
  return h.Finish();
}

std::string EncodeCursor(const Cursor& cursor, const Digest& key, std::string_view binding) {
  std::vector<uint8_t> buf;
  std::optional<CivilDay> day = ParseDay(cursor.day);
  uint32_t days = day ? static_cast<uint32_t>(DaysFromCivil(*day)) : 0;
  const bool with_host = !cursor.host.empty();
  buf.push_back(with_host ? kHostCursorVersion : kCursorVersion);
  PutBigEndian(&buf, days, 4);
  if (with_host) {
    PutBigEndian(&buf, static_cast<uint64_t>(cursor.ts), 8);
  }
  PutBigEndian(&buf, static_cast<uint64_t>(cursor.seq), 8);
  if (with_host) {
    std::string_view host = std::string_view(cursor.host).substr(0, kMaxCursorHost);
    buf.push_back(static_cast<uint8_t>(host.size()));
    buf.insert(buf.end(), host.begin(), host.end());
  }
  Digest mac = CursorMac(key, buf.data(), buf.size(), binding);
  buf.insert(buf.end(), mac.begin(), mac.begin() + kCursorMac);
  return EncodeB64Url(buf.data(), buf.size());
}

Result<Cursor> DecodeCursor(std::string_view text, const Digest& key, std::string_view binding,
                            std::string_view field) {
  auto bad = [&]() {
    return BadParam(field, std::string(field) +
                               " is not a cursor this server issued for this query; use the "
                               "\"next\" value of the previous page unchanged, with the same "
                               "filters");
  };
  if (text.size() > kMaxCursorText) {
    return bad();
  }
  std::optional<std::vector<uint8_t>> raw = DecodeB64Url(text);
  if (!raw || raw->size() < kCursorBody + kCursorMac) {
    return bad();
  }
  const uint8_t* p = raw->data();
  size_t body = 0;
  if (p[0] == kCursorVersion) {
    body = kCursorBody;
  } else if (p[0] == kHostCursorVersion && raw->size() >= kHostCursorFixed + kCursorMac) {
    body = kHostCursorFixed + p[kHostCursorFixed - 1];
  } else {
    return bad();
  }
  if (raw->size() != body + kCursorMac) {
    return bad();
  }
  Digest mac = CursorMac(key, p, body, binding);
  Digest given{};
  std::memcpy(given.data(), p + body, kCursorMac);
  std::memcpy(given.data() + kCursorMac, mac.data() + kCursorMac, mac.size() - kCursorMac);
  if (!ConstantTimeEqual(mac, given)) {
    return bad();
  }
  Cursor c;
  c.day =
      FormatDay(CivilFromDays(static_cast<int32_t>(static_cast<uint32_t>(GetBigEndian(p + 1, 4)))));
  if (p[0] == kCursorVersion) {
    c.seq = static_cast<int64_t>(GetBigEndian(p + 5, 8));
  } else {
    c.ts = static_cast<int64_t>(GetBigEndian(p + 5, 8));
    c.seq = static_cast<int64_t>(GetBigEndian(p + 13, 8));
    c.host.assign(reinterpret_cast<const char*>(p + kHostCursorFixed), p[kHostCursorFixed - 1]);
    if (c.host.empty()) {
      return bad();
    }
  }
  if (c.seq < 0 || !ParseDay(c.day)) {
    return bad();
  }
  return c;
}

}  // namespace itslog
