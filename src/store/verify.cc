#include "store/verify.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "core/host_id.h"
#include "core/time_util.h"
#include "store/chain.h"
#include "store/reader.h"
#include "store/schema.h"
#include "store/sqlite_util.h"

namespace itslog {

std::string_view DamageName(Damage d) {
  switch (d) {
    case Damage::kEditedRow:
      return "edited_row";
    case Damage::kDeletedRow:
      return "deleted_row";
    case Damage::kInsertedRow:
      return "inserted_row";
    case Damage::kReorderedRows:
      return "reordered_rows";
    case Damage::kWrongSeed:
      return "wrong_seed";
    case Damage::kBadMeta:
      return "bad_meta";
    case Damage::kBadSchema:
      return "bad_schema";
    case Damage::kBrokenLink:
      return "broken_link";
    case Damage::kSealMismatch:
      return "seal_mismatch";
    case Damage::kIntegrity:
      return "integrity";
  }
  return "unknown";
}

// ParseSeal ---------------------------------------------------------------------------------

namespace {

// A strict reader of one flat JSON object whose values are strings or integers (what a seal
// holds); nested values are skipped. Enough for the seal, and small enough to fuzz.
class FlatJson {
 public:
  explicit FlatJson(std::string_view text) : s_(text) {}

  // Fills members with the object's string values and integers (as their text), and strings
  // with the names of the members whose value was a JSON string.
  Status Parse(std::map<std::string, std::string>* members, std::set<std::string>* strings) {
    SkipSpace();
    if (!Eat('{')) {
      return Fail("a seal must be a JSON object");
    }
    SkipSpace();
    if (Eat('}')) {
      return End();
    }
    for (;;) {
      std::string key;
      if (Status st = String(&key); !st.ok()) {
        return st;
      }
      SkipSpace();
      if (!Eat(':')) {
        return Fail("expected ':' after a member name");
      }
      SkipSpace();
      std::string value;
      if (Peek() == '"') {
        if (Status st = String(&value); !st.ok()) {
          return st;
        }
        strings->insert(key);
      } else if (Status st = Scalar(&value, 0); !st.ok()) {
        return st;
      }
      if (members->count(key) != 0) {
        return Fail("member " + Quote(key) + " appears twice");
      }
      (*members)[key] = std::move(value);
      SkipSpace();
      if (Eat('}')) {
        return End();
      }
      if (!Eat(',')) {
        return Fail("expected ',' or '}'");
      }
      SkipSpace();
    }
  }

 private:
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool Eat(char c) {
    if (Peek() == c && i_ < s_.size()) {
      ++i_;
      return true;
    }
    return false;
  }
  void SkipSpace() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }
  Status Fail(std::string message) { return InvalidError("invalid_seal", std::move(message)); }
  Status End() {
    SkipSpace();
    return i_ == s_.size() ? Status::Ok() : Fail("text after the seal's object");
  }
  Status String(std::string* out) {
    if (!Eat('"')) {
      return Fail("expected a string");
    }
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') {
        return Status::Ok();
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return Fail("control character in a string");
      }
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (i_ >= s_.size()) {
        break;
      }
      char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          // Kept as the escape: no seal member needs anything but ASCII.
          if (i_ + 4 > s_.size()) {
            return Fail("bad \\u escape");
          }
          for (int k = 0; k < 4; ++k) {
            if (!std::isxdigit(static_cast<unsigned char>(s_[i_ + static_cast<size_t>(k)]))) {
              return Fail("bad \\u escape");
            }
          }
          out->append("\\u");
          out->append(s_.substr(i_, 4));
          i_ += 4;
          break;
        }
        default:
          return Fail("bad escape in a string");
      }
    }
    return Fail("unterminated string");
  }
  // A number, true/false/null, or a nested value (skipped, kept as its text).
  Status Scalar(std::string* out, int depth) {
    if (depth > 64) {
      return Fail("nested too deeply");
    }
    size_t start = i_;
    char c = Peek();
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++i_;
      SkipSpace();
      if (Eat(close)) {
        *out = std::string(s_.substr(start, i_ - start));
        return Status::Ok();
      }
      for (;;) {
        std::string ignored;
        if (c == '{') {
          if (Status st = String(&ignored); !st.ok()) {
            return st;
          }
          SkipSpace();
          if (!Eat(':')) {
            return Fail("expected ':'");
          }
          SkipSpace();
        }
        if (Peek() == '"') {
          if (Status st = String(&ignored); !st.ok()) {
            return st;
          }
        } else if (Status st = Scalar(&ignored, depth + 1); !st.ok()) {
          return st;
        }
        SkipSpace();
        if (Eat(close)) {
          break;
        }
        if (!Eat(',')) {
          return Fail("expected ',' in a nested value");
        }
        SkipSpace();
      }
      *out = std::string(s_.substr(start, i_ - start));
      return Status::Ok();
    }
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' ||
                              s_[i_] == '+' || s_[i_] == '.')) {
      ++i_;
    }
    if (i_ == start) {
      return Fail("expected a value");
    }
    *out = std::string(s_.substr(start, i_ - start));
    return Status::Ok();
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

