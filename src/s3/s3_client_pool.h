// S3ClientPool: S3 clients for request threads. An S3Client serves one thread at a time and
// keeps its connection open; a thread borrows one for its requests and gives it back, so the
// pool grows to the number of threads that talk to S3 at once.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "s3/s3_client.h"

namespace itslog {

class S3ClientPool {
 public:
  // log receives each failed attempt the clients retry (S3ClientOptions::log).
  S3ClientPool(S3Config config, std::function<void(std::string_view)> log)
      : config_(std::move(config)), log_(std::move(log)) {}

  // An idle client, or a new one (fails as S3Client::Create). Thread-safe.
  Result<std::unique_ptr<S3Client>> Take();
  // Gives a client back for the next Take. Thread-safe.
  void Return(std::unique_ptr<S3Client> client);

 private:
  S3Config config_;
  std::function<void(std::string_view)> log_;
  std::mutex mu_;
  std::vector<std::unique_ptr<S3Client>> idle_;
};

}  // namespace itslog
