// EventObject: one stored event as a JSON document of its own, the form storage: s3 keeps each
// event in (docs/OPERATIONS.md, "Storage in S3"):
//   {"time":"2025-03-01T12:00:00.000001Z","ts":1740830400000001,"app":"a","event":"e",
//    "value":"v","type":3,"unique":false}
// Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "event/event.h"

namespace itslog {

struct StoredEvent {
  int64_t ts_micros = 0;  // the server's timestamp, microseconds since the epoch, UTC
  Event event;            // app, name, type, value, is_unique; idempotency_key is never set
};

// The JSON object for an event stored at ts_micros, members in the order above: "time" is
// ts as ISO 8601 UTC with microseconds, "value" the stored text (a JSON string) or null,
// "unique" a boolean. event's idempotency key is not part of it.
std::string FormatEventObject(int64_t ts_micros, const Event& event);

// Reads an object FormatEventObject wrote, checking it as strictly as the worker checked the
// event it came from: exactly the seven members, each once and of its kind; "ts" an integer
// that "time" spells; app and event names, "type" 1..7 and "value" by the contract's rules.
// Fails kCorrupt "invalid_event_object" with a message naming what was wrong.
Result<StoredEvent> ParseEventObject(std::string_view json);

}  // namespace itslog
