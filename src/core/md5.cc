#include "core/md5.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace itslog {

struct Md5::Impl {
  EVP_MD* md = nullptr;
  EVP_MD_CTX* ctx = nullptr;
};

Md5::Md5() : impl_(std::make_unique<Impl>()) {
  impl_->md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->md == nullptr || impl_->ctx == nullptr) {
    std::abort();  // OpenSSL without MD5 (a FIPS-only build) or out of memory
  }
  Reset();
}

Md5::~Md5() {
  EVP_MD_CTX_free(impl_->ctx);
  EVP_MD_free(impl_->md);
}

void Md5::Reset() {
  EVP_DigestInit_ex2(impl_->ctx, impl_->md, nullptr);
}

void Md5::Update(const void* data, size_t size) {
  EVP_DigestUpdate(impl_->ctx, data, size);
}

Md5Digest Md5::Finish() {
  Md5Digest d;
  unsigned int n = 0;
  EVP_DigestFinal_ex(impl_->ctx, d.data(), &n);
  return d;
}

Md5Digest Md5Of(std::string_view data) {
  Md5 h;
  h.Update(data);
  return h.Finish();
}

}  // namespace itslog
