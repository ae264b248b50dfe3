// Pixel area and tight bounding box of every id in a label map, in one pass.
#pragma once
#include <array>
#include <cstdint>
#include <unordered_map>

namespace segx::dataset {

struct SegmentStats {
  int64_t area = 0;
  int x0 = 0, y0 = 0, x1 = -1, y1 = -1;  // inclusive
  // [x, y, width, height] as panopticapi and cityscapesScripts compute it.
  std::array<int64_t, 4> bbox() const { return {x0, y0, x1 - x0 + 1, y1 - y0 + 1}; }
};

// Stats of every id except `skip` (0 = void by default).
std::unordered_map<uint32_t, SegmentStats> segment_stats(const uint32_t* ids, int width, int height,
                                                         uint32_t skip = 0);

}  // namespace segx::dataset
