// stderr logger (or an application's sink) shared by every module; one mutex so lines from
// worker threads do not interleave.
#include "segx/core/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace segx::log {
namespace {
std::atomic<Level> g_level{Level::Info};
std::string g_prefix = "segx";
std::mutex g_mutex;
Sink g_sink;  // guarded by g_mutex
}  // namespace

void set_level(Level level) {
  g_level = level;
}
Level level() {
  return g_level;
}
void set_prefix(const std::string& prefix) {
  g_prefix = prefix;
}
const std::string& prefix() {
  return g_prefix;
}

void set_sink(Sink sink) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_sink = std::move(sink);
}

bool has_sink() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return static_cast<bool>(g_sink);
}

void write(Level level, const std::string& message) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_sink) {
    g_sink(level, message);
    return;
  }
  const char* tag = level == Level::Warn ? "warning: " : "";
  std::fprintf(stderr, "%s: %s%s\n", g_prefix.c_str(), tag, message.c_str());
  std::fflush(stderr);
}

}  // namespace segx::log
