// itslog fcgi: the worker. Picks how it was started (systemd socket activation, --listen,
// plain CGI, or a listening socket on fd 0 from spawn-fcgi or lighttpd), then serves requests.
#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <memory>

#include "cli/cli.h"
#include "cli/commands.h"
#include "http/api.h"
#include "http/fcgi_adapter.h"
#include "s3store/bucket_uniques.h"
#include "s3store/s3_event_store.h"
#include "store/day_store.h"
#include "store/group_commit.h"

namespace itslog {

namespace {

// Request threads per worker process: enough that a few slow clients don't stall the worker
// and that concurrent requests can share a commit.
constexpr int kDefaultThreads = 4;

// stderr is worth writing to unless it is closed or /dev/null (spawn-fcgi's choice).
bool StderrIsUseful() {
  struct stat st;
  if (fstat(STDERR_FILENO, &st) != 0) {
    return false;
  }
  bool dev_null = S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
  return !dev_null;
}

std::optional<int> ParsePositive(const std::optional<std::string>& text, int fallback) {
  if (!text) {
    return fallback;
  }
  int n = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || ptr != text->data() + text->size() || n < 1 || n > 256) {
    return std::nullopt;
  }
  return n;
}

// The listening socket systemd passed (LISTEN_FDS/LISTEN_PID), if any.
std::optional<int> SocketFromSystemd(Env* env) {
  std::optional<std::string> fds = env->GetVar("LISTEN_FDS");
  std::optional<std::string> pid = env->GetVar("LISTEN_PID");
  if (!fds || !pid || *pid != std::to_string(getpid()) || *fds == "0") {
    return std::nullopt;
  }
  return 3;  // SD_LISTEN_FDS_START
}

// Forks n children that serve on the inherited socket; restarts one that dies, stops them all
// on SIGTERM/SIGINT. Returns in each child (true) and, after shutdown, in the parent (false).
bool ForkWorkers(int n, Logger* log) {
  std::vector<pid_t> children;
  auto spawn = [&]() -> bool {
    pid_t pid = fork();
    if (pid == 0) {
      return true;
    }
    if (pid > 0) {
      children.push_back(pid);
    } else {
      log->Error("fork failed");
    }
    return false;
  };
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGCHLD);
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  for (int i = 0; i < n; ++i) {
    if (spawn()) {
      sigprocmask(SIG_UNBLOCK, &stop_signals, nullptr);
      return true;
    }
  }
  for (;;) {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (sig != SIGCHLD) {
      break;
    }
    int wstatus = 0;
    pid_t dead;
    while ((dead = waitpid(-1, &wstatus, WNOHANG)) > 0) {
      std::erase(children, dead);
      log->Warning("worker " + std::to_string(dead) + " exited; starting another");
      sleep(1);  // a worker that dies at once must not turn into a fork loop
      if (spawn()) {
        sigprocmask(SIG_UNBLOCK, &stop_signals, nullptr);
        return true;
      }
    }
  }
  for (pid_t pid : children) {
    kill(pid, SIGTERM);
  }
  for (pid_t pid : children) {
    waitpid(pid, nullptr, 0);
  }
  return false;
}

}  // namespace