Result<Seal> ParseSeal(std::string_view json) {
  std::map<std::string, std::string> m;
  std::set<std::string> strings;
  if (Status s = FlatJson(json).Parse(&m, &strings); !s.ok()) {
    return s;
  }
  Seal seal;
  auto it = m.find("day");
  if (it == m.end() || !IsDayName(it->second)) {
    return InvalidError("invalid_seal", "the seal needs \"day\" as \"YYYY-MM-DD\"");
  }
  seal.day = it->second;
  it = m.find("rows");
  const std::string* rows = it == m.end() ? nullptr : &it->second;
  auto [ptr, ec] = rows == nullptr
                       ? std::from_chars_result{nullptr, std::errc::invalid_argument}
                       : std::from_chars(rows->data(), rows->data() + rows->size(), seal.rows);
  if (rows == nullptr || ec != std::errc() || ptr != rows->data() + rows->size() || seal.rows < 0) {
    return InvalidError("invalid_seal", "the seal needs \"rows\" as a non-negative integer");
  }
  it = m.find("final_hash");
  std::optional<Digest> final_hash = it == m.end() ? std::nullopt : DigestFromHex(it->second);
  if (!final_hash) {
    return InvalidError("invalid_seal", "the seal needs \"final_hash\" as 64 hex digits");
  }
  seal.final_hash = *final_hash;
  it = m.find("file_sha256");
  if (it != m.end()) {
    seal.file_sha256 = DigestFromHex(it->second);
    if (!seal.file_sha256) {
      return InvalidError("invalid_seal", "\"file_sha256\" must be 64 hex digits");
    }
  }
  it = m.find("host");
  if (it != m.end()) {
    if (strings.count("host") == 0 || !IsValidHostId(it->second)) {
      return InvalidError("invalid_seal", "\"host\" must be a host_id ([a-z0-9][a-z0-9.-]{0,62})");
    }
    seal.host = it->second;
  }
  return seal;
}

// VerifyDayFile -----------------------------------------------------------------------------

namespace {

constexpr int kWindow = 64;  // how far around a bad row the diagnosis looks

// An owning copy of a row for the diagnosis of a broken chain.
struct FullRow {
  int64_t seq = 0;
  int64_t ts = 0;
  std::string app;
  std::string event;
  int type = 0;
  std::optional<std::string> value;
  std::vector<uint8_t> hash;
};

Digest HashAs(Sha256* h, const Digest& prev, const FullRow& r, int64_t seq) {
  ChainRow c;
  c.seq = seq;
  c.ts = r.ts;
  c.app = r.app;
  c.event = r.event;
  c.type = r.type;
  if (r.value) {
    c.value = std::string_view(*r.value);
  }
  return ChainHash(h, prev, c);
}

bool StoredIs(const FullRow& r, const Digest& d) {
  return r.hash.size() == d.size() && std::memcmp(r.hash.data(), d.data(), d.size()) == 0;
}

Digest StoredDigest(const FullRow& r) {
  Digest d{};
  if (r.hash.size() == d.size()) {
    std::memcpy(d.data(), r.hash.data(), d.size());
  }
  return d;
}

// Rows with seq >= from, in seq order, at most n.
Result<std::vector<FullRow>> LoadRows(sqlite3* db, const EventTable& events, int64_t from, int n) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db,
                              "SELECT seq, ts, event, type, value, hash FROM log WHERE seq >= ?1 "
                              "ORDER BY seq LIMIT ?2",
                              -1, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db, "cannot read the log");
  }
  sqlite3_bind_int64(raw, 1, from);
  sqlite3_bind_int(raw, 2, n);
  std::vector<FullRow> out;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    FullRow r;
    r.seq = sqlite3_column_int64(raw, 0);
    r.ts = sqlite3_column_int64(raw, 1);
    if (const EventName* name = events.Find(sqlite3_column_int64(raw, 2))) {
      r.app = name->app;
      r.event = name->name;
    }
    r.type = sqlite3_column_int(raw, 3);
    if (sqlite3_column_type(raw, 4) != SQLITE_NULL) {
      const char* v = reinterpret_cast<const char*>(sqlite3_column_text(raw, 4));
      r.value = std::string(v, static_cast<size_t>(sqlite3_column_bytes(raw, 4)));
    }
    const uint8_t* h = static_cast<const uint8_t*>(sqlite3_column_blob(raw, 5));
    r.hash.assign(h, h + sqlite3_column_bytes(raw, 5));
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) {
    return SqliteStatus(rc, db, "cannot read the log");
  }
  return out;
}

