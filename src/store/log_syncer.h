// LogSyncer: flushes a day file's write-ahead log to disk on a thread of its own, ahead of the
// checkpoint. A checkpoint must sync the log before it copies it into the file, and with
// durability "normal" nothing else does; that sync was most of the time every writer waited
// while one of them checkpointed (docs/PERFORMANCE.md, "The checkpoint, and the log sync
// ahead of it").
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "core/env.h"

namespace itslog {

class LogSyncer {
 public:
  struct Stats {
    int64_t syncs = 0;     // the log was synced
    int64_t failures = 0;  // it could not be (missing: the day was closed and its log removed)
  };

  // env must outlive this object. Starts the thread, so that a request (made inside a commit)
  // never has to.
  explicit LogSyncer(Env* env);
  // Finishes a sync in progress, then stops the thread.
  ~LogSyncer();
  LogSyncer(const LogSyncer&) = delete;
  LogSyncer& operator=(const LogSyncer&) = delete;

  // Asks for log_path to be synced. Returns at once; requests made while one waits are merged
  // into it (the latest path wins). Thread-safe.
  void Request(const std::string& log_path);

  // Blocks until no request is waiting or running. For tests.
  void WaitIdle();
  Stats stats();

 private:
  void Loop();

  Env* env_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool running_ = false;
  bool stop_ = false;
  std::string path_;
  Stats stats_;
  std::thread thread_;  // last: starts once everything it reads is initialised
};

}  // namespace itslog
