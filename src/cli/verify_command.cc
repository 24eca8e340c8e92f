// itslog verify FILE|DAY... [--seal SEAL]: re-checks day files (store/verify.h) and names the
// first bad seq and what was done to the file. Exit 0 when every file is intact, 1 when one is
// not (or cannot be read), 2 for bad usage.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "cli/read_commands.h"
#include "core/time_util.h"
#include "store/reader.h"
#include "store/verify.h"

namespace itslog {

namespace {

// What a file is called in verify's lines: its path, or where a shipped copy came from.
std::string Shown(const HostDayFile& f) {
  if (f.own_local || f.host.empty()) {
    return f.path;
  }
  return f.source + " (host " + f.host + ")";
}

void PrintProblems(const std::string& shown, const VerifyReport& report) {
  for (const Problem& p : report.problems) {
    std::printf("%s: %s: %s\n", shown.c_str(), std::string(DamageName(p.kind)).c_str(),
                p.message.c_str());
  }
  const Problem& first = report.problems.front();
  if (first.seq > 0) {
    std::printf("%s: FAILED: first bad seq %lld (%s)\n", shown.c_str(),
                static_cast<long long>(first.seq), std::string(DamageName(first.kind)).c_str());
  } else {
    std::printf("%s: FAILED (%s)\n", shown.c_str(), std::string(DamageName(first.kind)).c_str());
  }
}

// The link of a day's file of one host to that host's previous day: meta.chain_seed must be
// the previous file's last hash when that file exists (docs/DATA-FORMAT.md, "Hash chain"; a
// zero seed says the previous day was not there when the file was created). Adds a problem to
// report when it is not; returns a note for the ok line.
std::string CheckLink(const HostDayFile& f, const std::string& day, DayLocator* locator,
                      VerifyReport* report) {
  Result<std::unique_ptr<DayReader>> reader = DayReader::Open(f.path);
  if (!reader.ok()) {
    return "";
  }
  auto it = (*reader)->meta().find("chain_seed");
  std::optional<Digest> seed =
      it == (*reader)->meta().end() ? std::nullopt : DigestFromHex(it->second);
  if (!seed || *seed == Digest{}) {
    return "";
  }
  const std::string previous = AddDays(day, -1);
  Result<std::optional<Digest>> last = locator->FinalHashOf(previous, f.host);
  if (!last.ok()) {
    report->problems.push_back(
        {Damage::kWrongSeed, 0,
         "cannot check the link to " + previous + ": " + last.status().message()});
    return "";
  }
  if (!*last) {
    return "";
  }
  if (**last != *seed) {
    report->problems.push_back({Damage::kWrongSeed, 0,
                                "meta.chain_seed " + HexEncode(*seed) +
                                    " is not the last hash of " + f.host + "'s " + previous + " (" +
                                    HexEncode(**last) + ")"});
    return "";
  }
  return ", linked to " + previous;
}

// Verifies one file of a FILE|DAY argument and prints its lines. True when it is intact.
bool VerifyOne(const HostDayFile& f, DayArgFiles& day, const std::string& arg,
               VerifyOptions options) {
  const std::string shown = Shown(f);
  if (!f.seal_json.empty()) {
    Result<Seal> seal = ParseSeal(f.seal_json);
    if (!seal.ok()) {
      std::printf("%s: FAILED: its seal: %s\n", shown.c_str(), seal.status().message().c_str());
      return false;
    }
    options.seal = *seal;
  }
  // A cached copy has no neighbours beside it: its link is checked through the archive.
  const bool archived = day.is_day && !f.own_local;
  if (archived) {
    options.check_previous_day = false;
  }
  Result<VerifyReport> report = VerifyDayFile(f.path, options);
  if (!report.ok()) {
    std::printf("%s: FAILED: %s\n", shown.c_str(), report.status().message().c_str());
    return false;
  }
  std::string link;
  // A local file's link to a local previous day is checked by VerifyDayFile; to a shipped one,
  // here.
  if (report->ok() && day.is_day && day.locator &&
      (archived ||
       access(DayFilePath(day.locator->options().data_dir, AddDays(arg, -1)).c_str(), F_OK) != 0)) {
    link = CheckLink(f, arg, day.locator.get(), &*report);
  }
  if (!report->ok()) {
    PrintProblems(shown, *report);
    return false;
  }
  std::printf("%s: ok, %lld rows, last hash %s%s%s%s\n", shown.c_str(),
              static_cast<long long>(report->rows), HexEncode(report->last_hash).c_str(),
              report->sealed ? ", sealed" : "", options.seal ? ", matches the seal" : "",
              link.c_str());
  return true;
}

}  // namespace

int RunVerifyCommand(const Args& args, Env* env) {
  Result<ParsedArgs> parsed = ParseArgs(args, {"--config", "--seal"}, {"--no-integrity-check"});
  if (!parsed.ok() || parsed->positional.empty()) {
    std::fprintf(
        stderr, "itslog verify: %s\nusage: itslog verify FILE|DAY... [--seal SEAL]\n",
        parsed.ok() ? "name a day file or a day (YYYY-MM-DD)" : parsed.status().message().c_str());
    return kExitUsage;
  }
  VerifyOptions options;
  options.integrity_check = !parsed->Has("--no-integrity-check");
  if (std::optional<std::string> seal_path = parsed->Get("--seal")) {
    if (parsed->positional.size() != 1) {
      std::fprintf(stderr, "itslog verify: --seal goes with exactly one file\n");
      return kExitUsage;
    }
    std::ifstream in(*seal_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      std::fprintf(stderr, "itslog verify: cannot read the seal %s\n", seal_path->c_str());
      return kExitUsage;
    }
    Result<Seal> seal = ParseSeal(text.str());
    if (!seal.ok()) {
      std::fprintf(stderr, "itslog verify: %s: %s\n", seal_path->c_str(),
                   seal.status().message().c_str());
      return kExitUsage;
    }
    options.seal = *seal;
  }
  int exit_code = kExitOk;
  for (const std::string& arg : parsed->positional) {
    int resolve_code = kExitOk;
    std::optional<DayArgFiles> day = ResolveDayFiles(arg, *parsed, env, "verify", &resolve_code);
    if (!day) {
      if (resolve_code == kExitUsage) {
        return kExitUsage;
      }
      std::printf("%s: FAILED: see above\n", arg.c_str());
      exit_code = kExitFailure;
      continue;
    }
    for (const HostDayFile& f : day->files) {
      if (!VerifyOne(f, *day, arg, options)) {
        exit_code = kExitFailure;
      }
    }
  }
  std::fflush(stdout);
  return exit_code;
}

}  // namespace itslog