// What happened at rows[0] (seq s, which does not match its hash given prev, the verified hash
// of seq s - 1). rows holds s and the rows after it. seeds: other chain seeds worth trying.
Problem Diagnose(Sha256* h, const Digest& prev, const std::vector<FullRow>& rows,
                 const std::vector<std::pair<Digest, std::string>>& seeds) {
  const FullRow& bad = rows[0];
  const int64_t s = bad.seq;
  auto msg = [&](std::string m) { return "seq " + std::to_string(s) + ": " + std::move(m); };
  if (bad.hash.size() != 32) {
    return {Damage::kEditedRow, s, msg("its hash is not 32 bytes: the row was edited")};
  }
  if (bad.app.empty()) {
    return {Damage::kEditedRow, s,
            msg("it names an event id the events table does not hold: the row was edited")};
  }
  // A wrong seed: the first row verifies from another seed.
  if (s == 1) {
    for (const auto& [seed, what] : seeds) {
      if (seed != prev && StoredIs(bad, HashAs(h, seed, bad, s))) {
        return {
            Damage::kWrongSeed, s,
            msg("meta.chain_seed " + HexEncode(prev) + " is not the seed the chain was built on (" +
                what + ", " + HexEncode(seed) + ")")};
      }
    }
  }
  // The row that belongs at s is further down: rows were inserted before it, or moved.
  for (size_t k = 1; k < rows.size(); ++k) {
    if (!StoredIs(rows[k], HashAs(h, prev, rows[k], s))) {
      continue;
    }
    int64_t found = rows[k].seq;
    if (k == 1 && StoredIs(bad, HashAs(h, StoredDigest(rows[1]), bad, s + 1))) {
      return {Damage::kReorderedRows, s,
              msg("rows " + std::to_string(s) + " and " + std::to_string(s + 1) + " were swapped")};
    }
    // Inserted: everything after the original row is shifted by k as well.
    bool shifted = k + 1 >= rows.size() ||
                   StoredIs(rows[k + 1], HashAs(h, StoredDigest(rows[k]), rows[k + 1], s + 1));
    if (shifted) {
      return {Damage::kInsertedRow, s,
              msg(std::to_string(k) + " row(s) were inserted at seq " + std::to_string(s) +
                  " (the original row " + std::to_string(s) + " is now seq " +
                  std::to_string(found) + ")")};
    }
    return {Damage::kReorderedRows, s,
            msg("the row stored as seq " + std::to_string(found) + " belongs at seq " +
                std::to_string(s))};
  }
  // The contents that belong at s (under the hash still stored there) are further down: rows'
  // contents were swapped or moved while their hashes stayed in place.
  for (size_t k = 1; k < rows.size(); ++k) {
    if (StoredIs(bad, HashAs(h, prev, rows[k], s))) {
      return {Damage::kReorderedRows, s,
              msg("the contents of seq " + std::to_string(s) + " are now stored as seq " +
                  std::to_string(rows[k].seq) + ": rows' contents were swapped or moved")};
    }
  }
  // Rows were deleted at s and the rest renumbered: the next row verifies under a higher seq.
  if (rows.size() > 1) {
    for (int64_t k = 1; k <= kWindow; ++k) {
      if (StoredIs(rows[1], HashAs(h, StoredDigest(bad), rows[1], rows[1].seq + k))) {
        return {Damage::kDeletedRow, s,
                msg(std::to_string(k) + " row(s) were deleted before seq " + std::to_string(s) +
                    " and the rows after them renumbered")};
      }
    }
  }
  bool next_chains =
      rows.size() < 2 || StoredIs(rows[1], HashAs(h, StoredDigest(bad), rows[1], rows[1].seq));
  if (s == 1 && next_chains) {
    return {Damage::kEditedRow, s,
            msg("its contents (ts, event, type or value) do not match its hash: the row was "
                "edited, or meta.chain_seed is wrong")};
  }
  if (next_chains) {
    return {Damage::kEditedRow, s,
            msg("its contents (ts, event, type or value) do not match its hash: the row was "
                "edited")};
  }
  return {Damage::kEditedRow, s,
          msg("this row and the next do not match their hashes: rows or hashes were edited")};
}

