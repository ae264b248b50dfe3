// Semantic segmentation metrics: label maps, confusion matrix, the MMSeg and detectron2 summaries.
#include "segx/metrics/semantic_iou.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace segx::metrics {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(double num, double den) { return den == 0 ? kNaN : num / den; }

// numpy's nanmean: the mean of the values that are not NaN (NaN when there are none).
double nanmean(const std::vector<double>& values, int* count = nullptr) {
  double sum = 0;
  int n = 0;
  for (double v : values)
    if (!std::isnan(v)) {
      sum += v;
      ++n;
    }
  if (count) *count = n;
  return n ? sum / n : kNaN;
}
}  // namespace

// ---- LabelMap -----------------------------------------------------------------------------------

void LabelMap::set(std::uint32_t value, std::int32_t target) {
  if (value >= lut_.size()) throw std::invalid_argument("label value above 65535");
  lut_[value] = target;
}

LabelMap LabelMap::identity(int num_classes, int ignore_value) {
  LabelMap map;
  for (int v = 0; v < num_classes && v < 65536; ++v) map.lut_[v] = v;
  if (ignore_value >= 0 && ignore_value < 65536) map.lut_[ignore_value] = kIgnore;
  return map;
}

LabelMap LabelMap::reduce_zero_label(int num_classes, int ignore_value) {
  // MMSeg: label[label == 0] = 255; label -= 1; label[label == 254] = 255 (then 255 is ignored).
  LabelMap map;
  map.lut_[0] = kIgnore;
  for (int v = 1; v <= num_classes && v < 65536; ++v) map.lut_[v] = v - 1;
  if (ignore_value >= 0 && ignore_value < 65536) map.lut_[ignore_value] = kIgnore;
  return map;
}

LabelMap LabelMap::from_table(const std::vector<std::pair<int, std::int32_t>>& table) {
  LabelMap map;
  for (const auto& [value, target] : table) map.set(std::uint32_t(value), target);
  return map;
}

// ---- ConfusionMatrix ----------------------------------------------------------------------------

ConfusionMatrix::ConfusionMatrix(int num_classes)
    : k_(num_classes), cells_(std::size_t(num_classes) * (std::size_t(num_classes) + 1), 0) {}

void ConfusionMatrix::merge(const ConfusionMatrix& other) {
  if (other.k_ != k_) throw std::invalid_argument("confusion matrices of different sizes");
  for (std::size_t i = 0; i < cells_.size(); ++i) cells_[i] += other.cells_[i];
}

// ---- summaries ----------------------------------------------------------------------------------

namespace {

struct Areas {
  std::vector<double> inter, gt, pred;
};

// GT pixels whose prediction is the ignore value (or missing) count in the GT area, as MMSeg's
// area_label does: a class then loses IoU and accuracy there. (detectron2's predictions are argmax
// indices and never take that value, so its counts are unaffected.)
Areas areas(const ConfusionMatrix& m) {
  const int k = m.num_classes();
  Areas a{std::vector<double>(k, 0), std::vector<double>(k, 0), std::vector<double>(k, 0)};
  for (int g = 0; g < k; ++g) {
    std::uint64_t row = 0;
    for (int p = 0; p < k; ++p) {
      row += m.at(g, p);
    }
    row += m.at(g, k);
    a.gt[g] = double(row);
    a.inter[g] = double(m.at(g, g));
  }
  for (int p = 0; p < k; ++p) {
    std::uint64_t col = 0;
    for (int g = 0; g < k; ++g) col += m.at(g, p);
    a.pred[p] = double(col);
  }
  return a;
}

}  // namespace

SemanticSummary summarize_semantic(const ConfusionMatrix& m, IouAveraging averaging, double beta) {
  const int k = m.num_classes();
  const bool mmseg = averaging == IouAveraging::MMSeg;
  const Areas a = areas(m);
  SemanticSummary s;
  std::vector<double> iou(k), acc(k), dice(k), prec(k), rec(k), fsc(k);
  double total_inter = 0, total_gt = 0;
  for (int c = 0; c < k; ++c) {
    total_inter += a.inter[c];
    total_gt += a.gt[c];
  }
  const double b2 = beta * beta;
  for (int c = 0; c < k; ++c) {
    const double i = a.inter[c], g = a.gt[c], p = a.pred[c], u = g + p - i;
    if (mmseg) {
      iou[c] = ratio(i, u);  // a class only predicted: 0 / p = 0; absent everywhere: NaN
      acc[c] = ratio(i, g);
    } else {
      // detectron2: acc and IoU only where the class has GT pixels.
      acc[c] = g > 0 ? i / g : kNaN;
      iou[c] = g > 0 && u > 0 ? i / u : kNaN;
    }
    dice[c] = ratio(2 * i, p + g);
    prec[c] = ratio(i, p);
    rec[c] = ratio(i, g);
    // MMSeg's f_score as written: 0 * 0 / 0 gives NaN for a class with GT and predictions but
    // no overlap, and nanmean then skips it.
    fsc[c] = (1 + b2) * (prec[c] * rec[c]) / ((b2 * prec[c]) + rec[c]);
    s.per_class.push_back({iou[c], acc[c], dice[c], prec[c], rec[c], fsc[c],
                           std::uint64_t(g), std::uint64_t(p), std::uint64_t(i)});
  }
  s.miou = nanmean(iou, &s.classes_averaged);
  s.macc = nanmean(acc);
  s.aacc = ratio(total_inter, total_gt);
  s.mdice = nanmean(dice);
  s.mfscore = nanmean(fsc);
  s.mprecision = nanmean(prec);
  s.mrecall = nanmean(rec);
  // Frequency-weighted IoU as detectron2: sum over valid classes of IoU * gt / total gt.
  double fw = 0;
  for (int c = 0; c < k; ++c)
    if (!std::isnan(iou[c])) fw += iou[c] * (a.gt[c] / total_gt);
  s.fwiou = total_gt > 0 ? fw : kNaN;
  return s;
}

}  // namespace segx::metrics
