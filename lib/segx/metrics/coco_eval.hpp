// COCO average precision and recall exactly as pycocotools COCOeval (evaluate, accumulate,
// summarize) for bbox and segm: per image and category greedy matching over 10 IoU thresholds and
// 4 area ranges, then precision at 101 recall points per category, area range and maxDets.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "segx/metrics/coco_data.hpp"

namespace segx::metrics {

enum class CocoIouType { Bbox, Segm };

struct CocoEvalParams {
  CocoIouType iou_type = CocoIouType::Segm;
  std::vector<int> max_dets{1, 10, 100};  // sorted ascending before use, as COCOeval does
  int threads = 0;
};

// np.linspace(.5, .95, 10) and np.linspace(0, 1, 101), bit for bit as numpy computes them.
std::vector<double> coco_iou_thresholds();
std::vector<double> coco_recall_thresholds();

struct CocoAreaRange {
  const char* label;
  double lo, hi;
};
// all, small, medium, large on the ground truth's stored area.
const std::array<CocoAreaRange, 4>& coco_area_ranges();

// COCOeval.eval: arrays in numpy's C order.
struct CocoEvalResult {
  std::vector<double> iou_thresholds;     // T
  std::vector<double> recall_thresholds;  // R
  std::vector<int> max_dets;              // M (sorted)
  size_t T = 0, R = 0, K = 0, A = 0, M = 0;
  std::vector<double> precision;  // [T][R][K][A][M], -1 where a category has no ground truth
  std::vector<double> recall;     // [T][K][A][M]
  std::vector<double> scores;     // [T][R][K][A][M]

  double& precision_at(size_t t, size_t r, size_t k, size_t a, size_t m) {
    return precision[(((t * R + r) * K + k) * A + a) * M + m];
  }
  double precision_at(size_t t, size_t r, size_t k, size_t a, size_t m) const {
    return precision[(((t * R + r) * K + k) * A + a) * M + m];
  }
  double recall_at(size_t t, size_t k, size_t a, size_t m) const {
    return recall[((t * K + k) * A + a) * M + m];
  }
};

// evaluate() + accumulate().
CocoEvalResult coco_evaluate(const CocoGroundTruth& gt, const CocoResults& dt,
                             const CocoEvalParams& params);

// One line of summarize(): its parameters and value (-1 when nothing qualifies).
struct CocoStat {
  bool ap;           // Average Precision, else Average Recall
  double iou;        // 0 for the 0.50:0.95 mean
  std::string area;  // all / small / medium / large
  int max_dets;
  double value;
};

// The 12 stats of summarize() ("_summarizeDets"). pycocotools takes the first AP at a literal
// maxDets=100; segx uses the largest maxDets there, which is the same for the default 1,10,100
// and keeps the AP line meaningful with other limits.
std::vector<CocoStat> coco_summarize(const CocoEvalResult& r);

// pycocotools' printed line for a stat, e.g.
// " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.350"
std::string format_stat(const CocoStat& s);

// AP per category (precision over all IoU thresholds and recall points, area all, largest
// maxDets), -1 for a category without ground truth: the per-class table of detectron2.
std::vector<double> coco_per_category_ap(const CocoEvalResult& r);

// np.mean over a flat list, with numpy's pairwise summation (so results match bit for bit).
double numpy_mean(const std::vector<double>& v);

}  // namespace segx::metrics
