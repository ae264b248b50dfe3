// Progress bar / periodic progress lines on stderr.
#include "segx/core/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "segx/core/log.hpp"

namespace segx {
namespace {
std::atomic<bool> g_enabled{true};
constexpr auto kTerminalInterval = std::chrono::milliseconds(100);
constexpr auto kLogInterval = std::chrono::seconds(5);
}  // namespace

void Progress::set_enabled(bool enabled) {
  g_enabled = enabled;
}

Progress::Progress(std::string label, std::size_t total)
    : label_(std::move(label)), total_(total), start_(std::chrono::steady_clock::now()) {
  last_render_ = start_;
  terminal_ = isatty(STDERR_FILENO) != 0;
}

Progress::~Progress() {
  finish();
}

void Progress::advance(std::size_t n) {
  std::size_t done = done_.fetch_add(n) + n;
  if (!g_enabled || log::level() < log::Level::Info) return;
  auto now = std::chrono::steady_clock::now();
  auto interval =
      terminal_ ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(kTerminalInterval)
                : std::chrono::duration_cast<std::chrono::steady_clock::duration>(kLogInterval);
  if (now - last_render_ < interval) return;
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  last_render_ = now;
  render(done, false);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  // Only close a bar that was drawn; short tasks print nothing at all.
  if (printed_ && g_enabled && log::level() >= log::Level::Info) render(done_.load(), true);
}

void Progress::render(std::size_t done, bool final_line) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = secs > 0 ? done / secs : 0.0;
  double frac = total_ ? static_cast<double>(done) / total_ : 0.0;
  if (log::has_sink()) {  // an application's sink takes plain lines
    log::write(log::Level::Info, fmt::format("{} {}/{} ({:.0f}%, {:.1f}/s, {:.1f}s)", label_, done,
                                             total_, 100.0 * frac, rate, secs));
    printed_ = true;
    return;
  }
  if (terminal_) {
    constexpr int kWidth = 30;
    int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s: %s [%s] %zu/%zu %.1f/s%s", log::prefix().c_str(), label_.c_str(),
                 bar.c_str(), done, total_, rate, final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s: %s %zu/%zu (%.0f%%, %.1f/s, %.1fs)\n", log::prefix().c_str(),
                 label_.c_str(), done, total_, 100.0 * frac, rate, secs);
  }
  std::fflush(stderr);
  printed_ = true;
}

}  // namespace segx
