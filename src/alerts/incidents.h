// Incident transitions shared by the API and the alerts service: opening one (with its
// "triggered" timeline entry) and moving it triggered -> acknowledged -> resolved, each step
// recorded in the append-only timeline with its actor and time. Call inside a transaction.
#pragma once

#include <string>

#include "control/alert_tables.h"

namespace itslog {

// The actor of what the alerts service does itself.
inline constexpr const char* kServiceActor = "itslog";

// Gives incident a fresh id ("inc_" + 24 hex digits), status triggered, opened_at now, stores
// it and its "triggered" entry (content: the title).
Status OpenIncident(AlertTables* tables, Incident* incident, const std::string& actor, int64_t now);

// Moves incident to status ("acknowledged" or "resolved") and records it. Fails kConflict
// "invalid_transition" (field "status") for a resolved incident or a repeated acknowledgement.
Status ChangeIncidentStatus(AlertTables* tables, Incident* incident, const std::string& status,
                            const std::string& actor, const std::string& content, int64_t now);

// A fresh opaque id: prefix + 24 lower-case hex digits.
std::string NewId(const char* prefix);

}  // namespace itslog
