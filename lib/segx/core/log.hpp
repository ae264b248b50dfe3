// Logging to stderr with a process-wide verbosity (-v/-q). stdout stays reserved for data.
// An application that links segx as a library can take the messages instead (set_sink).
#pragma once
#include <fmt/format.h>

#include <functional>
#include <string>

namespace segx::log {

enum class Level { Quiet = 0, Warn = 1, Info = 2, Debug = 3 };

void set_level(Level level);
Level level();
// The program name printed before each message ("segx eval").
void set_prefix(const std::string& prefix);
const std::string& prefix();

void write(Level level, const std::string& message);

// Where messages go instead of stderr: the sink receives each message (without the prefix) and
// its level; progress is reported to it as Info lines, never as a redrawn bar. An empty sink
// restores stderr. Process-wide: set it before starting threads that use segx; the sink may be
// called from any thread, one call at a time.
using Sink = std::function<void(Level level, const std::string& message)>;
void set_sink(Sink sink);
bool has_sink();

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
