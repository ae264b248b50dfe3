// Progress reporting on stderr: a redrawn bar on a terminal, otherwise a plain line every few
// seconds so that logs of CI jobs and batch schedulers stay readable. Thread-safe.
#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace segx {

class Progress {
 public:
  Progress(std::string label, std::size_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::size_t n = 1);
  // Prints the final state (once); called by the destructor too.
  void finish();

  // Globally disables progress output (-q, tests).
  static void set_enabled(bool enabled);

 private:
  void render(std::size_t done, bool final_line);

  std::string label_;
  std::size_t total_;
  std::atomic<std::size_t> done_{0};
  std::chrono::steady_clock::time_point start_, last_render_;
  std::mutex mutex_;
  bool terminal_ = false;
  bool finished_ = false;
  bool printed_ = false;
};

}  // namespace segx
