// SHA-256 through OpenSSL's EVP interface, streamed in 1 MiB blocks.
#include "segx/io/digest.hpp"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "segx/core/error.hpp"

namespace segx::io {

namespace {

struct MdContextFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
      fail(ErrorKind::Internal, "cannot initialise SHA-256 (OpenSSL)");
  }
  void update(const void* data, std::size_t n) {
    if (EVP_DigestUpdate(ctx_.get(), data, n) != 1)
      fail(ErrorKind::Internal, "SHA-256 update failed (OpenSSL)");
  }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1)
      fail(ErrorKind::Internal, "SHA-256 final failed (OpenSSL)");
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
      out.push_back(digits[md[i] >> 4]);
      out.push_back(digits[md[i] & 15]);
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, MdContextFree> ctx_;
};

}  // namespace

FileDigest sha256_file(const std::string& path) {
  std::unique_ptr<std::FILE, FileClose> f(std::fopen(path.c_str(), "rb"));
  if (!f) fail(ErrorKind::NoInput, "cannot open '{}': {}", path, std::strerror(errno));
  Sha256 sha;
  FileDigest d;
  std::vector<unsigned char> block(std::size_t(1) << 20);
  for (;;) {
    const std::size_t n = std::fread(block.data(), 1, block.size(), f.get());
    sha.update(block.data(), n);
    d.bytes += n;
    if (n < block.size()) break;
  }
  if (std::ferror(f.get()))
    fail(ErrorKind::IoError, "cannot read '{}': {}", path, std::strerror(errno));
  d.sha256 = sha.hex();
  return d;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  return sha.hex();
}

}  // namespace segx::io
