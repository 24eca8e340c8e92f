#include "alerts/incidents.h"

#include "core/hmac.h"

namespace itslog {

std::string NewId(const char* prefix) {
  return prefix + RandomHex(12);
}

Status OpenIncident(AlertTables* tables, Incident* incident, const std::string& actor,
                    int64_t now) {
  incident->id = NewId("inc_");
  incident->status = "triggered";
  incident->opened_at = now;
  incident->acknowledged_at.reset();
  incident->resolved_at.reset();
  if (Status s = tables->InsertIncident(*incident); !s.ok()) {
    return s;
  }
  return tables->AppendTimeline(incident->id, {"triggered", incident->title, actor, now});
}

Status ChangeIncidentStatus(AlertTables* tables, Incident* incident, const std::string& status,
                            const std::string& actor, const std::string& content, int64_t now) {
  if (incident->status == "resolved" ||
      (status == "acknowledged" && incident->status == "acknowledged")) {
    return Status(
        Code::kConflict, "invalid_transition",
        "incident " + incident->id + " is " + incident->status + "; it cannot become " + status,
        "status");
  }
  incident->status = status;
  if (status == "acknowledged") {
    incident->acknowledged_at = now;
  } else {
    incident->resolved_at = now;
  }
  if (Status s = tables->UpdateIncident(*incident); !s.ok()) {
    return s;
  }
  return tables->AppendTimeline(incident->id, {status, content, actor, now});
}

}  // namespace itslog
