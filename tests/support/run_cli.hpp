// Runs the real segx binary for CLI tests: arguments, optional stdin, captured output and exit code.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace segx::test {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `segx args...` with `input` on stdin (empty: /dev/null) in `cwd` (empty: current dir).
CliResult run_segx(const std::vector<std::string>& args, const std::string& input = {},
                   const std::filesystem::path& cwd = {});

std::filesystem::path segx_binary();

// Whether `text` (a command's stdout or stderr) contains `part`.
inline bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace segx::test
