// segx::Error: the one exception type of the library, carrying a category that main() maps
// to a sysexits exit code. Only cli/main.cpp catches it.
#pragma once
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace segx {

// Categories follow sysexits.h so that scripts can branch on the exit code.
enum class ErrorKind {
  Negative = 1,       // a negative result: metric under --fail-under, lint findings
  Usage = 64,         // bad command line
  DataError = 65,     // input data is malformed
  NoInput = 66,       // an input file is missing or unreadable
  Unavailable = 69,   // a service/device is unavailable (e.g. CUDA asked for, absent)
  Internal = 70,      // a bug in segx
  CannotCreate = 73,  // an output cannot be created
  IoError = 74,       // read/write failure
  Config = 78,        // configuration, vocabulary or checkpoint mismatch
};

int exit_code(ErrorKind kind);
const char* to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// fail(kind, "cannot open '{}': {}", path, reason) formats and throws.
template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(kind, fmt::format(format, std::forward<Args>(args)...));
}

// The text of errno as strerror gives it, thread-safe.
std::string errno_text(int err);

}  // namespace segx
