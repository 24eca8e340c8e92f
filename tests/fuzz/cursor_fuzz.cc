// libFuzzer target for the signed pagination cursor (http/query_params.h: EncodeCursor,
// DecodeCursor), read from the "after" parameter and the Last-Event-ID header. Besides crashes
// and sanitizer reports, it checks the cursor's promises: decoding accepts nothing but the exact
// text EncodeCursor issues for that key and binding (so never a cursor whose MAC does not match,
// nor one edited, truncated, extended, or made for another key or query); every cursor the
// server can issue (a real day, seq >= 0) decodes to itself; errors are kInvalid
// "invalid_parameter" naming the field.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "core/time_util.h"
#include "http/query_params.h"

namespace itslog {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "cursor_fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

Digest KeyOf(uint8_t fill) {
  Digest key{};
  key.fill(fill);
  return key;
}

// Decodes text; a refusal must be a proper parameter error, an acceptance must be exactly
// what the server would have issued for that cursor.
bool Accepts(std::string_view text, const Digest& key, std::string_view binding) {
  Result<Cursor> c = DecodeCursor(text, key, binding, "after");
  if (!c.ok()) {
    Require(c.status().code() == Code::kInvalid, "errors are kInvalid");
    Require(c.status().reason() == "invalid_parameter", "errors say invalid_parameter");
    Require(c.status().field() == "after", "errors name the field");
    return false;
  }
  Require(c->seq >= 0, "an accepted cursor has seq >= 0");
  Require(c->day.size() == 10 && ParseDay(c->day).has_value(), "an accepted cursor has a day");
  Require(EncodeCursor(*c, key, binding) == text, "only an issued cursor is accepted");
  return true;
}

// Arbitrary text as a cursor: the fuzzer cannot forge a MAC, so nothing but a seed it was
// given may pass, and then not under another key or binding.
void CheckText(std::string_view text, std::string_view binding) {
  const Digest key = KeyOf(0x11);
  if (Accepts(text, key, binding)) {
    Require(!Accepts(text, KeyOf(0x12), binding), "another key's cursor is refused");
    Require(!Accepts(text, key, std::string(binding) + '\0'), "another query's cursor is refused");
  }
}

// A cursor built from the input: it must round-trip, and every edit of it must be refused.
void CheckIssued(const uint8_t* data, size_t size) {
  if (size < 14) {
    return;
  }
  int32_t days = 0;
  std::memcpy(&days, data, sizeof(days));
  int64_t seq = 0;
  std::memcpy(&seq, data + 4, sizeof(seq));
  const uint8_t edit_at = data[12];
  const uint8_t edit_to = data[13];
  std::string_view binding(reinterpret_cast<const char*>(data + 14), size - 14);
  // Mostly days in 0001..9999 (where day files live), sometimes any number.
  int64_t day_number = days;
  if ((edit_to & 0x80) == 0) {
    const int64_t first = DaysFromCivil(CivilDay{1, 1, 1});
    const int64_t last = DaysFromCivil(CivilDay{9999, 12, 31});
    const int64_t span = last - first + 1;
    day_number = first + ((day_number - first) % span + span) % span;
  }
  const Cursor cursor{FormatDay(CivilFromDays(day_number)), seq};
  const Digest key = KeyOf(0x21);
  const std::string text = EncodeCursor(cursor, key, binding);
  Require(text.size() == 39, "a cursor is 39 characters");
  Require(text.find_first_not_of(kAlphabet) == std::string::npos, "a cursor is URL-safe");

  const bool issuable = seq >= 0 && ParseDay(cursor.day).has_value();
  Result<Cursor> back = DecodeCursor(text, key, binding, "after");
  if (issuable) {
    Require(back.ok(), "an issued cursor is accepted");
    Require(*back == cursor, "an issued cursor decodes to itself");
  } else if (seq < 0) {
    Require(!back.ok(), "a cursor with a negative seq is refused");
  }
  Require(!Accepts(text, KeyOf(0x22), binding), "another key's cursor is refused");
  Require(!Accepts(text, key, std::string(binding) + 'x'), "another query's cursor is refused");
  if (!binding.empty()) {
    Require(!Accepts(text, key, binding.substr(0, binding.size() - 1)),
            "another query's cursor is refused");
  }
  std::string edited = text;
  edited[edit_at % edited.size()] = kAlphabet[edit_to & 63];
  if (edited != text) {
    Require(!Accepts(edited, key, binding), "an edited cursor is refused");
  }
  Require(!Accepts(text.substr(0, text.size() - 1 - edit_at % 8), key, binding),
          "a truncated cursor is refused");
  Require(!Accepts(text + kAlphabet[edit_to & 63], key, binding), "an extended cursor is refused");
  Require(!Accepts(text.substr(1), key, binding), "a shifted cursor is refused");
}

}  // namespace
}  // namespace itslog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  if (data[0] & 1) {
    itslog::CheckIssued(data + 1, size - 1);
  } else {
    // The bindings ReadApi uses: events' filters and tail's (http/read_api.cc).
    const std::string binding =
        (data[0] & 2) ? std::string("tail\0\0", 6) : std::string("events\0\0\0\0\0", 11);
    itslog::CheckText(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), binding);
  }
  return 0;
}
