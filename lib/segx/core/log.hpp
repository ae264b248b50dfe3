// Logging to stderr with a process-wide verbosity (-v/-q). stdout stays reserved for data.
#pragma once
#include <fmt/format.h>

#include <string>

namespace segx::log {

enum class Level { Quiet = 0, Warn = 1, Info = 2, Debug = 3 };

void set_level(Level level);
Level level();
// The program name printed before each message ("segx eval").
void set_prefix(const std::string& prefix);
const std::string& prefix();

void write(Level level, const std::string& message);

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::Info) write(Level::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::Warn) write(Level::Warn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::Debug) write(Level::Debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace segx::log
