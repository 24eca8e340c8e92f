// libFuzzer target for what import-s3 reads from a bucket: event objects (ParseEventObject)
// and object names (ParseObjectName). Besides crashes and sanitizer reports, it checks their
// promises: an accepted object passes the contract's rules and formats back to an object that
// parses to the same event; errors are kCorrupt "invalid_event_object"; a name that parses
// names the same thing when rebuilt.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "event/event.h"
#include "event/event_object.h"
#include "s3store/object_keys.h"

namespace itslog {
namespace {

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "event_object_fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

void CheckObject(std::string_view json) {
  Result<StoredEvent> r = ParseEventObject(json);
  if (!r.ok()) {
    Require(r.status().code() == Code::kCorrupt, "errors are kCorrupt");
    Require(r.status().reason() == "invalid_event_object", "errors say invalid_event_object");
    return;
  }
  const Event& e = r->event;
  Require(ValidateAppName(e.app).ok(), "accepted app is valid");
  Require(ValidateEventName(e.name).ok(), "accepted event name is valid");
  Require(!e.value || ValidateValue(e.type, *e.value).ok(), "accepted value passes its type");
  std::string again = FormatEventObject(r->ts_micros, e);
  Result<StoredEvent> r2 = ParseEventObject(again);
  Require(r2.ok(), "a formatted object parses");
  Require(r2->ts_micros == r->ts_micros && r2->event.app == e.app && r2->event.name == e.name &&
              r2->event.type == e.type && r2->event.value == e.value &&
              r2->event.is_unique == e.is_unique,
          "format then parse gives the same event");
  Require(FormatEventObject(r2->ts_micros, r2->event) == again, "formatting is stable");
}

void CheckName(std::string_view key) {
  const std::string prefix = DayPrefix("p/", "2025-03-01");
  ObjectName n = ParseObjectName(prefix, key);
  switch (n.kind) {
    case ObjectKind::kNumbered:
      Require(NumberedKey("p/", "2025-03-01", n.number) == key, "numbered name round-trips");
      break;
    case ObjectKind::kUnique:
      Require(prefix + "unique/" + n.hash_hex + ".json" == key, "unique name round-trips");
      break;
    case ObjectKind::kIdempotent:
      Require(prefix + "idempotency/" + n.hash_hex + ".json" == key,
              "idempotency name round-trips");
      break;
    case ObjectKind::kOther:
      break;
  }
}

}  // namespace
}  // namespace itslog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    itslog::CheckName(std::string("p/2025-03-01/").append(input));
  } else {
    itslog::CheckObject(input);
  }
  return 0;
}
