// One pass over a label map; runs of one id are handled together so that the hash lookup happens
// once per run, not once per pixel.
#include "segx/dataset/segment_stats.hpp"

#include <algorithm>

namespace segx::dataset {

std::unordered_map<uint32_t, SegmentStats> segment_stats(const uint32_t* ids, int width, int height,
                                                         uint32_t skip) {
  std::unordered_map<uint32_t, SegmentStats> out;
  for (int y = 0; y < height; ++y) {
    const uint32_t* row = ids + std::size_t(y) * width;
    int x = 0;
    while (x < width) {
      uint32_t id = row[x];
      int end = x + 1;
      while (end < width && row[end] == id) ++end;
      if (id != skip) {
        auto [it, fresh] = out.try_emplace(id);
        SegmentStats& s = it->second;
        if (fresh) s.x0 = x, s.y0 = y, s.x1 = end - 1, s.y1 = y;
        s.area += end - x;
        s.x0 = std::min(s.x0, x), s.x1 = std::max(s.x1, end - 1);
        s.y1 = y;  // rows come in order
      }
      x = end;
    }
  }
  return out;
}

}  // namespace segx::dataset
