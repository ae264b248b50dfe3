// Resource limits on what an input may declare, checked before the memory is allocated: the
// pixels of an image or mask (a PNG header, an RLE's size, a polygon's image) and the bytes of a
// JSON file or manifest line. One setting for every command: the global options --max-pixels and
// --max-json-bytes, else the environment variables SEGX_MAX_PIXELS and SEGX_MAX_JSON_BYTES, else
// the defaults, far above real datasets (COCO's largest image has 0.4 M pixels; Objects365's
// training JSON is a few GB). A file over a limit is bad data: Error(DataError), exit 65.
#pragma once
#include <cstdint>
#include <string>

namespace segx {

struct ResourceLimits {
  std::uint64_t max_pixels = std::uint64_t{1} << 28;       // 268 M pixels (16384 x 16384)
  std::uint64_t max_json_bytes = std::uint64_t{16} << 30;  // 16 GiB
};

// The limits in force (process-wide; set them before starting threads).
const ResourceLimits& resource_limits();
void set_resource_limits(const ResourceLimits& limits);
// The defaults overridden by SEGX_MAX_PIXELS / SEGX_MAX_JSON_BYTES where set; Error(Usage)
// naming the variable for a value that is not a positive integer.
ResourceLimits resource_limits_from_environment();

// Error(DataError) "<source>: <what> of WxH = N pixels is over the limit of M pixels (...)" when
// width * height exceeds max_pixels; `source` names the file (and record) it came from.
void check_pixels(std::uint64_t width, std::uint64_t height, const std::string& source,
                  const char* what = "image");
// Error(DataError) when `bytes` exceeds max_json_bytes.
void check_json_bytes(std::uint64_t bytes, const std::string& source);

}  // namespace segx
