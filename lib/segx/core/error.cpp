// Exit-code mapping and helpers for segx::Error.
#include "segx/core/error.hpp"

#include <cstring>

namespace segx {

int exit_code(ErrorKind kind) { return static_cast<int>(kind); }

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Negative: return "negative result";
    case ErrorKind::Usage: return "usage error";
    case ErrorKind::DataError: return "data error";
    case ErrorKind::NoInput: return "missing input";
    case ErrorKind::Unavailable: return "unavailable";
    case ErrorKind::Internal: return "internal error";
    case ErrorKind::CannotCreate: return "cannot create output";
    case ErrorKind::IoError: return "I/O error";
    case ErrorKind::Config: return "configuration mismatch";
  }
  return "error";
}

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r may return a static string instead of filling buf.
  const char* text = strerror_r(err, buf, sizeof buf);
  return text ? text : "unknown error";
}

}  // namespace segx
