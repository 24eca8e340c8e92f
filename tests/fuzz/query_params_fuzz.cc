// libFuzzer target for the query strings of the read API (http/query_params.h): ParseQuery with
// each endpoint's parameter list, then the typed checks the endpoints apply to the values.
// Besides crashes and sanitizer reports, it checks their promises: every error is kInvalid
// "invalid_parameter" naming a field; an accepted query holds only allowed, distinct, non-empty
// names and values without control bytes of at most 1024 bytes, and percent-encoding it again
// parses to the same pairs; an accepted day, time or integer formats back to text that parses
// to the same value (a time's UTC day is a day name the read API can use); a cursor is only
// accepted when it is exactly what EncodeCursor would issue.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/time_util.h"
#include "event/event.h"
#include "http/query_params.h"

namespace itslog {
namespace {

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "query_params_fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

void RequireParamError(const Status& s, std::string_view field) {
  Require(s.code() == Code::kInvalid, "errors are kInvalid");
  Require(s.reason() == "invalid_parameter", "errors say invalid_parameter");
  Require(s.field() == field, "an error names the parameter it is about");
}

// The parameter lists of GET /v1/events, /v1/counts, /v1/uniques, /v1/overview, /v1/tail and
// of the routes that take none (http/read_api.cc).
const std::vector<std::string_view>& AllowedFor(uint8_t selector) {
  static const std::vector<std::string_view> kLists[] = {
      {"app", "event", "day", "since", "until", "limit", "after"},
      {"app", "event", "day", "from", "to", "interval"},
      {"app", "from", "to"},
      {"days"},
      {"app", "event"},
      {},
  };
  return kLists[selector % (sizeof(kLists) / sizeof(kLists[0]))];
}

std::string PercentEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                 u == '-' || u == '.' || u == '_' || u == '~';
    if (plain) {
      out.push_back(c);
    } else if (u == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

void CheckDay(std::string_view field, const std::string& value) {
  Result<std::string> d = ParseDayParam(field, value);
  if (!d.ok()) {
    RequireParamError(d.status(), field);
    Require(!(value.size() == 10 && ParseDay(value)), "a real date is accepted as a day");
    return;
  }
  Require(*d == value, "an accepted day is returned unchanged");
  std::optional<CivilDay> civil = ParseDay(*d);
  Require(civil.has_value(), "an accepted day is a real date");
  Require(FormatDay(*civil) == *d, "an accepted day formats back to itself");
  Require(FormatDay(CivilFromDays(DaysFromCivil(*civil))) == *d,
          "an accepted day survives the day-number arithmetic");
}

void CheckTime(std::string_view field, const std::string& value) {
  const TimeZone utc;
  Result<int64_t> t = ParseTimeParam(field, value, utc);
  if (!t.ok()) {
    RequireParamError(t.status(), field);
    return;
  }
  if (std::optional<CivilDay> day = value.size() == 10 ? ParseDay(value) : std::nullopt) {
    Require(*t == DaysFromCivil(*day) * kMicrosPerDay, "a date means the start of that day");
  }
  // The read API names the days of since and until (ReadApi::Events: DayOf, then ParseDay).
  Require(ParseDay(utc.DayOf(*t)).has_value(), "an accepted time falls on a nameable day");
  std::optional<int64_t> again = ParseIso8601Micros(FormatIso8601Micros(*t));
  Require(again == *t, "an accepted time formats back to text that parses to it");
}

void CheckInt(std::string_view field, const std::string& value, int64_t min, int64_t max) {
  Result<int64_t> n = ParseIntParam(field, value, min, max);
  if (!n.ok()) {
    RequireParamError(n.status(), field);
    return;
  }
  Require(*n >= min && *n <= max, "an accepted integer is in range");
  Result<int64_t> again = ParseIntParam(field, std::to_string(*n), min, max);
  Require(again.ok() && *again == *n, "an accepted integer formats back to itself");
}

void CheckNames(const std::string& app, const std::string& event) {
  Status a = CheckAppParam("app", app);
  Require(a.ok() == ValidateAppName(app).ok(), "app follows the contract's pattern");
  if (!a.ok()) {
    RequireParamError(a, "app");
  }
  Status e = CheckEventParam("event", event);
  Require(e.ok() == ValidateEventName(event).ok(), "event follows the contract's pattern");
  if (!e.ok()) {
    RequireParamError(e, "event");
  }
}

void CheckCursor(const std::string& value) {
  Digest key{};
  key.fill(0x5a);
  const std::string binding("events\0\0\0\0\0", 11);
  Result<Cursor> c = DecodeCursor(value, key, binding, "after");
  if (!c.ok()) {
    RequireParamError(c.status(), "after");
    return;
  }
  Require(EncodeCursor(*c, key, binding) == value, "only an issued cursor is accepted");
}

void CheckValues(const QueryParams& q) {
  for (const auto& [name, value] : q.pairs()) {
    if (name == "day" || name == "from" || name == "to") {
      CheckDay(name, value);
    } else if (name == "since" || name == "until") {
      CheckTime(name, value);
    } else if (name == "limit") {
      CheckInt(name, value, 1, 1000);
    } else if (name == "days") {
      CheckInt(name, value, 1, 366);
    } else if (name == "after") {
      CheckCursor(value);
    }
  }
  // The path's seq (GET /v1/events/<day>/<seq>) goes through the same integer parser.
  for (const auto& [name, value] : q.pairs()) {
    CheckInt("seq", value, 1, INT64_MAX);
  }
  CheckNames(q.Get("app").value_or(""), q.Get("event").value_or(""));
}

void CheckQuery(const std::vector<std::string_view>& allowed, std::string_view query) {
  Result<QueryParams> q = ParseQuery(query, allowed);
  if (!q.ok()) {
    Require(q.status().code() == Code::kInvalid, "errors are kInvalid");
    Require(q.status().reason() == "invalid_parameter", "errors say invalid_parameter");
    Require(!q.status().field().empty(), "an error names a parameter or the query");
    return;
  }
  std::set<std::string> seen;
  std::string again;
  for (const auto& [name, value] : q->pairs()) {
    Require(!name.empty(), "names are not empty");
    Require(std::find(allowed.begin(), allowed.end(), name) != allowed.end(),
            "only allowed names are accepted");
    Require(seen.insert(name).second, "no name is accepted twice");
    Require(value.size() <= 1024, "values are at most 1024 bytes");
    for (char c : name + value) {
      unsigned char u = static_cast<unsigned char>(c);
      Require(u >= 0x20 && u != 0x7f, "no control byte is accepted");
    }
    Require(q->Get(name) == value, "Get returns the accepted value");
    again += again.empty() ? "" : "&";
    again += PercentEncode(name) + "=" + PercentEncode(value);
  }
  Result<QueryParams> q2 = ParseQuery(again, allowed);
  Require(q2.ok() && q2->pairs() == q->pairs(),
          "an accepted query, encoded again, parses the same");
  CheckValues(*q);
}

}  // namespace
}  // namespace itslog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  std::string_view query(reinterpret_cast<const char*>(data + 1), size - 1);
  itslog::CheckQuery(itslog::AllowedFor(data[0]), query);
  if (data[0] & 0x80) {
    // The typed parsers also see text ParseQuery would never pass them (control bytes, NULs).
    std::string value(query);
    itslog::CheckDay("day", value);
    itslog::CheckTime("since", value);
    itslog::CheckInt("limit", value, 1, 1000);
    itslog::CheckCursor(value);
  }
  return 0;
}
