#include "config/config_loader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "config/config_keys.h"
#include "core/host_id.h"
#include "core/time_util.h"

namespace itslog {

namespace {

constexpr size_t kMaxConfigBytes = 16 * 1024 * 1024;
constexpr std::string_view kReason = "invalid_config";
constexpr std::string_view kHostIdRule =
    "use 1 to 63 lower-case letters, digits, '.' and '-', starting with a letter or digit";

struct Pos {
  int line = 0;  // 1-based; 0: no place in the file
  int column = 0;
};

// yaml-cpp marks are 0-based, and null for nodes it made up.
Pos PosOf(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0 || m.column < 0) {
    return {};
  }
  return {m.line + 1, m.column + 1};
}

// One "key: value" of a map, as written.
struct Entry {
  YAML::Node value;
  Pos key_pos;
  Pos value_pos;  // the key's position when the value is empty (yaml-cpp marks the next token)
};

using Entries = std::map<std::string, Entry, std::less<>>;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// docs/DESIGN.md "Names": app [A-Za-z0-9][A-Za-z0-9._-]{0,127}. Key names follow the same rule.
bool IsName(std::string_view s) {
  if (s.empty() || s.size() > 128 || !IsAlnum(s[0])) {
    return false;
  }
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool IsVariableName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '_'; });
}

// "a map", "a list", "nothing" or the quoted scalar, for "expected X, got Y".
std::string Got(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return Quote(n.Scalar());
    default:
      return "nothing";
  }
}

// "normal|full" -> "normal or full"; "a|b|c" -> "a, b or c".
std::string OrList(std::string_view choices) {
  std::vector<std::string_view> words;
  size_t start = 0;
  while (start <= choices.size()) {
    size_t bar = choices.find('|', start);
    if (bar == std::string_view::npos) {
      bar = choices.size();
    }
    words.push_back(choices.substr(start, bar - start));
    start = bar + 1;
  }
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) {
      out += i + 1 == words.size() ? " or " : ", ";
    }
    out += words[i];
  }
  return out;
}

bool IsChoice(std::string_view choices, std::string_view word) {
  size_t start = 0;
  while (start <= choices.size()) {
    size_t bar = choices.find('|', start);
    if (bar == std::string_view::npos) {
      bar = choices.size();
    }
    if (choices.substr(start, bar - start) == word) {
      return true;
    }
    start = bar + 1;
  }
  return false;
}

