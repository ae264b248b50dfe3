// Deprecation warnings: queued while the command line is parsed, printed once the log is set up.
#include "deprecated.hpp"

#include <vector>

#include "segx/core/error.hpp"
#include "segx/core/log.hpp"

namespace segx::cli {
namespace {

struct Pending {
  std::vector<std::string> lines;
  bool flushed = false;
};

Pending& pending() {
  static Pending p;
  return p;
}

}  // namespace

void warn_deprecated(const std::string& old_spelling, const std::string& new_spelling) {
  std::string line = fmt::format("{} is deprecated, use {}; it will be removed in {}", old_spelling,
                                 new_spelling, kDeprecationRemovedIn);
  Pending& p = pending();
  if (!p.flushed) {
    for (const auto& l : p.lines)
      if (l == line) return;  // a repeated option warns once
    p.lines.push_back(std::move(line));
    return;
  }
  log::warn("{}", line);
}

void refuse_option(const std::string& option, const std::string& reason) {
  fail(ErrorKind::Usage, "{}: {}", option, reason);
}

void flush_deprecation_warnings() {
  Pending& p = pending();
  p.flushed = true;
  for (const auto& line : p.lines) log::warn("{}", line);
  p.lines.clear();
}

CLI::Validator deprecated_value(const std::string& option, const std::string& old_value,
                                const std::string& new_value) {
  return CLI::Validator(
      [option, old_value, new_value](std::string& value) {
        if (value == old_value) {
          warn_deprecated(option + " " + old_value, option + " " + new_value);
          value = new_value;
        }
        return std::string();
      },
      "");
}

}  // namespace segx::cli
