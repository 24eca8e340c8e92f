// The control database's schema, step by step (control/control_db.h, ControlMigration).
// Append new steps at the end with the next version; never edit a released one.
#include "control/control_db.h"

namespace itslog {
namespace {

constexpr ControlMigration kMigrations[] = {
    {1, "control_meta",
     "CREATE TABLE control_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
     "INSERT INTO control_meta(key, value) VALUES ('format', 'itslog-control');"},
};

}  // namespace

std::span<const ControlMigration> ControlMigrations() {
  return kMigrations;
}

}  // namespace itslog
