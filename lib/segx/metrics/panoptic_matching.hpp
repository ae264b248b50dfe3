// The per-image PQ matching itself: which GT and predicted segments are true positives (with their
// partner and IoU), false negatives, false positives, crowd regions, or predictions not counted
// because they lie mostly on void or same-class crowd. evaluate_panoptic_image() counts this
// outcome, so PQ and the error pictures of `segx visualize errors` come from one code path.
#pragma once
#include <cstdint>
#include <vector>

#include "segx/metrics/panoptic_quality.hpp"

namespace segx::metrics {

enum class MatchStatus {
  TruePositive,   // same category, non-crowd GT, IoU > 0.5
  FalseNegative,  // an unmatched non-crowd GT segment
  FalsePositive,  // an unmatched prediction that counts
  Crowd,          // a GT crowd region (never matched, never counted)
  Ignored,        // an unmatched prediction lying more than half on void + same-category crowd
};

const char* to_string(MatchStatus status);

struct SegmentOutcome {
  std::uint32_t id = 0;
  std::int64_t category_id = 0;
  MatchStatus status = MatchStatus::FalseNegative;
  std::uint32_t partner = 0;  // TruePositive: the matched segment on the other side
  double iou = 0;             // TruePositive: the IoU of the match
};

// Outcomes in the order of the segment lists given to match_panoptic_image().
struct PanopticMatching {
  std::vector<SegmentOutcome> gt, pred;
};

// Applies panopticapi's pq_compute_single_core rules to one image (the checks and errors are
// those documented at evaluate_panoptic_image()).
PanopticMatching match_panoptic_image(const std::vector<PanopticSegment>& gt,
                                      const std::vector<PanopticSegment>& pred,
                                      const PanopticOverlap& overlap,
                                      const PanopticCategories& categories,
                                      const PanopticImageContext& context);

// Per-category TP/FP/FN counts and IoU sums of a matching.
PqStats count_matching(const PanopticMatching& matching);

}  // namespace segx::metrics
