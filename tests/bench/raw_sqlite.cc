// The SQLite ceiling for batch ingest in `make bench`: one process inserting rows into a fresh
// file of the day-file schema, ROWS_PER_TX rows per transaction, with the pragmas the worker
// uses (WAL, synchronous NORMAL or FULL). No lock file, no hashing, no HTTP: only SQLite.
//
// usage: raw_sqlite SCHEMA_SQL DB_PATH ROWS [ROWS_PER_TX] [EVENT_NAMES] [normal|full]
// Prints one JSON object: {"rows":N,"seconds":S,"rows_per_s":R}.
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace {

bool Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "raw_sqlite: %s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    return false;
  }
  return true;
}

uint64_t Mix(uint64_t x) {  // splitmix64: hash-like bytes without a hash function's cost
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: raw_sqlite SCHEMA_SQL DB_PATH ROWS [ROWS_PER_TX] [EVENT_NAMES] "
                 "[normal|full]\n");
    return 2;
  }
  std::ifstream schema_file(argv[1]);
  std::stringstream schema;
  schema << schema_file.rdbuf();
  const char* db_path = argv[2];
  const int64_t rows = std::atoll(argv[3]);
  const int64_t per_tx = argc > 4 ? std::atoll(argv[4]) : 1000;
  const int names = argc > 5 ? std::atoi(argv[5]) : 10;
  const bool full = argc > 6 && std::strcmp(argv[6], "full") == 0;
  if (schema.str().empty() || rows < 1 || per_tx < 1 || names < 1) {
    std::fprintf(stderr, "raw_sqlite: bad arguments or empty schema\n");
    return 2;
  }
  std::remove(db_path);
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path, &db) != SQLITE_OK) {
    std::fprintf(stderr, "raw_sqlite: cannot open %s\n", db_path);
    return 1;
  }
  std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") +
                        (full ? "FULL" : "NORMAL") + ";";
  if (!Exec(db, pragmas.c_str()) || !Exec(db, schema.str().c_str())) {
    return 1;
  }
  if (!Exec(db, "BEGIN")) {
    return 1;
  }
  for (int i = 0; i < names; ++i) {
    std::string sql =
        "INSERT INTO events(app, name) VALUES('bench-batch', 'batch.e" + std::to_string(i) + "')";
    if (!Exec(db, sql.c_str())) {
      return 1;
    }
  }
  if (!Exec(db, "COMMIT")) {
    return 1;
  }
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO log(seq, ts, event, type, value, is_unique, hash) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, 0, ?6)",
                         -1, &insert, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "raw_sqlite: prepare: %s\n", sqlite3_errmsg(db));
    return 1;
  }
  const int64_t ts0 = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto start = std::chrono::steady_clock::now();
  int64_t seq = 0;
  unsigned char hash[32];
  char value[32];
  while (seq < rows) {
    if (!Exec(db, "BEGIN")) {
      return 1;
    }
    for (int64_t i = 0; i < per_tx && seq < rows; ++i) {
      ++seq;
      for (int w = 0; w < 4; ++w) {
        uint64_t h = Mix(static_cast<uint64_t>(seq) * 4 + w);
        std::memcpy(hash + 8 * w, &h, 8);
      }
      int len = std::snprintf(value, sizeof(value), "%lld", static_cast<long long>(seq * 7));
      sqlite3_bind_int64(insert, 1, seq);
      sqlite3_bind_int64(insert, 2, ts0 + seq);
      sqlite3_bind_int64(insert, 3, 1 + seq % names);
      sqlite3_bind_int(insert, 4, 1);
      sqlite3_bind_text(insert, 5, value, len, SQLITE_STATIC);
      sqlite3_bind_blob(insert, 6, hash, 32, SQLITE_STATIC);
      if (sqlite3_step(insert) != SQLITE_DONE) {
        std::fprintf(stderr, "raw_sqlite: insert: %s\n", sqlite3_errmsg(db));
        return 1;
      }
      sqlite3_reset(insert);
    }
    if (!Exec(db, "COMMIT")) {
      return 1;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sqlite3_finalize(insert);
  sqlite3_close(db);
  std::printf("{\"rows\":%lld,\"seconds\":%.6f,\"rows_per_s\":%.1f}\n",
              static_cast<long long>(rows), seconds, static_cast<double>(rows) / seconds);
  return 0;
}
