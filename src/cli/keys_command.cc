// itslog keys add|list|revoke: the keys made over HTTP, managed on the host (keys/key_ring.h),
// also while the workers run: they see a change at their next request. Exit 0 on success,
// 1 when the change could not be made (e.g. an unknown id), 2 for bad usage or configuration.
#include <charconv>
#include <cstdio>
#include <sstream>

#include "cli/cli.h"
#include "cli/commands.h"
#include "core/time_util.h"
#include "http/keys_api.h"
#include "keys/key_ring.h"

namespace itslog {

namespace {

constexpr const char* kUsage =
    "usage: itslog keys add --name NAME --scopes S[,S...] --apps A[,A...]|'*'\n"
    "                       [--rate-limit N] [--expires-at ISO8601] [--json] [--config PATH]\n"
    "       itslog keys list [--json] [--config PATH]\n"
    "       itslog keys revoke ID [--config PATH]\n";

int Usage(const std::string& problem) {
  std::fprintf(stderr, "itslog keys: %s\n%s", problem.c_str(), kUsage);
  return kExitUsage;
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    out.push_back(item);
  }
  return out;
}

// A rejected value: the field's message, as an option.
int BadValue(const Status& s) {
  std::fprintf(stderr, "itslog keys add: %s\n", s.message().c_str());
  return kExitUsage;
}

int Fail(const char* what, const Status& s) {
  std::fprintf(stderr, "itslog keys %s: %s\n", what, s.message().c_str());
  return s.code() == Code::kInvalid ? kExitUsage : kExitFailure;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) {
    out += out.empty() ? "" : ",";
    out += i;
  }
  return out;
}

int Add(const ParsedArgs& args, KeyRing* ring, Env* env) {
  std::optional<std::string> name = args.Get("--name");
  std::optional<std::string> scopes = args.Get("--scopes");
  std::optional<std::string> apps = args.Get("--apps");
  if (!name || !scopes || !apps) {
    return Usage("add needs --name, --scopes and --apps");
  }
  KeySpec spec;
  if (Status s = CheckKeyName(*name); !s.ok()) {
    return BadValue(s);
  }
  spec.name = *name;
  Result<uint32_t> bits = ScopesFromNames(SplitCommas(*scopes));
  if (!bits.ok()) {
    return BadValue(bits.status());
  }
  spec.scopes = *bits;
  if (Status s = SetApps(SplitCommas(*apps), &spec); !s.ok()) {
    return BadValue(s);
  }
  if (std::optional<std::string> rate = args.Get("--rate-limit")) {
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(rate->data(), rate->data() + rate->size(), n);
    if (ec != std::errc() || ptr != rate->data() + rate->size()) {
      return Usage("--rate-limit takes a whole number of requests per second");
    }
    if (Status s = CheckRateLimit(n); !s.ok()) {
      return BadValue(s);
    }
    spec.rate_limit = n;
  }
  if (std::optional<std::string> expires = args.Get("--expires-at")) {
    Result<int64_t> at = ExpiryFromText(*expires, env->NowMicros());
    if (!at.ok()) {
      return BadValue(at.status());
    }
    spec.expires_at_micros = *at;
  }
  Result<MadeKey> made = ring->Create(spec);
  if (!made.ok()) {
    return Fail("add", made.status());
  }
  if (args.Has("--json")) {
    std::string json = KeyListingJson(made->listing);
    json.pop_back();  // the closing brace: the key goes last, as in the HTTP answer
    std::printf("%s,\"key\":\"%s\"}\n", json.c_str(), made->secret.c_str());
  } else {
    std::printf("%s\n", made->secret.c_str());
    std::fprintf(stderr,
                 "itslog keys: made key %s (id %s); the key above is shown this once and is "
                 "stored only as its SHA-256\n",
                 Quote(made->listing.key.name).c_str(), made->listing.key.id.c_str());
  }
  return kExitOk;
}

int List(const ParsedArgs& args, KeyRing* ring) {
  Result<std::vector<KeyListing>> listed = ring->List();
  if (!listed.ok()) {
    return Fail("list", listed.status());
  }
  if (args.Has("--json")) {
    std::string out = "{\"keys\":[";
    for (size_t i = 0; i < listed->size(); ++i) {
      out += (i == 0 ? "" : ",") + KeyListingJson((*listed)[i]);
    }
    std::printf("%s]}\n", out.c_str());
    return kExitOk;
  }
  auto time_or_dash = [](int64_t micros) {
    return micros == 0 ? std::string("-") : FormatIso8601Micros(micros).substr(0, 19) + "Z";
  };
  std::printf("%-36s %-24s %-6s %-18s %-24s %-10s %-20s %s\n", "ID", "NAME", "SOURCE", "SCOPES",
              "APPS", "RATE/S", "EXPIRES_AT", "LAST_USED_AT");
  for (const KeyListing& l : *listed) {
    std::string apps = l.key.all_apps ? "*" : Joined(l.key.apps);
    std::string rate = l.key.rate_limit > 0 ? std::to_string(l.key.rate_limit) : "-";
    std::printf("%-36s %-24s %-6s %-18s %-24s %-10s %-20s %s\n", l.key.id.c_str(),
                l.key.name.c_str(), l.from_config ? "config" : "api",
                Joined(ScopeNamesOf(l.key.scopes)).c_str(), apps.c_str(), rate.c_str(),
                time_or_dash(l.key.expires_at_micros).c_str(),
                l.from_config ? "-" : time_or_dash(l.last_used_at_micros).c_str());
  }
  return kExitOk;
}

}  // namespace

int RunKeysCommand(const Args& args, Env* env) {
  Result<ParsedArgs> parsed =
      ParseArgs(args, {"--config", "--name", "--scopes", "--apps", "--rate-limit", "--expires-at"},
                {"--json"});
  if (!parsed.ok()) {
    return Usage(parsed.status().message());
  }
  const std::vector<std::string>& pos = parsed->positional;
  if (pos.empty()) {
    return Usage("give a subcommand: add, list or revoke");
  }
  const std::string& sub = pos[0];
  if (sub != "add" && sub != "list" && sub != "revoke") {
    return Usage("unknown subcommand " + Quote(sub));
  }
  if ((sub == "revoke") != (pos.size() == 2) || pos.size() > 2) {
    return Usage(sub == "revoke" ? "revoke takes one key id" : sub + " takes no arguments");
  }
  std::optional<Config> config = LoadConfigOrReport(*parsed, env);
  if (!config) {
    return kExitUsage;
  }
  StderrLogger log(LogLevel::kWarning);
  KeyRing ring(&*config, env, &log);
  if (sub == "add") {
    return Add(*parsed, &ring, env);
  }
  if (sub == "list") {
    return List(*parsed, &ring);
  }
  if (Status s = ring.Revoke(pos[1]); !s.ok()) {
    return Fail("revoke", s);
  }
  std::fprintf(stderr, "itslog keys: revoked %s; every worker refuses it from its next request\n",
               pos[1].c_str());
  return kExitOk;
}

}  // namespace itslog