// The schema check: every object of the format, with the same SQL, and nothing else.
void CheckSchema(sqlite3* db, std::vector<Problem>* problems) {
  auto read_master = [](sqlite3* d,
                        std::map<std::string, std::pair<std::string, std::string>>* out) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(d, "SELECT type, name, sql FROM sqlite_master", -1, &raw, nullptr) !=
        SQLITE_OK) {
      return false;
    }
    Stmt stmt(raw);
    while (sqlite3_step(raw) == SQLITE_ROW) {
      auto text = [&](int i) {
        const unsigned char* p = sqlite3_column_text(raw, i);
        return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
      };
      (*out)[text(1)] = {text(0), text(2)};
    }
    return true;
  };
  sqlite3* mem = nullptr;
  if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(mem);
    problems->push_back({Damage::kBadSchema, 0, "cannot build the reference schema"});
    return;
  }
  SqliteDb mem_owner(mem);
  std::map<std::string, std::pair<std::string, std::string>> want, have;
  if (sqlite3_exec(mem, kDaySchemaSql, nullptr, nullptr, nullptr) != SQLITE_OK ||
      !read_master(mem, &want) || !read_master(db, &have)) {
    problems->push_back({Damage::kBadSchema, 0, "cannot read the schema"});
    return;
  }
  for (const auto& [name, w] : want) {
    auto it = have.find(name);
    if (it == have.end()) {
      std::string why = w.first == "trigger" ? " (the file's append-only guard was removed)" : "";
      problems->push_back(
          {Damage::kBadSchema, 0, "schema: " + w.first + " " + name + " is missing" + why});
    } else if (it->second != w) {
      problems->push_back({Damage::kBadSchema, 0,
                           "schema: " + w.first + " " + name + " differs from the format's"});
    }
  }
  for (const auto& [name, h] : have) {
    if (want.count(name) == 0) {
      problems->push_back({Damage::kBadSchema, 0,
                           "schema: " + h.first + " " + name + " is not part of the format"});
    }
  }
}

