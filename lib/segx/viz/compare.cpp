// Ground truth | prediction and PQ error views for segx::viz.
#include "segx/viz/compare.hpp"

#include <fmt/format.h>

#include <unordered_set>

#include "segx/core/error.hpp"
#include "segx/viz/legend.hpp"

namespace segx::viz {

namespace {

constexpr int kGap = 6;
// Void pixels of the ground truth get this id in the error view so that they can be drawn too;
// panoptic ids stay below 2^24.
constexpr std::uint32_t kVoidId = 0xFFFFFFFFu;

cv::Mat3b side_by_side(const cv::Mat3b& left, const cv::Mat3b& right) {
  cv::Mat3b out(std::max(left.rows, right.rows), left.cols + kGap + right.cols,
                to_bgr(kPanelBackground));
  left.copyTo(out(cv::Rect(0, 0, left.cols, left.rows)));
  right.copyTo(out(cv::Rect(left.cols + kGap, 0, right.cols, right.rows)));
  return out;
}

cv::Mat3b titled(const cv::Mat3b& picture, const std::string& title, const Font& font) {
  return stack_vertically({render_title(title, picture.cols, font), picture}, kPanelBackground);
}

struct Prepared {
  cv::Mat3b image;
  cv::Mat1i gt, pred;
  int outline = 1;
  Font font;
};

Prepared prepare(const cv::Mat3b& image, const Annotation& gt, const Annotation& pred,
                 const CategoryTable& categories, const OverlayStyle& style,
                 const std::string& what) {
  check_same_size(image, gt.ids, what + " (ground truth)");
  check_same_size(image, pred.ids, what + " (prediction)");
  check_annotation(gt, categories, what + " (ground truth)");
  check_annotation(pred, categories, what + " (prediction)");
  Prepared p;
  int factor = upscale_factor(image.size(), style.min_side);
  enlarge(image, gt.ids, factor, p.image, p.gt);
  cv::Mat3b unused;
  enlarge(image, pred.ids, factor, unused, p.pred);
  p.outline = style.outline == 0 ? auto_outline(p.image.size()) : style.outline;
  p.font = label_font(p.image.size());
  return p;
}

const Segment& find_segment(const Annotation& ann, std::uint32_t id, const std::string& what,
                            const char* side) {
  for (const Segment& s : ann.segments)
    if (s.id == id) return s;
  fail(ErrorKind::DataError,
       "cannot draw '{}': the matching names {} segment {}, which does not exist", what, side, id);
}

}  // namespace

cv::Mat3b render_compare(const cv::Mat3b& image, const Annotation& gt, const Annotation& pred,
                         const CategoryTable& categories, const OverlayStyle& style,
                         const std::string& what) {
  Prepared p = prepare(image, gt, pred, categories, style, what);
  cv::Mat3b left = draw_segments(p.image, p.gt, segment_looks(gt, categories, style), style.alpha,
                                 p.outline, style.labels);
  cv::Mat3b right = draw_segments(p.image, p.pred, segment_looks(pred, categories, style),
                                  style.alpha, p.outline, style.labels);
  cv::Mat3b both =
      side_by_side(titled(left, "ground truth", p.font), titled(right, "prediction", p.font));
  std::vector<cv::Mat3b> parts;
  if (!style.title.empty()) parts.push_back(render_title(style.title, both.cols, p.font));
  parts.push_back(both);
  if (style.legend)
    parts.push_back(render_legend(category_legend({&gt, &pred}, categories), both.cols, p.font));
  return stack_vertically(parts, kPanelBackground);
}

cv::Mat3b render_errors(const cv::Mat3b& image, const Annotation& gt, const Annotation& pred,
                        const CategoryTable& categories, const ErrorMatching& m,
                        const OverlayStyle& style, const std::string& what) {
  Prepared p = prepare(image, gt, pred, categories, style, what);
  auto look = [&](Rgb color, std::string label, bool hatched) {
    return SegmentLook{color, style.labels ? std::move(label) : std::string(), hatched,
                       lighten(color, -0.55)};
  };
  std::unordered_map<std::uint32_t, SegmentLook> gt_looks, pred_looks;
  for (const PqMatch& match : m.matches) {
    const Segment& g = find_segment(gt, match.gt_id, what, "ground-truth");
    find_segment(pred, match.pred_id, what, "predicted");
    std::string name = categories.name(g.category_id);
    gt_looks[match.gt_id] = look(kTruePositive, fmt::format("{} {:.2f}", name, match.iou), false);
    pred_looks[match.pred_id] =
        look(kTruePositive, fmt::format("{} {:.2f}", name, match.iou), false);
  }
  for (auto id : m.false_negatives)
    gt_looks[id] =
        look(kFalseNegative,
             categories.name(find_segment(gt, id, what, "ground-truth").category_id), false);
  for (auto id : m.crowd)
    gt_looks[id] = look(
        kCrowd,
        categories.name(find_segment(gt, id, what, "ground-truth").category_id) + " (crowd)", true);
  for (auto id : m.false_positives)
    pred_looks[id] =
        look(kFalsePositive, categories.name(find_segment(pred, id, what, "predicted").category_id),
             false);
  for (auto id : m.ignored) pred_looks[id] = look(kVoid, "", true);

  // Void on either side is drawn hatched: unlabelled GT, and pixels the prediction left empty
  // (otherwise they would show the bare photo, which reads as "no error here").
  cv::Mat1i gt_ids = p.gt.clone();
  gt_ids.setTo(static_cast<int>(kVoidId), p.gt == 0);
  gt_looks[kVoidId] = look(kVoid, "", true);
  cv::Mat1i pred_ids = p.pred.clone();
  pred_ids.setTo(static_cast<int>(kVoidId), p.pred == 0);
  pred_looks[kVoidId] = look(kVoid, "", true);

  cv::Mat3b left = draw_segments(p.image, gt_ids, gt_looks, style.alpha, p.outline, style.labels);
  cv::Mat3b right =
      draw_segments(p.image, pred_ids, pred_looks, style.alpha, p.outline, style.labels);
  std::string left_title =
      fmt::format("ground truth: {} TP, {} FN", m.matches.size(), m.false_negatives.size());
  std::string right_title =
      fmt::format("prediction: {} TP, {} FP", m.matches.size(), m.false_positives.size());
  cv::Mat3b both =
      side_by_side(titled(left, left_title, p.font), titled(right, right_title, p.font));
  std::vector<cv::Mat3b> parts;
  if (!style.title.empty()) parts.push_back(render_title(style.title, both.cols, p.font));
  parts.push_back(both);
  if (style.legend)
    parts.push_back(render_legend({{kTruePositive, "true positive (label: IoU)", false},
                                   {kFalsePositive, "false positive", false},
                                   {kFalseNegative, "false negative", false},
                                   {kCrowd, "crowd", true},
                                   {kVoid, "void / ignored", true}},
                                  both.cols, p.font));
  return stack_vertically(parts, kPanelBackground);
}

}  // namespace segx::viz
