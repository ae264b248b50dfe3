// SHA-256 digests of files and byte strings (OpenSSL libcrypto), as `sha256sum` prints them, so
// that a report names exactly the inputs it was computed from.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace segx::io {

struct FileDigest {
  std::string sha256;  // 64 lowercase hex digits
  std::uint64_t bytes = 0;
};

// Streams the file through SHA-256 in fixed-size blocks (memory does not grow with the file).
// Error(NoInput) when it cannot be opened, Error(IoError) when reading fails.
FileDigest sha256_file(const std::string& path);

// SHA-256 of bytes in memory, as lowercase hex.
std::string sha256_hex(std::string_view bytes);

}  // namespace segx::io
