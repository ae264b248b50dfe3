// What every fuzz target shares: quiet logs, small resource limits, and the one rule that a
// reader may refuse an input only with segx::Error (anything else escaping is a finding).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "segx/core/error.hpp"
#include "segx/core/limits.hpp"
#include "segx/core/log.hpp"

namespace segx::fuzz {

// Once per process: no warnings on stderr (libFuzzer's output stays readable) and limits far
// below the defaults, so that an input declaring a large but legal image is refused instead of
// allocated over libFuzzer's -rss_limit_mb (the limits themselves are tested in tests/unit).
inline void setup() {
  static const bool done = [] {
    log::set_level(log::Level::Quiet);
    ResourceLimits limits;
    limits.max_pixels = std::uint64_t{1} << 22;
    limits.max_json_bytes = std::uint64_t{1} << 24;
    set_resource_limits(limits);
    return true;
  }();
  (void)done;
}

// Runs `parse` on one input: segx::Error is a clean refusal; any other exception propagates to
// libFuzzer, which reports it as a crash (an uncaught exception is std::terminate in segx too).
template <typename Fn>
void run(Fn&& parse) {
  setup();
  try {
    parse();
  } catch (const segx::Error&) {
  }
}

inline std::string_view as_text(const uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Takes the first bytes of an input as small numbers (sizes, flags) and leaves the rest.
class Bytes {
 public:
  Bytes(const uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  unsigned take(unsigned modulo) {
    if (size_ == 0) return 0;
    const unsigned v = data_[0];
    ++data_;
    --size_;
    return modulo ? v % modulo : v;
  }
  std::string_view rest() const { return as_text(data_, size_); }
  const uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  const uint8_t* data_;
  std::size_t size_;
};

}  // namespace segx::fuzz
