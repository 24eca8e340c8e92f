// ReadApi: the read side of the HTTP API (docs/API.md, "Read API"): GET /v1/events,
// /v1/events/<day>/[<host>/]<seq>, /v1/counts, /v1/uniques, /v1/overview, /v1/tail, and GET
// /metrics. Needs the read scope (metrics: admin); a key sees only its apps. Day files are opened
// read-only per request and never block writers. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/env.h"
#include "core/log.h"
#include "core/time_util.h"
#include "http/request.h"
#include "http/router.h"

namespace itslog {

class DayFileSource;
class DaySet;
struct RowView;

struct ReadContext {
  const Config* config = nullptr;
  Env* env = nullptr;
  Logger* log = nullptr;
  // How /v1/tail waits between looks at the day file; empty: really sleep. Tests pass one
  // that moves a FakeEnv's clock.
  std::function<void(int64_t micros)> sleep;
  int64_t tail_poll_micros = 200000;
  // This host's host_id; empty: the configuration's (archive/archive_keys.h, HostIdOf).
  std::string host;
  // Which files make up a day (not owned; must outlive the ReadApi); null: the configuration's
  // DayLocator (archive/day_files.h): data_dir's file and, with S3, every host's shipped ones.
  DayFileSource* day_files = nullptr;
};

// Writes one chunk of a streamed body; false once the client has gone.
using ChunkWriter = std::function<bool(std::string_view chunk)>;

class ReadApi {
 public:
  explicit ReadApi(ReadContext context);
  ReadApi(const Config* config, Env* env, Logger* log) : ReadApi(Context(config, env, log)) {}
  ~ReadApi();

  // Answers route (a read route or kMetrics) for a request whose key is already
  // authenticated. Checks scope, apps and parameters; errors are the contract's responses.
  Response Handle(const Route& route, const Request& request, const ApiKey& key);

  // The key cursors are signed with: derived from the configuration (data_dir and the keys'
  // hashes), so that every worker of one installation accepts the others' cursors.
  static Digest CursorKeyFor(const Config& config);

  // Limits of the read API.
  static constexpr int64_t kDefaultLimit = 100;
  static constexpr int64_t kMaxLimit = 1000;
  static constexpr int64_t kMaxDays = 366;
  static constexpr int kTopEvents = 10;

 private:
  struct TailSpec;

  static ReadContext Context(const Config* config, Env* env, Logger* log) {
    ReadContext c;
    c.config = config;
    c.env = env;
    c.log = log;
    return c;
  }

  Response Events(const Request& request, const ApiKey& key);
  Response EventBySeq(const Route& route, const Request& request, const ApiKey& key);
  Response Counts(const Request& request, const ApiKey& key);
  Response Uniques(const Request& request, const ApiKey& key);
  Response Overview(const Request& request, const ApiKey& key);
  Response Tail(const Request& request, const ApiKey& key);
  Response MetricsPage(const Request& request);

  // Runs a tail: writes server-sent events until the time bound, the client leaving, or
  // (first_batch_only) the first write that carried events.
  void RunTail(const TailSpec& spec, const ChunkWriter& write, bool first_batch_only);

  std::string Today() const;
  void Sleep(int64_t micros);

  ReadContext ctx_;
  TimeZone zone_;
  Digest cursor_key_{};
  std::string host_;
  std::unique_ptr<DayFileSource> own_files_;  // when the context gives none
  std::unique_ptr<DaySet> days_;              // the queries over the days' files, and their cache
};

}  // namespace itslog
