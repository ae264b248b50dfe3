// Panoptic id maps from per-segment COCO RLE masks, as runs: the segments' foreground intervals
// are sorted and laid end to end (gaps are VOID), so no pixel is ever expanded.
#include <algorithm>

#include "segx/core/error.hpp"
#include "segx/mask/rle.hpp"
#include "segx/metrics/panoptic_eval.hpp"

namespace segx::metrics {

namespace {
struct Interval {
  std::uint64_t start;
  std::uint32_t length;
  std::uint32_t id;
};
}  // namespace

IdRuns runs_from_rles(const PanopticLabels& labels) {
  const auto h = std::uint32_t(labels.height), w = std::uint32_t(labels.width);
  const std::uint64_t total = std::uint64_t(h) * w;
  std::vector<Interval> intervals;
  for (const auto& seg : labels.rles) {
    const mask::Rle rle = mask::from_string(seg.counts, h, w);
    if (!mask::covers_image(rle))
      fail(ErrorKind::DataError, "'{}': the RLE of segment {} does not cover {}x{} pixels",
           labels.listed_in, seg.segment_id, w, h);
    std::uint64_t pos = 0;
    for (std::size_t i = 0; i < rle.counts.size(); ++i) {
      if (i % 2 == 1 && rle.counts[i] > 0) intervals.push_back({pos, rle.counts[i], seg.segment_id});
      pos += rle.counts[i];
    }
  }
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) { return a.start < b.start; });
  IdRuns runs;
  std::uint64_t pos = 0;
  for (const auto& iv : intervals) {
    if (iv.start < pos)
      fail(ErrorKind::DataError, "'{}': segment {} overlaps another segment at pixel {}",
           labels.listed_in, iv.id, iv.start);
    if (iv.start > pos) {
      runs.ids.push_back(kPanopticVoid);
      runs.lengths.push_back(std::uint32_t(iv.start - pos));
    }
    runs.ids.push_back(iv.id);
    runs.lengths.push_back(iv.length);
    pos = iv.start + iv.length;
  }
  if (pos < total) {
    runs.ids.push_back(kPanopticVoid);
    runs.lengths.push_back(std::uint32_t(total - pos));
  }
  return runs;
}

}  // namespace segx::metrics
