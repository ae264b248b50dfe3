// Side-by-side views: ground truth | prediction, and the error view of a PQ matching (true
// positives, false positives, false negatives, crowd and void regions in distinct colours).
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "segx/viz/overlay.hpp"

namespace segx::viz {

// Two overlays of one image, titled "ground truth" and "prediction", with one legend for both.
cv::Mat3b render_compare(const cv::Mat3b& image, const Annotation& gt, const Annotation& pred,
                         const CategoryTable& categories, const OverlayStyle& style,
                         const std::string& what = "image");

struct PqMatch {
  std::uint32_t gt_id = 0, pred_id = 0;
  double iou = 0;
};

// The outcome of PQ matching for one image, by segment id (eval's per-image matching brings it).
struct ErrorMatching {
  std::vector<PqMatch> matches;                // true positives (IoU > 0.5, same category)
  std::vector<std::uint32_t> false_negatives;  // ground-truth ids left unmatched
  std::vector<std::uint32_t> false_positives;  // predicted ids left unmatched
  std::vector<std::uint32_t> crowd;            // ground-truth crowd regions
  std::vector<std::uint32_t> ignored;          // predicted ids not counted (mostly void or crowd)
};

// Status colours (Okabe-Ito, told apart with common colour-vision deficiencies too).
inline constexpr Rgb kTruePositive{0, 158, 115};
inline constexpr Rgb kFalsePositive{213, 94, 0};
inline constexpr Rgb kFalseNegative{240, 228, 66};
inline constexpr Rgb kCrowd{204, 121, 167};
inline constexpr Rgb kVoid{150, 150, 150};

// Left: ground truth coloured TP / FN / crowd / void; right: prediction coloured TP / FP / ignored.
// Labels carry the class and, for true positives, the IoU. Ids in `matching` must exist.
cv::Mat3b render_errors(const cv::Mat3b& image, const Annotation& gt, const Annotation& pred,
                        const CategoryTable& categories, const ErrorMatching& matching,
                        const OverlayStyle& style, const std::string& what = "image");

}  // namespace segx::viz