int RunFcgiCommand(const Args& args, Env* env) {
  Result<ParsedArgs> parsed =
      ParseArgs(args, {"--config", "--listen", "--threads", "--workers"}, {});
  if (!parsed.ok()) {
    std::fprintf(stderr, "itslog fcgi: %s\n", parsed.status().message().c_str());
    return kExitUsage;
  }
  std::optional<int> threads = ParsePositive(parsed->Get("--threads"), kDefaultThreads);
  std::optional<int> workers = ParsePositive(parsed->Get("--workers"), 1);
  if (!threads || !workers) {
    std::fprintf(stderr, "itslog fcgi: --threads and --workers take a number from 1 to 256\n");
    return kExitUsage;
  }
  std::optional<Config> config = LoadConfigOrReport(*parsed, env);
  if (!config) {
    return kExitUsage;
  }
  std::unique_ptr<Logger> log;
  if (config->log == LogTarget::kStderr || (config->log == LogTarget::kAuto && StderrIsUseful())) {
    log = std::make_unique<StderrLogger>();
  } else {
    log = std::make_unique<SyslogLogger>();
  }
  Result<TimeZone> zone = TimeZone::Load(config->timezone);
  if (!zone.ok()) {
    std::fprintf(stderr, "itslog fcgi: %s\n", zone.status().message().c_str());
    return kExitUsage;
  }

  // Where requests come from, in the order DEPENDENCIES.md gives.
  bool cgi = false;
  int listen_fd = 0;
  if (std::optional<int> fd = SocketFromSystemd(env)) {
    listen_fd = *fd;
  } else if (std::optional<std::string> address = parsed->Get("--listen")) {
    Result<int> fd2 = OpenListenSocket(*address, 1024);
    if (!fd2.ok()) {
      std::fprintf(stderr, "itslog fcgi: %s\n", fd2.status().message().c_str());
      return kExitFailure;
    }
    listen_fd = *fd2;
  } else if (StartedAsCgi()) {
    cgi = true;
  }
  std::unique_ptr<S3EventStore> s3_store;  // storage: s3 writes one object per event instead
  if (config->storage == StorageKind::kS3) {
    Result<std::unique_ptr<S3EventStore>> created =
        S3EventStore::Create(env, log.get(),
                             S3StoreOptions{.s3 = config->s3,
                                            .zone = *zone,
                                            .max_event_names_per_app_per_day =
                                                config->limits.max_event_names_per_app_per_day});
    if (!created.ok()) {
      std::fprintf(stderr, "itslog fcgi: storage s3: %s\n", created.status().message().c_str());
      return kExitUsage;
    }
    s3_store = std::move(created).value();
  }
  if (!cgi && *workers > 1 && !ForkWorkers(*workers, log.get())) {
    return kExitOk;  // the supervising parent, after its children stopped
  }
  // Keep a worker's memory flat. glibc gives each request thread its own malloc arena, each
  // keeping its high-water mark; requests allocate little and briefly, so two arenas serve
  // them without contention. A fixed mmap threshold stops glibc from raising it after the
  // first large batch body, so large bodies keep going back to the system when freed. This
  // trades speed for memory: the page faults of fresh mappings cost batch ingest about a third
  // of its rate (docs/PERFORMANCE.md, "Worker memory").
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);

  StoreOptions store_options;
  store_options.data_dir = config->data_dir;
  store_options.zone = *zone;
  store_options.durability_full = config->durability == Durability::kFull;
  store_options.max_event_names_per_app_per_day = config->limits.max_event_names_per_app_per_day;
  store_options.lock_timeout_ms = static_cast<int>(config->lock_timeout_ms);
  store_options.host = config->host_id;
  // The checkpoint that every request thread waits for then finds the log synced already.
  store_options.sync_log_in_background = true;
  // unique_scope: bucket claims each day's first unique (app, event) in the bucket first.
  std::unique_ptr<BucketUniques> bucket_uniques;
  if (config->unique_scope == UniqueScope::kBucket && config->storage == StorageKind::kSqlite) {
    Result<std::unique_ptr<BucketUniques>> created = BucketUniques::Create(
        env, log.get(), BucketUniquesOptions{.s3 = config->s3, .host = store_options.host});
    if (!created.ok()) {
      std::fprintf(stderr, "itslog fcgi: unique_scope bucket: %s\n",
                   created.status().message().c_str());
      return kExitUsage;
    }
    bucket_uniques = std::move(created).value();
    store_options.unique_claim = [b = bucket_uniques.get()](const std::string& day,
                                                            const Event& event) {
      return b->Lookup(day, event);
    };
  }
  DayStore store(env, store_options);
  // Request threads share one transaction per group of concurrent requests.
  GroupCommitter committer(&store);

  ApiContext ctx;
  ctx.config = &*config;
  ctx.env = env;
  ctx.log = log.get();
  ctx.append = [&](std::span<const Event> events) { return committer.Append(events); };
  if (bucket_uniques != nullptr) {
    ctx.append = [&](std::span<const Event> events) {
      return bucket_uniques->Append(
          events, [&](std::span<const Event> again) { return committer.Append(again); });
    };
  }
  ctx.health = [&]() { return committer.CheckHealth(); };
  if (s3_store != nullptr) {
    ctx.append = [&](std::span<const Event> events) { return s3_store->Append(events); };
    ctx.health = [&]() { return s3_store->CheckHealth(); };
  }
  // Counters shared by every worker of this data_dir; serving goes on without them.
  Result<std::unique_ptr<Metrics>> metrics = Metrics::Open(config->data_dir);
  if (metrics.ok()) {
    ctx.metrics = metrics->get();
  } else {
    log->Warning("itslog fcgi: metrics are not counted: " + metrics.status().ToString());
  }
  // Keys made over HTTP: this process's view, reloaded when another process changes them.
  KeyRing keys(&*config, env, log.get());
  ctx.keys = &keys;
  Api api(ctx);
  HandlerFn handler = [&api](const Request& r) { return api.Handle(r); };

  ServeOptions serve;
  serve.threads = *threads;
  serve.max_body_bytes = config->limits.max_body_bytes;
  Status s = cgi ? ServeCgi(serve, handler) : ServeFastCgi(listen_fd, serve, handler, log.get());
  if (!s.ok()) {
    log->Error("itslog fcgi: " + s.ToString());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace itslog
