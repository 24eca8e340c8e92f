// FakeEnv: a clock that moves only when a test says so, over the real filesystem and locks.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/time_util.h"

namespace itslog {

class FakeEnv : public PosixEnv {
 public:
  // iso: e.g. "2025-03-01T23:59:59.999999Z".
  explicit FakeEnv(const std::string& iso) : now_(*ParseIso8601Micros(iso)) {}

  int64_t NowMicros() override { return now_.load(); }
  int64_t MonotonicMicros() override { return now_.load(); }
  std::optional<std::string> GetVar(const std::string& name) override {
    auto it = vars_.find(name);
    return it == vars_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }

  // Records the path (from any thread), then syncs for real.
  Status SyncFile(const std::string& path) override {
    {
      std::lock_guard<std::mutex> lock(synced_mu_);
      synced_.push_back(path);
    }
    return PosixEnv::SyncFile(path);
  }
  std::vector<std::string> synced() {
    std::lock_guard<std::mutex> lock(synced_mu_);
    return synced_;
  }

  void Advance(std::chrono::microseconds d) { now_ += d.count(); }
  void SetNow(const std::string& iso) { now_ = *ParseIso8601Micros(iso); }
  void SetVar(const std::string& name, const std::string& value) { vars_[name] = value; }

 private:
  std::atomic<int64_t> now_;
  std::map<std::string, std::string> vars_;
  std::mutex synced_mu_;
  std::vector<std::string> synced_;
};

}  // namespace itslog