// Edit distance, for "did you mean"; names are cut to 64 bytes so this stays cheap.
size_t Distance(std::string_view a, std::string_view b) {
  a = a.substr(0, 64);
  b = b.substr(0, 64);
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string Join(std::string_view path, std::string_view name) {
  return path.empty() ? std::string(name) : std::string(path) + "." + std::string(name);
}

// The table's entry for path; every path the loader asks for is in the table.
const ConfigKey& Key(std::string_view path) {
  const ConfigKey* key = FindConfigKey(path);
  assert(key != nullptr);
  static constexpr ConfigKey kMissing = {"", ConfigKeyType::kString, "", ""};
  return key != nullptr ? *key : kMissing;
}

// The names of the table's keys directly inside section ("" for the top level).
std::vector<std::string_view> ChildrenOf(std::string_view section) {
  std::vector<std::string_view> out;
  for (const ConfigKey& key : kConfigKeys) {
    std::string_view rest = key.path;
    if (!section.empty()) {
      if (rest.size() <= section.size() + 1 || rest.substr(0, section.size()) != section ||
          rest[section.size()] != '.') {
        continue;
      }
      rest.remove_prefix(section.size() + 1);
    }
    if (rest.find('.') == std::string_view::npos) {
      out.push_back(rest);
    }
  }
  return out;
}

bool IsUrl(std::string_view s) {
  std::string_view rest;
  if (s.substr(0, 7) == "http://") {
    rest = s.substr(7);
  } else if (s.substr(0, 8) == "https://") {
    rest = s.substr(8);
  } else {
    return false;
  }
  if (rest.empty() || rest[0] == '/' || rest[0] == ':') {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
}

// Notes where each document starts, and nothing else.
class DocumentCounter : public YAML::EventHandler {
 public:
  const std::vector<YAML::Mark>& starts() const { return starts_; }

  void OnDocumentStart(const YAML::Mark& mark) override { starts_.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  std::vector<YAML::Mark> starts_;
};

// The key entries of auth.keys as read, before the environment is applied.
struct KeyDraft {
  ApiKey key;
  std::string shown;  // "auth.keys[2]"
  Pos pos;            // the list item
  Pos name_pos;
  bool has_name = false;
  bool has_sha256 = false;  // key_sha256 given (valid or not)
  bool has_env = false;     // key_env given (valid or not)
  bool digest_ok = false;   // key.sha256 holds a digest
};

class Loader {
 public:
  explicit Loader(const GetVarFn& get_var) : get_var_(get_var) {}

  Config Run(std::string_view yaml);
  std::vector<ConfigProblem> TakeProblems() { return std::move(problems_); }

 private:
  void Problem(Pos pos, std::string message) {
    problems_.push_back(ConfigProblem{pos.line, pos.column, std::move(message)});
  }
  // An override variable: nullopt when unset or empty.
  std::optional<std::string> Override(const std::string& name) {
    std::optional<std::string> v = get_var_ ? get_var_(name) : std::nullopt;
    if (v && v->empty()) {
      return std::nullopt;
    }
    return v;
  }

  // yaml-cpp 0.7 takes a double-quoted scalar that runs to the end of the input as if it were
  // closed there, swallowing the rest of the file: look for its closing quote in the text.
  bool UnclosedQuote(const YAML::Node& n);
  Entries ReadMap(const YAML::Node& map, std::string_view section, std::string_view shown);
  // A section's value: its entries, or none when it is empty or not a map (reported).
  Entries ReadSection(const Entry& e, std::string_view section);

  std::optional<std::string> String(const Entry& e, const std::string& shown);
  std::optional<int64_t> Integer(const Entry& e, const std::string& shown, const ConfigKey& key);
  std::optional<bool> Bool(const Entry& e, const std::string& shown);
  std::optional<std::string> Choice(const Entry& e, const std::string& shown, const ConfigKey& key);
  struct Item {
    std::string text;
    Pos pos;
  };
  std::optional<std::vector<Item>> StringList(const Entry& e, const std::string& shown);

  // Each reads one key of a section into config, reporting what is wrong.
  void ReadInt(const Entries& m, std::string_view section, std::string_view name, int64_t* out);
  void ReadBool(const Entries& m, std::string_view section, std::string_view name, bool* out);

  void ReadTop(const YAML::Node& root, Config* c);
  void ReadAuth(const Entry& e, Config* c);
  void ReadKey(const YAML::Node& item, KeyDraft* draft);
  void ReadS3(const Entry& e, Config* c);
  void ApplyOverrides(Config* c);
  void FinishKeys(Config* c);

  const GetVarFn& get_var_;
  std::string_view text_;
  std::optional<ConfigProblem> unclosed_quote_;  // then nothing else is reported, as for any
                                                 // other syntax error
  std::vector<ConfigProblem> problems_;
  std::vector<KeyDraft> drafts_;
  bool data_dir_given_ = false;
  bool host_id_given_ = false;   // by the file or ITSLOG_HOST_ID (valid or not)
  bool bucket_invalid_ = false;  // a problem with s3.bucket is already reported
  Pos storage_pos_;
  Pos unique_scope_pos_;
  Pos root_pos_{1, 1};
};

bool Loader::UnclosedQuote(const YAML::Node& n) {
  if (!n.IsScalar() || n.Tag() != "!") {
    return false;
  }
  const int pos = n.Mark().pos;
  if (pos < 0 || static_cast<size_t>(pos) >= text_.size() || text_[pos] != '"') {
    return false;  // not where the text says it is (a tag, a byte order mark): nothing to check
  }
  for (size_t i = pos + 1; i < text_.size(); ++i) {
    if (text_[i] == '\\') {
      ++i;
    } else if (text_[i] == '"') {
      return false;
    }
  }
  unclosed_quote_ = ConfigProblem{PosOf(n.Mark()).line, PosOf(n.Mark()).column,
                                  "yaml syntax error: end of double-quoted string not found"};
  return true;
}

Entries Loader::ReadMap(const YAML::Node& map, std::string_view section, std::string_view shown) {
  Entries out;
  std::vector<std::string_view> known = ChildrenOf(section);
  for (const auto& kv : map) {
    const YAML::Node& k = kv.first;
    Pos key_pos = PosOf(k.Mark());
    if (!k.IsScalar()) {
      Problem(key_pos, "expected a key name" + std::string(shown.empty() ? "" : " in ") +
                           std::string(shown) + ", got " + Got(k));
      continue;
    }
    if (UnclosedQuote(k) || UnclosedQuote(kv.second)) {
      continue;
    }
    const std::string& name = k.Scalar();
    std::string path = Join(shown, name);
    if (auto prev = out.find(name); prev != out.end()) {
      Problem(key_pos, "duplicate key " + Quote(path) + " (first at line " +
                           std::to_string(prev->second.key_pos.line) + ")");
      continue;
    }
    std::string table_path = Join(section, name);
    bool env_only = false;
    for (const EnvOnlyKey& secret : kEnvOnlyKeys) {
      if (secret.path == table_path) {
        Problem(key_pos, path + ": credentials must not be in the config file; set " +
                             std::string(secret.variable) + " in the environment instead");
        env_only = true;
      }
    }
    if (env_only) {
      continue;
    }
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string_view best;
      size_t best_distance = 3;
      for (std::string_view candidate : known) {
        size_t d = Distance(name, candidate);
        // Short names are all close to each other: suggest only what is clearly a typo.
        if (d < best_distance && d * 3 <= std::max(name.size(), candidate.size())) {
          best_distance = d;
          best = candidate;
        }
      }
      std::string where = shown.empty() ? "" : " in " + std::string(shown);
      std::string message = "unknown key " + Quote(name) + where;
      if (!best.empty()) {
        message += "; did you mean " + Quote(best) + "?";
      } else {
        message += "; known keys: ";
        for (size_t i = 0; i < known.size(); ++i) {
          message += (i > 0 ? ", " : "") + std::string(known[i]);
        }
      }
      Problem(key_pos, std::move(message));
      continue;
    }
    Entry e;
    e.value = kv.second;
    e.key_pos = key_pos;
    e.value_pos = kv.second.IsNull() ? key_pos : PosOf(kv.second.Mark());
    if (e.value_pos.line == 0) {
      e.value_pos = key_pos;
    }
    out.emplace(name, std::move(e));
  }
  return out;
}

Entries Loader::ReadSection(const Entry& e, std::string_view section) {
  if (e.value.IsNull()) {
    return {};
  }
  if (!e.value.IsMap()) {
    Problem(e.value_pos, std::string(section) + ": expected a map of keys, got " + Got(e.value));
    return {};
  }
  return ReadMap(e.value, section, section);
}

std::optional<std::string> Loader::String(const Entry& e, const std::string& shown) {
  if (e.value.IsNull()) {
    Problem(e.value_pos, shown + ": no value given; give a string or remove the key");
    return std::nullopt;
  }
  if (!e.value.IsScalar()) {
    Problem(e.value_pos, shown + ": expected a string, got " + Got(e.value));
    return std::nullopt;
  }
  if (e.value.Scalar().find('\0') != std::string::npos) {
    Problem(e.value_pos, shown + ": must not contain a NUL character");
    return std::nullopt;
  }
  return e.value.Scalar();
}

// A scalar that YAML would not take as a string: plain (unquoted, untagged).
bool IsPlain(const YAML::Node& n) {
  return n.Tag() == "?";
}

std::optional<int64_t> Loader::Integer(const Entry& e, const std::string& shown,
                                       const ConfigKey& key) {
  std::string range = std::to_string(key.min) + ".." + std::to_string(key.max);
  if (!e.value.IsScalar() || !IsPlain(e.value)) {
    Problem(e.value_pos, shown + ": expected an integer " + range + ", got " +
                             (e.value.IsScalar() ? "the quoted string " : "") + Got(e.value));
    return std::nullopt;
  }
  const std::string& s = e.value.Scalar();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  bool digits = !s.empty() && end == s.data() + s.size();
  if (ec == std::errc::result_out_of_range ||
      (digits && ec == std::errc() && (v < key.min || v > key.max))) {
    Problem(e.value_pos, shown + ": " + Quote(s) + " is out of range; expected " + range);
    return std::nullopt;
  }
  if (ec != std::errc() || !digits) {
    Problem(e.value_pos, shown + ": expected an integer " + range + ", got " + Got(e.value));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Loader::Bool(const Entry& e, const std::string& shown) {
  if (e.value.IsScalar() && IsPlain(e.value)) {
    const std::string& s = e.value.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") {
      return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      return false;
    }
  }
  Problem(e.value_pos, shown + ": expected true or false, got " +
                           (e.value.IsScalar() && !IsPlain(e.value) ? "the quoted string " : "") +
                           Got(e.value));
  return std::nullopt;
}

std::optional<std::string> Loader::Choice(const Entry& e, const std::string& shown,
                                          const ConfigKey& key) {
  if (e.value.IsScalar() && IsChoice(key.choices, e.value.Scalar())) {
    return e.value.Scalar();
  }
  Problem(e.value_pos, shown + ": expected " + OrList(key.choices) + ", got " + Got(e.value));
  return std::nullopt;
}

std::optional<std::vector<Loader::Item>> Loader::StringList(const Entry& e,
                                                            const std::string& shown) {
  if (!e.value.IsSequence()) {
    Problem(e.value_pos, shown + ": expected a list such as [a, b], got " + Got(e.value));
    return std::nullopt;
  }
  std::vector<Item> out;
  bool ok = true;
  size_t i = 0;
  for (const YAML::Node& node : e.value) {
    std::string item_shown = shown + "[" + std::to_string(i++) + "]";
    Pos pos = PosOf(node.Mark());
    if (pos.line == 0) {
      pos = e.value_pos;
    }
    if (UnclosedQuote(node)) {
      ok = false;
      continue;
    }
    if (!node.IsScalar()) {
      Problem(pos, item_shown + ": expected a string, got " + Got(node));
      ok = false;
      continue;
    }
    out.push_back(Item{node.Scalar(), pos});
  }
  if (!ok) {
    return std::nullopt;
  }
  return out;
}

void Loader::ReadInt(const Entries& m, std::string_view section, std::string_view name,
                     int64_t* out) {
  auto it = m.find(name);
  if (it == m.end()) {
    return;
  }
  std::string path = Join(section, name);
  if (std::optional<int64_t> v = Integer(it->second, path, Key(path))) {
    *out = *v;
  }
}

void Loader::ReadBool(const Entries& m, std::string_view section, std::string_view name,
                      bool* out) {
  auto it = m.find(name);
  if (it == m.end()) {
    return;
  }
  if (std::optional<bool> v = Bool(it->second, Join(section, name))) {
    *out = *v;
  }
}

void Loader::ReadTop(const YAML::Node& root, Config* c) {
  Entries m = ReadMap(root, "", "");
  if (auto it = m.find("data_dir"); it != m.end()) {
    data_dir_given_ = true;
    if (std::optional<std::string> v = String(it->second, "data_dir")) {
      if (v->empty() || (*v)[0] != '/') {
        Problem(it->second.value_pos, "data_dir: expected an absolute path, got " + Quote(*v));
      } else {
        c->data_dir = *v;
      }
    }
  }
  if (auto it = m.find("timezone"); it != m.end()) {
    if (std::optional<std::string> v = String(it->second, "timezone")) {
      Result<TimeZone> tz = TimeZone::Load(*v);
      if (tz.ok()) {
        c->timezone = tz->name();
      } else {
        Problem(it->second.value_pos, "timezone: " + tz.status().message());
      }
    }
  }
  if (auto it = m.find("durability"); it != m.end()) {
    if (std::optional<std::string> v = Choice(it->second, "durability", Key("durability"))) {
      c->durability = *v == "full" ? Durability::kFull : Durability::kNormal;
    }
  }
  if (auto it = m.find("storage"); it != m.end()) {
    if (std::optional<std::string> v = Choice(it->second, "storage", Key("storage"))) {
      c->storage = *v == "s3" ? StorageKind::kS3 : StorageKind::kSqlite;
      storage_pos_ = it->second.value_pos;
    }
  }
  if (auto it = m.find("limits"); it != m.end()) {
    Entries limits = ReadSection(it->second, "limits");
    ReadInt(limits, "limits", "max_body_bytes", &c->limits.max_body_bytes);
    ReadInt(limits, "limits", "max_batch", &c->limits.max_batch);
    ReadInt(limits, "limits", "max_event_names_per_app_per_day",
            &c->limits.max_event_names_per_app_per_day);
  }
  if (auto it = m.find("auth"); it != m.end()) {
    ReadAuth(it->second, c);
  }
  if (auto it = m.find("s3"); it != m.end()) {
    ReadS3(it->second, c);
  }
  if (auto it = m.find("ship"); it != m.end()) {
    Entries ship = ReadSection(it->second, "ship");
    ReadBool(ship, "ship", "delete_local", &c->ship.delete_local);
    ReadInt(ship, "ship", "multipart_threshold_bytes", &c->ship.multipart_threshold_bytes);
  }
  if (auto it = m.find("archive"); it != m.end()) {
    Entries archive = ReadSection(it->second, "archive");
    if (auto dir = archive.find("cache_dir"); dir != archive.end()) {
      if (std::optional<std::string> v = String(dir->second, "archive.cache_dir")) {
        if (!v->empty() && v->front() != '/') {
          Problem(dir->second.value_pos,
                  "archive.cache_dir: expected an absolute path, got " + Quote(*v));
        } else {
          c->archive.cache_dir = *v;
        }
      }
    }
    ReadInt(archive, "archive", "cache_max_bytes", &c->archive.cache_max_bytes);
  }
  ReadInt(m, "", "retention_days", &c->retention_days);
  ReadInt(m, "", "lock_timeout_ms", &c->lock_timeout_ms);
  if (auto it = m.find("host_id"); it != m.end()) {
    host_id_given_ = true;
    if (std::optional<std::string> v = String(it->second, "host_id")) {
      if (IsValidHostId(*v)) {
        c->host_id = *v;
      } else {
        Problem(it->second.value_pos,
                "host_id: " + Quote(*v) + " is not a valid host_id; " + std::string(kHostIdRule));
      }
    }
  }
  if (auto it = m.find("tail"); it != m.end()) {
    Entries tail = ReadSection(it->second, "tail");
    ReadInt(tail, "tail", "max_seconds", &c->tail_max_seconds);
  }
  if (auto it = m.find("alerts"); it != m.end()) {
    Entries alerts = ReadSection(it->second, "alerts");
    ReadInt(alerts, "alerts", "interval_seconds", &c->alerts.interval_seconds);
    ReadInt(alerts, "alerts", "repeat_seconds", &c->alerts.repeat_seconds);
    ReadInt(alerts, "alerts", "retry_for_seconds", &c->alerts.retry_for_seconds);
    ReadInt(alerts, "alerts", "backoff_initial_ms", &c->alerts.backoff_initial_ms);
    ReadInt(alerts, "alerts", "timeout_ms", &c->alerts.timeout_ms);
  }
  if (auto it = m.find("log"); it != m.end()) {
    if (std::optional<std::string> v = Choice(it->second, "log", Key("log"))) {
      c->log = *v == "stderr"   ? LogTarget::kStderr
               : *v == "syslog" ? LogTarget::kSyslog
                                : LogTarget::kAuto;
    }
  }
  if (auto it = m.find("unique_scope"); it != m.end()) {
    if (std::optional<std::string> v = Choice(it->second, "unique_scope", Key("unique_scope"))) {
      c->unique_scope = *v == "bucket" ? UniqueScope::kBucket : UniqueScope::kHost;
      unique_scope_pos_ = it->second.value_pos;
    }
  }
}

void Loader::ReadAuth(const Entry& e, Config* c) {
  Entries auth = ReadSection(e, "auth");
  ReadBool(auth, "auth", "required", &c->auth_required);
  auto it = auth.find("keys");
  if (it == auth.end() || it->second.value.IsNull()) {
    return;
  }
  const YAML::Node& keys = it->second.value;
  if (!keys.IsSequence()) {
    Problem(it->second.value_pos,
            "auth.keys: expected a list of keys (\"- name: ...\"), got " + Got(keys));
    return;
  }
  size_t index = 0;
  for (const YAML::Node& item : keys) {
    KeyDraft draft;
    draft.shown = "auth.keys[" + std::to_string(index++) + "]";
    draft.pos = PosOf(item.Mark());
    if (draft.pos.line == 0) {
      draft.pos = it->second.value_pos;
    }
    ReadKey(item, &draft);
    drafts_.push_back(std::move(draft));
  }
}

void Loader::ReadKey(const YAML::Node& item, KeyDraft* d) {
  if (!item.IsMap()) {
    Problem(d->pos, d->shown +
                        ": expected a map with name, key_sha256 or key_env, scopes and apps, got " +
                        Got(item));
    return;
  }
  Entries m = ReadMap(item, "auth.keys[]", d->shown);
  if (auto it = m.find("name"); it != m.end()) {
    std::string shown = d->shown + ".name";
    if (std::optional<std::string> v = String(it->second, shown)) {
      if (IsName(*v)) {
        d->key.name = *v;
        d->has_name = true;
        d->name_pos = it->second.value_pos;
      } else {
        Problem(it->second.value_pos,
                shown + ": " + Quote(*v) +
                    " is not a valid key name; use up to 128 letters, digits, '.', '_' and '-', "
                    "starting with a letter or digit");
      }
    }
  } else {
    Problem(d->pos, d->shown + ": name is required");
  }
  auto sha = m.find("key_sha256");
  auto env = m.find("key_env");
  d->has_sha256 = sha != m.end();
  d->has_env = env != m.end();
  if (d->has_sha256 && d->has_env) {
    Problem(env->second.key_pos, d->shown + ": give key_sha256 or key_env, not both");
  } else if (d->has_sha256) {
    std::string shown = d->shown + ".key_sha256";
    if (std::optional<std::string> v = String(sha->second, shown)) {
      // The value is not quoted back: a raw key pasted here by mistake must not be logged.
      if (std::optional<Digest> digest = DigestFromHex(*v)) {
        d->key.sha256 = *digest;
        d->digest_ok = true;
      } else {
        Problem(sha->second.value_pos,
                shown + ": expected 64 hex digits (printf %s \"$KEY\" | sha256sum), got " +
                    std::to_string(v->size()) + " characters that are not that");
      }
    }
  } else if (d->has_env) {
    std::string shown = d->shown + ".key_env";
    if (std::optional<std::string> v = String(env->second, shown)) {
      if (!IsVariableName(*v)) {
        Problem(env->second.value_pos,
                shown + ": " + Quote(*v) +
                    " is not an environment variable name; use letters, digits and '_'");
      } else if (std::optional<std::string> raw = get_var_ ? get_var_(*v) : std::nullopt; !raw) {
        Problem(env->second.value_pos, shown + ": environment variable " + *v + " is not set");
      } else if (raw->empty()) {
        Problem(env->second.value_pos, shown + ": environment variable " + *v + " is empty");
      } else {
        d->key.sha256 = Sha256Of(*raw);
        d->digest_ok = true;
      }
    }
  }
  if (auto it = m.find("scopes"); it != m.end()) {
    std::string shown = d->shown + ".scopes";
    if (std::optional<std::vector<Item>> items = StringList(it->second, shown)) {
      if (items->empty()) {
        Problem(it->second.value_pos, shown + ": give at least one of ingest, read, admin");
      }
      for (size_t i = 0; i < items->size(); ++i) {
        const Item& item_i = (*items)[i];
        std::string item_shown = shown + "[" + std::to_string(i) + "]";
        uint32_t bit = 0;
        if (item_i.text == "ingest") {
          bit = kScopeIngest;
        } else if (item_i.text == "read") {
          bit = kScopeRead;
        } else if (item_i.text == "admin") {
          bit = kScopeAdmin;
        } else if (item_i.text == "incidents") {
          bit = kScopeIncidents;
        }
        if (bit == 0) {
          Problem(item_i.pos, item_shown + ": unknown scope " + Quote(item_i.text) +
                                  "; expected ingest, read, admin or incidents");
        } else if (d->key.scopes & bit) {
          Problem(item_i.pos, item_shown + ": scope " + item_i.text + " is listed twice");
        } else {
          d->key.scopes |= bit;
        }
      }
    }
  } else {
    Problem(d->pos, d->shown + ": scopes is required (a list of ingest, read, admin)");
  }
  if (auto it = m.find("apps"); it != m.end()) {
    std::string shown = d->shown + ".apps";
    if (std::optional<std::vector<Item>> items = StringList(it->second, shown)) {
      if (items->empty()) {
        Problem(it->second.value_pos, shown + ": give at least one app, or [\"*\"] for all");
      }
      std::set<std::string> seen;
      for (size_t i = 0; i < items->size(); ++i) {
        const Item& item_i = (*items)[i];
        std::string item_shown = shown + "[" + std::to_string(i) + "]";
        if (item_i.text == "*") {
          if (items->size() > 1) {
            Problem(item_i.pos, item_shown + ": \"*\" (all apps) must be the only entry");
          }
          d->key.all_apps = true;
        } else if (!IsName(item_i.text)) {
          Problem(item_i.pos, item_shown + ": " + Quote(item_i.text) +
                                  " is not an app name; use up to 128 letters, digits, '.', '_' "
                                  "and '-', starting with a letter or digit, or \"*\"");
        } else if (!seen.insert(item_i.text).second) {
          Problem(item_i.pos, item_shown + ": app " + Quote(item_i.text) + " is listed twice");
        } else {
          d->key.apps.push_back(item_i.text);
        }
      }
    }
  } else {
    Problem(d->pos, d->shown + ": apps is required (a list of app names, or [\"*\"])");
  }
}

void Loader::ReadS3(const Entry& e, Config* c) {
  Entries s3 = ReadSection(e, "s3");
  if (auto it = s3.find("endpoint"); it != s3.end()) {
    if (std::optional<std::string> v = String(it->second, "s3.endpoint")) {
      if (!v->empty() && !IsUrl(*v)) {
        Problem(it->second.value_pos,
                "s3.endpoint: expected an http:// or https:// URL, got " + Quote(*v));
      } else {
        c->s3.endpoint = *v;
      }
    }
  }
  if (auto it = s3.find("region"); it != s3.end()) {
    if (std::optional<std::string> v = String(it->second, "s3.region")) {
      bool ok = !v->empty() && v->size() <= 64 && std::all_of(v->begin(), v->end(), [](char ch) {
        return IsAlnum(ch) || ch == '-' || ch == '_';
      });
      if (ok) {
        c->s3.region = *v;
      } else {
        Problem(it->second.value_pos,
                "s3.region: expected a region name such as us-east-1, got " + Quote(*v));
      }
    }
  }
  if (auto it = s3.find("bucket"); it != s3.end()) {
    bucket_invalid_ = true;  // until it has been read
    if (std::optional<std::string> v = String(it->second, "s3.bucket")) {
      bool ok = v->size() <= 255 && (v->empty() || IsAlnum((*v)[0])) &&
                std::all_of(v->begin(), v->end(), [](char ch) {
                  return IsAlnum(ch) || ch == '-' || ch == '_' || ch == '.';
                });
      if (ok) {
        c->s3.bucket = *v;
        bucket_invalid_ = false;
      } else {
        Problem(it->second.value_pos,
                "s3.bucket: " + Quote(*v) +
                    " is not a bucket name; use letters, digits, '.', '_' and '-'");
      }
    }
  }
  if (auto it = s3.find("prefix"); it != s3.end()) {
    if (std::optional<std::string> v = String(it->second, "s3.prefix")) {
      // Unreserved characters and '/' only, so object names never need percent-encoding
      // (DEPENDENCIES.md, curl's SigV4 signs paths verbatim).
      bool ok =
          (v->empty() || (*v)[0] != '/') && std::all_of(v->begin(), v->end(), [](char ch) {
            return IsAlnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == '/';
          });
      if (ok) {
        c->s3.prefix = *v;
      } else {
        Problem(it->second.value_pos,
                "s3.prefix: " + Quote(*v) +
                    " is not a valid prefix; use letters, digits, '.', '_', '-', '~' and '/', "
                    "not starting with '/'");
      }
    }
  }
  ReadBool(s3, "s3", "path_style", &c->s3.path_style);
  ReadInt(s3, "s3", "connect_timeout_ms", &c->s3.connect_timeout_ms);
  ReadInt(s3, "s3", "timeout_ms", &c->s3.timeout_ms);
  ReadInt(s3, "s3", "retries", &c->s3.retries);
}

void Loader::ApplyOverrides(Config* c) {
  if (std::optional<std::string> v = Override("ITSLOG_DATA_DIR")) {
    if ((*v)[0] != '/') {
      Problem({}, "ITSLOG_DATA_DIR: expected an absolute path, got " + Quote(*v));
    } else {
      c->data_dir = *v;
      data_dir_given_ = true;
    }
  }
  if (std::optional<std::string> v = Override("ITSLOG_HOST_ID")) {
    host_id_given_ = true;
    if (IsValidHostId(*v)) {
      c->host_id = *v;
    } else {
      Problem({}, "ITSLOG_HOST_ID: " + Quote(*v) + " is not a valid host_id; " +
                      std::string(kHostIdRule));
    }
  }
  if (std::optional<std::string> v = Override("ITSLOG_AUTH_REQUIRED")) {
    if (*v == "true" || *v == "false") {
      c->auth_required = *v == "true";
    } else {
      Problem({}, "ITSLOG_AUTH_REQUIRED: expected true or false, got " + Quote(*v));
    }
  }
  if (std::optional<std::string> v = Override("ITSLOG_S3_ENDPOINT")) {
    if (IsUrl(*v)) {
      c->s3.endpoint = *v;
    } else {
      Problem({}, "ITSLOG_S3_ENDPOINT: expected an http:// or https:// URL, got " + Quote(*v));
    }
  }
  std::optional<std::string> id = Override("ITSLOG_S3_ACCESS_KEY_ID");
  std::optional<std::string> secret = Override("ITSLOG_S3_SECRET_ACCESS_KEY");
  std::optional<std::string> token = Override("ITSLOG_S3_SESSION_TOKEN");
  if (id.has_value() != secret.has_value()) {
    Problem({}, id ? "ITSLOG_S3_ACCESS_KEY_ID is set but ITSLOG_S3_SECRET_ACCESS_KEY is not"
                   : "ITSLOG_S3_SECRET_ACCESS_KEY is set but ITSLOG_S3_ACCESS_KEY_ID is not");
  } else if (token && !id) {
    Problem({},
            "ITSLOG_S3_SESSION_TOKEN is set but ITSLOG_S3_ACCESS_KEY_ID and "
            "ITSLOG_S3_SECRET_ACCESS_KEY are not");
  } else if (id) {
    c->s3.access_key_id = *id;
    c->s3.secret_access_key = *secret;
    c->s3.session_token = token.value_or("");
  }
}

void Loader::FinishKeys(Config* c) {
  std::map<std::string, size_t> by_name;      // key name -> index in drafts_
  std::map<std::string, size_t> by_variable;  // override variable -> index
  for (size_t i = 0; i < drafts_.size(); ++i) {
    KeyDraft& d = drafts_[i];
    if (!d.has_name) {
      continue;  // reported
    }
    std::string variable = KeyOverrideVariable(d.key.name);
    if (auto [it, fresh] = by_name.emplace(d.key.name, i); !fresh) {
      Problem(d.name_pos, d.shown + ".name: duplicate key name " + Quote(d.key.name) +
                              " (first at line " +
                              std::to_string(drafts_[it->second].name_pos.line) + ")");
      continue;
    }
    if (auto [it, fresh] = by_variable.emplace(variable, i); !fresh) {
      Problem(d.name_pos, d.shown + ".name: keys " + Quote(drafts_[it->second].key.name) + " and " +
                              Quote(d.key.name) + " would share the variable " + variable +
                              "; rename one");
      continue;
    }
    if (std::optional<std::string> v = Override(variable)) {
      if (std::optional<Digest> digest = DigestFromHex(*v)) {
        d.key.sha256 = *digest;
        d.digest_ok = true;
      } else {
        // Not quoted back: it may be a raw key set by mistake.
        Problem({}, variable + ": expected 64 hex digits (printf %s \"$KEY\" | sha256sum), got " +
                        std::to_string(v->size()) + " characters that are not that");
      }
    } else if (!d.has_sha256 && !d.has_env) {
      Problem(d.pos, d.shown + ": key " + Quote(d.key.name) + " needs key_sha256 or key_env (or " +
                         variable + " in the environment)");
    }
  }
  std::map<Digest, size_t> by_digest;
  for (size_t i = 0; i < drafts_.size(); ++i) {
    const KeyDraft& d = drafts_[i];
    if (!d.digest_ok) {
      continue;
    }
    if (auto [it, fresh] = by_digest.emplace(d.key.sha256, i); !fresh) {
      Problem(d.pos, d.shown + ": key " + Quote(d.key.name) + " has the same hash as key " +
                         Quote(drafts_[it->second].key.name) + "; each key must be different");
    }
  }
  for (KeyDraft& d : drafts_) {
    c->keys.push_back(std::move(d.key));
  }
}

Config Loader::Run(std::string_view yaml) {
  Config c;
  text_ = yaml;
  // YAML allows no control characters but tab and line breaks, and yaml-cpp misreads them
  // (a NUL ends a scalar early or loops forever).
  int line = 1;
  int column = 1;
  for (char ch : yaml) {
    auto byte = static_cast<unsigned char>(ch);
    if ((byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') || byte == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      Problem({line, column}, std::string("yaml syntax error: control character 0x") +
                                  kHex[byte >> 4] + kHex[byte & 0xf] +
                                  " is not allowed (the file must be UTF-8 text)");
      return c;
    }
    if (byte == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  YAML::Node root;
  try {
    // Not YAML::LoadAll: on a stray token (",a: 1") yaml-cpp 0.7 makes empty documents at the
    // same place forever. Count the documents first, at most three, watching for that.
    std::istringstream in{std::string(yaml)};
    YAML::Parser parser(in);
    DocumentCounter counter;
    for (int i = 0; i < 3 && parser.HandleNextDocument(counter); ++i) {
    }
    const std::vector<YAML::Mark>& starts = counter.starts();
    for (size_t i = 0; i + 1 < starts.size(); ++i) {
      if (starts[i].pos == starts[i + 1].pos) {
        size_t pos = static_cast<size_t>(std::max(starts[i].pos, 0));
        Problem(PosOf(starts[i]), "yaml syntax error: unexpected " +
                                      Quote(pos < yaml.size() ? yaml.substr(pos, 1) : ""));
        return c;
      }
    }
    if (starts.size() > 1) {
      Problem(PosOf(starts[1]), "only one yaml document is allowed; remove the second \"---\"");
    }
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    problems_.clear();
    Problem(PosOf(e.mark), "yaml syntax error: " + e.msg);
    return c;
  }
  if (Pos p = PosOf(root.Mark()); p.line > 0) {
    root_pos_ = p;
  }
  if (root.IsMap()) {
    ReadTop(root, &c);
  } else if (!root.IsNull()) {
    data_dir_given_ = true;  // no use in asking for it too
    Problem(root_pos_,
            "expected a map of keys such as \"data_dir: /var/lib/itslog\" at the top level, got " +
                Got(root));
  }
  if (UnclosedQuote(root) || unclosed_quote_) {
    problems_ = {*unclosed_quote_};
    return c;
  }
  ApplyOverrides(&c);
  FinishKeys(&c);
  if (!host_id_given_) {
    std::string host = DefaultHostId();
    if (IsValidHostId(host)) {
      c.host_id = host;
    } else {
      Problem(root_pos_, "host_id is not set and this machine's hostname " + Quote(host) +
                             " is not a valid host_id; set host_id (" + std::string(kHostIdRule) +
                             ")");
    }
  }
  if (!data_dir_given_) {
    Problem(root_pos_, "data_dir is required (the directory of the day files)");
  }
  if (c.storage == StorageKind::kS3 && c.s3.bucket.empty() && !bucket_invalid_) {
    Problem(storage_pos_, "storage: s3 needs s3.bucket");
  }
  if (c.unique_scope == UniqueScope::kBucket && c.s3.bucket.empty() && !bucket_invalid_) {
    Problem(unique_scope_pos_,
            "unique_scope: bucket needs s3.bucket (the bucket whose hosts share unique events)");
  }
  return c;
}

}  // namespace

std::string KeyOverrideVariable(std::string_view key_name) {
  std::string out = "ITSLOG_KEY_";
  for (char c : key_name) {
    if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else {
      out += IsAlnum(c) ? c : '_';
    }
  }
  return out + "_SHA256";
}

std::string FormatProblem(const std::string& filename, const ConfigProblem& p) {
  if (p.line <= 0) {
    return filename + ": " + p.message;
  }
  return filename + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": " +
         p.message;
}

Result<Config> LoadConfigFromString(std::string_view yaml, const std::string& filename,
                                    const GetVarFn& get_var, std::vector<ConfigProblem>* problems) {
  std::vector<ConfigProblem> found;
  Config config;
  // yaml-cpp reports through exceptions, and so does the allocator: none may leave the module.
  try {
    Loader loader(get_var);
    config = loader.Run(yaml);
    found = loader.TakeProblems();
  } catch (const std::exception& e) {
    found.push_back(ConfigProblem{0, 0, std::string("cannot read the config: ") + e.what()});
  } catch (...) {
    found.push_back(ConfigProblem{0, 0, "cannot read the config: unexpected error"});
  }
  if (problems != nullptr) {
    problems->clear();
  }
  if (found.empty()) {
    config.source = filename;
    return config;
  }
  // In file order; problems from the environment (line 0) last.
  std::stable_sort(found.begin(), found.end(), [](const ConfigProblem& a, const ConfigProblem& b) {
    auto rank = [](const ConfigProblem& p) {
      return std::pair(p.line <= 0 ? INT32_MAX : p.line, p.column);
    };
    return rank(a) < rank(b);
  });
  Status status = InvalidError(std::string(kReason), FormatProblem(filename, found.front()));
  if (problems != nullptr) {
    *problems = std::move(found);
  }
  return status;
}

Result<Config> LoadConfigFile(const std::string& path, const GetVarFn& get_var,
                              std::vector<ConfigProblem>* problems) {
  if (problems != nullptr) {
    problems->clear();
  }
  auto fail = [&](std::string message) -> Result<Config> {
    if (problems != nullptr) {
      problems->push_back(ConfigProblem{0, 0, message});
    }
    return InvalidError("config_unreadable", path + ": " + message);
  };
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    return fail(std::string("cannot open the config file: ") + std::strerror(errno));
  }
  std::string text;
  char buf[65536];
  while (true) {
    size_t n = std::fread(buf, 1, sizeof(buf), file.get());
    text.append(buf, n);
    if (text.size() > kMaxConfigBytes) {
      return fail("the config file is larger than 16 MiB");
    }
    if (n < sizeof(buf)) {
      if (std::ferror(file.get())) {
        return fail(std::string("cannot read the config file: ") + std::strerror(errno));
      }
      break;
    }
  }
  return LoadConfigFromString(text, path, get_var, problems);
}

std::string ResolveConfigPath(const std::optional<std::string>& flag, const GetVarFn& get_var) {
  if (flag && !flag->empty()) {
    return *flag;
  }
  if (get_var) {
    if (std::optional<std::string> v = get_var("ITSLOG_CONFIG"); v && !v->empty()) {
      return *v;
    }
  }
  return "/etc/itslog/itslog.yaml";
}

}  // namespace itslog
