// Turns request bodies into Events: POST /v1/log (one object, a JSON array, or NDJSON) and the
// optional JSON body of PUT /v1/event|unique. The only user of simdjson.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "event/event.h"

namespace itslog {

struct ParseOptions {
  size_t max_batch = 10000;
  // The app for an event without "app": the key's single app, else "default".
  std::string default_app = "default";
};

struct ParsedBody {
  bool is_batch = false;             // an array or NDJSON (even of one item)
  std::vector<Result<Event>> items;  // one per element, in order; errors per item
};

// Parses a POST /v1/log body. ndjson: the Content-Type was application/x-ndjson (one JSON
// object per non-empty line). An object body gives one item and is_batch = false.
// Fails as a whole (kInvalid "invalid_json", "empty_body", "empty_batch"; kTooLarge
// "batch_too_large" above max_batch) only when the body itself is unusable; a bad element of
// a batch is an error item instead. Each item's Status names the reason and field.
// Accepted members: "event" (required), "value" (string; a number for INTEGER/REAL; any JSON
// for JSONB), "type" (integer 1..7, default 3), "app", "id". Any other member is
// "unknown_field".
//
// Errors (reason, field): a body that is empty or blank ("empty_body", "body"), an empty array
// ("empty_batch", "body"), more than max_batch items ("batch_too_large", "body"), not JSON or
// not an object or array ("invalid_json", no field). Per item: not an object, or for NDJSON a
// line that is not JSON ("invalid_json", no field; the message names the item or line); no
// "event" ("missing_field", "event"); another member ("unknown_field", the member's name); a
// member given twice ("invalid_json", the member's name); a member of the wrong JSON kind or
// failing its rule ("invalid_event_name" "event", "invalid_app_name" "app", "invalid_type"
// "type", "invalid_idempotency_key" "id", "invalid_value" "value"). Members are checked in the
// order sent, the value last (it depends on "type"). Items are indices into the array, or
// count the non-blank NDJSON lines. Does not block; no I/O.
Result<ParsedBody> ParseLogBody(std::string_view body, bool ndjson, const ParseOptions& options);

// Parses the optional body of PUT /v1/event|unique/<app>/<event>: empty (no value) or a JSON
// object with "value", "type" and "id". app and name come from the path and are validated here.
// Errors as for an item of ParseLogBody; "event" and "app" in the body are "unknown_field".
Result<Event> ParsePutBody(std::string_view body, std::string_view app, std::string_view name,
                           bool is_unique);

}  // namespace itslog
