#include "s3/s3_client_pool.h"

namespace itslog {

Result<std::unique_ptr<S3Client>> S3ClientPool::Take() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<S3Client> c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  S3ClientOptions options;
  options.log = log_;
  return S3Client::Create(config_, std::move(options));
}

void S3ClientPool::Return(std::unique_ptr<S3Client> client) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(client));
}

}  // namespace itslog
