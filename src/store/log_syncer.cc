#include "store/log_syncer.h"

namespace itslog {

LogSyncer::LogSyncer(Env* env) : env_(env), thread_([this] { Loop(); }) {}

LogSyncer::~LogSyncer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LogSyncer::Request(const std::string& log_path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) {
      return;
    }
    pending_ = true;
    path_ = log_path;
  }
  cv_.notify_all();
}

void LogSyncer::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return stop_ || (!pending_ && !running_); });
}

LogSyncer::Stats LogSyncer::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void LogSyncer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || pending_; });
    if (stop_) {
      return;
    }
    pending_ = false;
    running_ = true;
    std::string path = path_;
    lock.unlock();
    // Only makes durable what is written already: SQLite's own syncs stay as they are.
    Status s = env_->SyncFile(path);
    lock.lock();
    ++(s.ok() ? stats_.syncs : stats_.failures);
    running_ = false;
    cv_.notify_all();
  }
}

}  // namespace itslog
