// Resource limits (see limits.hpp).
#include "segx/core/limits.hpp"

#include <cerrno>
#include <cstdlib>

#include "segx/core/error.hpp"

namespace segx {
namespace {

ResourceLimits& current() {
  static ResourceLimits limits = resource_limits_from_environment();
  return limits;
}

std::uint64_t positive_from_environment(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || v == 0 || text[0] == '-')
    fail(ErrorKind::Usage, "{}='{}': expected a positive integer", name, text);
  return v;
}

const char* kHowToRaise = "raise it with --max-pixels or SEGX_MAX_PIXELS if the file is genuine";

}  // namespace

const ResourceLimits& resource_limits() {
  return current();
}

void set_resource_limits(const ResourceLimits& limits) {
  current() = limits;
}

ResourceLimits resource_limits_from_environment() {
  ResourceLimits l;
  l.max_pixels = positive_from_environment("SEGX_MAX_PIXELS", l.max_pixels);
  l.max_json_bytes = positive_from_environment("SEGX_MAX_JSON_BYTES", l.max_json_bytes);
  return l;
}

void check_pixels(std::uint64_t width, std::uint64_t height, const std::string& source,
                  const char* what) {
  const auto limit = current().max_pixels;
  // width and height are below 2^32 wherever they come from, so the product fits.
  if (width > 0 && height > limit / width)
    fail(ErrorKind::DataError, "{}: {} of {}x{} = {} pixels is over the limit of {} pixels ({})",
         source, what, width, height, width * height, limit, kHowToRaise);
}

void check_json_bytes(std::uint64_t bytes, const std::string& source) {
  const auto limit = current().max_json_bytes;
  if (bytes > limit)
    fail(ErrorKind::DataError,
         "{}: {} bytes of JSON is over the limit of {} bytes (raise it with --max-json-bytes or "
         "SEGX_MAX_JSON_BYTES if the file is genuine)",
         source, bytes, limit);
}

}  // namespace segx
