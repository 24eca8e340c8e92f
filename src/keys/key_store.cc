#include "keys/key_store.h"

#include <sqlite3.h>

#include <cstring>
#include <sstream>

namespace itslog {

namespace {

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    out += out.empty() ? "" : " ";
    out += w;
  }
  return out;
}

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string w;
  while (in >> w) {
    out.push_back(w);
  }
  return out;
}

std::string ColumnText(sqlite3_stmt* stmt, int col) {
  const unsigned char* p = sqlite3_column_text(stmt, col);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p),
                                    static_cast<size_t>(sqlite3_column_bytes(stmt, col)));
}

int64_t ColumnIntOr0(sqlite3_stmt* stmt, int col) {
  return sqlite3_column_type(stmt, col) == SQLITE_NULL ? 0 : sqlite3_column_int64(stmt, col);
}

Status Step(ControlDb* db, sqlite3_stmt* stmt, const char* what) {
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    return SqliteStatus(rc, db->db(), std::string(what) + " " + db->path());
  }
  return Status::Ok();
}

void BindText(sqlite3_stmt* stmt, int i, const std::string& text) {
  sqlite3_bind_text(stmt, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void BindIntOrNull(sqlite3_stmt* stmt, int i, int64_t v) {
  if (v == 0) {
    sqlite3_bind_null(stmt, i);
  } else {
    sqlite3_bind_int64(stmt, i, v);
  }
}

Result<StoredKey> ReadRow(ControlDb* db, sqlite3_stmt* stmt) {
  StoredKey k;
  k.key.id = ColumnText(stmt, 0);
  k.key.name = ColumnText(stmt, 1);
  const void* hash = sqlite3_column_blob(stmt, 2);
  if (hash == nullptr || sqlite3_column_bytes(stmt, 2) != 32) {
    return CorruptError("corrupt_file", "key " + Quote(k.key.id) + " in " + db->path() +
                                            " has no 32-byte key_sha256");
  }
  std::memcpy(k.key.sha256.data(), hash, 32);
  Result<uint32_t> scopes = ScopesFromNames(SplitWords(ColumnText(stmt, 3)));
  KeySpec apps;
  if (!scopes.ok() || !SetApps(SplitWords(ColumnText(stmt, 4)), &apps).ok()) {
    return CorruptError("corrupt_file", "key " + Quote(k.key.id) + " in " + db->path() +
                                            " has scopes or apps this its-log does not know");
  }
  k.key.scopes = *scopes;
  k.key.all_apps = apps.all_apps;
  k.key.apps = std::move(apps.apps);
  k.key.rate_limit = ColumnIntOr0(stmt, 5);
  k.key.rate_slot = sqlite3_column_type(stmt, 6) == SQLITE_NULL
                        ? -1
                        : static_cast<int32_t>(sqlite3_column_int64(stmt, 6));
  k.key.expires_at_micros = ColumnIntOr0(stmt, 7);
  k.created_at_micros = ColumnIntOr0(stmt, 8);
  k.last_used_at_micros = ColumnIntOr0(stmt, 9);
  return k;
}

}  // namespace

Result<std::vector<StoredKey>> LoadStoredKeys(ControlDb* db) {
  Result<Stmt> stmt = PrepareSql(db->db(),
                                 "SELECT id, name, key_sha256, scopes, apps, rate_limit, "
                                 "rate_slot, expires_at, created_at, last_used_at FROM api_keys "
                                 "ORDER BY created_at, id",
                                 "cannot read the keys of " + db->path());
  if (!stmt.ok()) {
    return stmt.status();
  }
  std::vector<StoredKey> out;
  for (;;) {
    int rc = sqlite3_step(stmt->get());
    if (rc == SQLITE_DONE) {
      break;
    }
    if (rc != SQLITE_ROW) {
      return SqliteStatus(rc, db->db(), "cannot read the keys of " + db->path());
    }
    Result<StoredKey> row = ReadRow(db, stmt->get());
    if (!row.ok()) {
      return row.status();
    }
    out.push_back(std::move(row).value());
  }
  return out;
}

Result<StoredKey> InsertStoredKey(ControlDb* db, const KeySpec& spec, const Digest& sha256,
                                  const std::string& id, int64_t now_micros, int slots) {
  StoredKey k;
  k.key.id = id;
  k.key.name = spec.name;
  k.key.sha256 = sha256;
  k.key.scopes = spec.scopes;
  k.key.all_apps = spec.all_apps;
  k.key.apps = spec.apps;
  k.key.rate_limit = spec.rate_limit;
  k.key.expires_at_micros = spec.expires_at_micros;
  k.created_at_micros = now_micros;
  Status s = db->InTransaction([&]() -> Status {
    Result<Stmt> taken =
        PrepareSql(db->db(), "SELECT 1 FROM api_keys WHERE name = ?", "cannot read " + db->path());
    if (!taken.ok()) {
      return taken.status();
    }
    BindText(taken->get(), 1, spec.name);
    if (sqlite3_step(taken->get()) == SQLITE_ROW) {
      return Status(Code::kConflict, "name_taken",
                    "a key named " + Quote(spec.name) + " exists; pick another name", "name");
    }
    if (spec.rate_limit > 0) {
      // The lowest free bucket: keys come and go, buckets are reused.
      Result<Stmt> used = PrepareSql(
          db->db(), "SELECT rate_slot FROM api_keys WHERE rate_slot IS NOT NULL ORDER BY 1",
          "cannot read " + db->path());
      if (!used.ok()) {
        return used.status();
      }
      int slot = 0;
      while (sqlite3_step(used->get()) == SQLITE_ROW &&
             sqlite3_column_int64(used->get(), 0) == slot) {
        ++slot;
      }
      if (slot >= slots) {
        return Status(Code::kConflict, "too_many_keys",
                      "every one of the " + std::to_string(slots) +
                          " rate limit buckets is taken; revoke unused keys first",
                      "rate_limit");
      }
      k.key.rate_slot = slot;
    }
    Result<Stmt> insert = PrepareSql(db->db(),
                                     "INSERT INTO api_keys(id, name, key_sha256, scopes, apps, "
                                     "rate_limit, rate_slot, expires_at, created_at) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                     "cannot write " + db->path());
    if (!insert.ok()) {
      return insert.status();
    }
    sqlite3_stmt* st = insert->get();
    BindText(st, 1, id);
    BindText(st, 2, spec.name);
    sqlite3_bind_blob(st, 3, sha256.data(), static_cast<int>(sha256.size()), SQLITE_TRANSIENT);
    BindText(st, 4, JoinWords(ScopeNamesOf(spec.scopes)));
    BindText(st, 5, spec.all_apps ? std::string("*") : JoinWords(spec.apps));
    BindIntOrNull(st, 6, spec.rate_limit);
    if (k.key.rate_slot >= 0) {
      sqlite3_bind_int64(st, 7, k.key.rate_slot);
    } else {
      sqlite3_bind_null(st, 7);
    }
    BindIntOrNull(st, 8, spec.expires_at_micros);
    sqlite3_bind_int64(st, 9, now_micros);
    return Step(db, st, "cannot write");
  });
  if (!s.ok()) {
    return s;
  }
  return k;
}

Result<std::optional<int>> DeleteStoredKey(ControlDb* db, const std::string& id) {
  std::optional<int> slot;
  bool found = false;
  Status s = db->InTransaction([&]() -> Status {
    Result<Stmt> del = PrepareSql(db->db(), "DELETE FROM api_keys WHERE id = ? RETURNING rate_slot",
                                  "cannot write " + db->path());
    if (!del.ok()) {
      return del.status();
    }
    BindText(del->get(), 1, id);
    int rc = sqlite3_step(del->get());
    if (rc == SQLITE_ROW) {
      found = true;
      if (sqlite3_column_type(del->get(), 0) != SQLITE_NULL) {
        slot = static_cast<int>(sqlite3_column_int64(del->get(), 0));
      }
      rc = sqlite3_step(del->get());
    }
    if (rc != SQLITE_DONE) {
      return SqliteStatus(rc, db->db(), "cannot write " + db->path());
    }
    return Status::Ok();
  });
  if (!s.ok()) {
    return s;
  }
  if (!found) {
    return Status(Code::kNotFound, "key_not_found", "no key has the id " + Quote(id), "id");
  }
  return slot;
}

Status TouchStoredKey(ControlDb* db, const std::string& id, int64_t at_micros) {
  Result<Stmt> update = PrepareSql(db->db(),
                                   "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND "
                                   "(last_used_at IS NULL OR last_used_at < ?)",
                                   "cannot write " + db->path());
  if (!update.ok()) {
    return update.status();
  }
  sqlite3_bind_int64(update->get(), 1, at_micros);
  BindText(update->get(), 2, id);
  sqlite3_bind_int64(update->get(), 3, at_micros);
  return Step(db, update->get(), "cannot write");
}

}  // namespace itslog