// The second thread's work: integrity_check and the links of uniques and idempotency to log.
void CheckIntegrityAndLinks(const std::string& path, bool integrity,
                            std::vector<Problem>* problems) {
  Result<SqliteDb> db = OpenSqlite(path, /*read_only=*/true);
  if (!db.ok()) {
    problems->push_back({Damage::kIntegrity, 0, db.status().message()});
    return;
  }
  sqlite3* d = db->get();
  sqlite3_exec(d, "PRAGMA busy_timeout=2000; PRAGMA mmap_size=1073741824; BEGIN", nullptr, nullptr,
               nullptr);
  auto each_row = [&](const char* sql, const std::function<void(sqlite3_stmt*)>& fn) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(d, sql, -1, &raw, nullptr) != SQLITE_OK) {
      return false;
    }
    Stmt stmt(raw);
    int rc;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
      fn(raw);
    }
    return rc == SQLITE_DONE;
  };
  if (integrity) {
    std::vector<std::string> lines;
    bool ran = each_row("PRAGMA integrity_check(20)", [&](sqlite3_stmt* s) {
      const unsigned char* p = sqlite3_column_text(s, 0);
      lines.emplace_back(p == nullptr ? "" : reinterpret_cast<const char*>(p));
    });
    if (!ran) {
      problems->push_back({Damage::kIntegrity, 0,
                           std::string("integrity_check could not run: ") + sqlite3_errmsg(d)});
    } else if (!(lines.size() == 1 && lines[0] == "ok")) {
      for (const std::string& l : lines) {
        problems->push_back({Damage::kIntegrity, 0, "integrity_check: " + l});
      }
    }
  }
  each_row(
      "SELECT u.seq, l.seq IS NULL FROM uniques u LEFT JOIN log l ON l.seq = u.seq "
      "WHERE l.seq IS NULL OR l.event <> u.event OR l.is_unique = 0 ORDER BY u.seq LIMIT 1",
      [&](sqlite3_stmt* s) {
        int64_t seq = sqlite3_column_int64(s, 0);
        problems->push_back(
            {Damage::kBrokenLink, seq,
             "seq " + std::to_string(seq) + ": uniques names this row, but " +
                 (sqlite3_column_int(s, 1) ? std::string("it does not exist")
                                           : std::string("it is not that unique event"))});
      });
  each_row(
      "SELECT i.seq FROM idempotency i LEFT JOIN log l ON l.seq = i.seq WHERE l.seq IS NULL "
      "ORDER BY i.seq LIMIT 1",
      [&](sqlite3_stmt* s) {
        int64_t seq = sqlite3_column_int64(s, 0);
        problems->push_back(
            {Damage::kBrokenLink, seq,
             "seq " + std::to_string(seq) + ": idempotency names this row, but it does not exist"});
      });
  sqlite3_exec(d, "COMMIT", nullptr, nullptr, nullptr);
}

// The last hash of the previous day's file beside path, if it is there and readable.
std::optional<Digest> PreviousDayLastHash(const std::string& path, const std::string& day) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base != day + "-v1.itslog") {
    return std::nullopt;  // not a day file's own name: no neighbours to speak of
  }
  std::string prev = DayFilePath(dir, AddDays(day, -1));
  if (access(prev.c_str(), R_OK) != 0) {
    return std::nullopt;
  }
  Result<std::unique_ptr<DayReader>> r = DayReader::Open(prev);
  if (!r.ok()) {
    return std::nullopt;
  }
  Result<Digest> last = ReadLastHash((*r)->db(), prev);
  if (!last.ok()) {
    return std::nullopt;
  }
  return *last;
}

Result<Digest> FileSha256(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return UnavailableError("storage_unavailable", "cannot read " + path);
  }
  Sha256 h;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0) {
      close(fd);
      return UnavailableError("storage_unavailable", "cannot read " + path);
    }
    if (n == 0) {
      break;
    }
    h.Update(buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  return h.Finish();
}

}  // namespace

namespace {

// The report on a file whose meta says its-log but whose events table cannot be read (dropped
// or altered): schema damage, integrity and links, no chain. failure when the schema is fine
// after all (the file could not be read for another reason).
Result<VerifyReport> SchemaDamageReport(const std::string& path, const VerifyOptions& options,
                                        const Status& failure) {
  Result<SqliteDb> db = OpenSqlite(path, /*read_only=*/true);
  if (!db.ok()) {
    return failure;
  }
  VerifyReport report;
  CheckSchema(db->get(), &report.problems);
  if (report.problems.empty()) {
    return failure;
  }
  Result<std::map<std::string, std::string>> meta = ReadMeta(db->get());
  if (meta.ok() && meta->count("day") != 0) {
    report.day = meta->at("day");
  }
  std::vector<Problem> side_problems;
  CheckIntegrityAndLinks(path, options.integrity_check, &side_problems);
  report.problems.insert(report.problems.end(), side_problems.begin(), side_problems.end());
  return report;
}

}  // namespace

Result<VerifyReport> VerifyDayFile(const std::string& path, const VerifyOptions& options) {
  Result<std::unique_ptr<DayReader>> opened = DayReader::Open(path, int64_t{1} << 30);
  if (!opened.ok()) {
    if (opened.status().code() == Code::kInternal) {
      return SchemaDamageReport(path, options, opened.status());
    }
    return opened.status();
  }
  DayReader& reader = **opened;
  sqlite3* db = reader.db();
  VerifyReport report;
  report.day = reader.day();
  std::vector<Problem> side_problems;
  std::thread side(CheckIntegrityAndLinks, path, options.integrity_check, &side_problems);
  struct Joiner {
    std::thread* t;
    ~Joiner() {
      if (t->joinable()) {
        t->join();
      }
    }
  } joiner{&side};

  std::vector<Problem> problems;
  // Meta.
  const auto& meta = reader.meta();
  auto get = [&](const char* k) -> std::optional<std::string> {
    auto it = meta.find(k);
    return it == meta.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  std::optional<Digest> seed = get("chain_seed") ? DigestFromHex(*get("chain_seed")) : std::nullopt;
  if (!IsDayName(reader.day())) {
    problems.push_back({Damage::kBadMeta, 0, "meta.day is not a YYYY-MM-DD date"});
  }
  if (!get("timezone")) {
    problems.push_back({Damage::kBadMeta, 0, "meta.timezone is missing"});
  }
  if (!seed) {
    problems.push_back({Damage::kBadMeta, 0, "meta.chain_seed is not 64 hex digits"});
  }
  size_t slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.size() == 20 && base.substr(10) == "-v1.itslog" && IsDayName(base.substr(0, 10)) &&
      base.substr(0, 10) != reader.day()) {
    problems.push_back({Damage::kBadMeta, 0,
                        "the file is named for " + base.substr(0, 10) + " but meta.day is " +
                            Quote(reader.day())});
  }
  CheckSchema(db, &problems);

  // The chain, in one read transaction: a live file may be growing.
  if (Status s = reader.BeginSnapshot(); !s.ok()) {
    return s;
  }
  if (Status s = reader.LoadEvents(); !s.ok()) {
    return s;
  }
  Digest prev = seed.value_or(Digest{});
  std::optional<Digest> previous_day;
  if (options.check_previous_day && IsDayName(reader.day())) {
    previous_day = PreviousDayLastHash(path, reader.day());
  }
  std::vector<Problem> chain_problems;
  int64_t expected = 1;
  {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(
        db, "SELECT seq, ts, event, type, value, hash FROM log ORDER BY seq", -1, &raw, nullptr);
    Stmt stmt(raw);
    // A log the schema check found missing or altered has no chain to follow; the report says
    // why. Otherwise a log that cannot be read is a failure to read the file.
    if (rc != SQLITE_OK && problems.empty()) {
      return SqliteStatus(rc, db, "cannot read the log of " + path);
    }
    Sha256 hasher;
    const EventTable& events = reader.events();
    int64_t bad_seq = 0;  // the row that does not match its hash
    while (raw != nullptr && (rc = sqlite3_step(raw)) == SQLITE_ROW) {
      int64_t seq = sqlite3_column_int64(raw, 0);
      if (seq != expected) {
        if (seq > expected) {
          chain_problems.push_back(
              {Damage::kDeletedRow, expected,
               "seq " + std::to_string(expected) + ": " +
                   (seq - expected == 1 ? "row " + std::to_string(expected) + " is missing"
                                        : "rows " + std::to_string(expected) + ".." +
                                              std::to_string(seq - 1) + " are missing") +
                   " (seq jumps from " + std::to_string(expected - 1) + " to " +
                   std::to_string(seq) + ")"});
        } else {
          chain_problems.push_back(
              {Damage::kInsertedRow, seq,
               "seq " + std::to_string(seq) + ": a row with a seq below 1 was inserted"});
        }
        break;
      }
      const EventName* name = events.Find(sqlite3_column_int64(raw, 2));
      int hash_bytes = sqlite3_column_bytes(raw, 5);
      const void* stored = sqlite3_column_blob(raw, 5);
      ChainRow row;
      if (name != nullptr) {
        row.seq = seq;
        row.ts = sqlite3_column_int64(raw, 1);
        row.app = name->app;
        row.event = name->name;
        row.type = sqlite3_column_int(raw, 3);
        if (sqlite3_column_type(raw, 4) != SQLITE_NULL) {
          const char* v = reinterpret_cast<const char*>(sqlite3_column_text(raw, 4));
          row.value = std::string_view(v, static_cast<size_t>(sqlite3_column_bytes(raw, 4)));
        }
      }
      if (name == nullptr || hash_bytes != 32 || stored == nullptr) {
        bad_seq = seq;
        break;
      }
      Digest h = ChainHash(&hasher, prev, row);
      if (std::memcmp(h.data(), stored, 32) != 0) {
        bad_seq = seq;
        break;
      }
      prev = h;
      ++expected;
    }
    if (raw != nullptr && rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return SqliteStatus(rc, db, "cannot read the log of " + path);
    }
    stmt.reset();
    if (bad_seq != 0) {
      Result<std::vector<FullRow>> window = LoadRows(db, events, bad_seq, kWindow + 2);
      if (!window.ok()) {
        return window.status();
      }
      std::vector<std::pair<Digest, std::string>> seeds = {{Digest{}, "32 zero bytes"}};
      if (previous_day) {
        seeds.emplace_back(*previous_day, "the previous day's last hash");
      }
      chain_problems.push_back(Diagnose(&hasher, prev, *window, seeds));
    }
  }
  report.rows = expected - 1;
  report.last_hash = prev;

  // The link to the previous day, when the seed claims one and that day is here.
  bool chain_ok = chain_problems.empty();
  if (chain_ok && seed && previous_day && *seed != Digest{} && *seed != *previous_day) {
    chain_problems.push_back({Damage::kWrongSeed, report.rows > 0 ? 1 : 0,
                              "meta.chain_seed " + HexEncode(*seed) +
                                  " is not the last hash of the previous day's file (" +
                                  HexEncode(*previous_day) + ")"});
  }

  // The seal in meta, and the seal file.
  auto check_seal = [&](int64_t rows, const Digest& final_hash, const std::string& where) {
    if (!chain_ok) {
      return;  // the chain's problem already says what is wrong
    }
    if (report.rows < rows) {
      chain_problems.push_back({Damage::kDeletedRow, report.rows + 1,
                                "seq " + std::to_string(report.rows + 1) + ": " + where + " says " +
                                    std::to_string(rows) + " rows, the file has " +
                                    std::to_string(report.rows) +
                                    ": rows were removed from the end"});
    } else if (report.rows > rows) {
      chain_problems.push_back({Damage::kInsertedRow, rows + 1,
                                "seq " + std::to_string(rows + 1) + ": " + where + " says " +
                                    std::to_string(rows) + " rows, the file has " +
                                    std::to_string(report.rows) +
                                    ": rows were added after the seal"});
    } else if (report.last_hash != final_hash) {
      chain_problems.push_back(
          {Damage::kSealMismatch, 0,
           where + ": the final hash differs: the rows were rewritten and re-chained"});
    }
  };
  if (get("sealed_at") || get("final_hash") || get("rows")) {
    report.sealed = true;
    std::optional<Digest> final_hash =
        get("final_hash") ? DigestFromHex(*get("final_hash")) : std::nullopt;
    int64_t rows = -1;
    if (std::optional<std::string> r = get("rows")) {
      auto [ptr, ec] = std::from_chars(r->data(), r->data() + r->size(), rows);
      if (ec != std::errc() || ptr != r->data() + r->size()) {
        rows = -1;
      }
    }
    if (!final_hash || rows < 0 || !get("sealed_at")) {
      problems.push_back(
          {Damage::kBadMeta, 0, "meta's seal is incomplete (sealed_at, rows, final_hash)"});
    } else {
      check_seal(rows, *final_hash, "meta's seal");
    }
  }
  if (options.seal) {
    const Seal& seal = *options.seal;
    if (seal.day != reader.day()) {
      problems.push_back({Damage::kSealMismatch, 0,
                          "the seal is for " + seal.day + ", the file for " + reader.day()});
    } else {
      check_seal(seal.rows, seal.final_hash, "the seal file");
      if (seal.file_sha256 && chain_ok) {
        Result<Digest> sha = FileSha256(path);
        if (!sha.ok()) {
          return sha.status();
        }
        if (*sha != *seal.file_sha256 && chain_problems.empty()) {
          chain_problems.push_back(
              {Damage::kSealMismatch, 0,
               "the file's SHA-256 differs from the seal's file_sha256 (its rows still match: "
               "the file was changed outside the log, e.g. by VACUUM or an edit of meta)"});
        }
      }
    }
  }
  reader.EndSnapshot();
  side.join();
  report.problems = std::move(chain_problems);
  report.problems.insert(report.problems.end(), problems.begin(), problems.end());
  report.problems.insert(report.problems.end(), side_problems.begin(), side_problems.end());
  return report;
}

}  // namespace itslog
