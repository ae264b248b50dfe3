// Semantic segmentation metrics from a confusion matrix: per-class IoU, mIoU, fwIoU, pixel and
// mean accuracy, Dice, precision/recall/F-score, under MMSeg's and detectron2's conventions.
//
// Counting is exact (uint64 per cell) and merging is addition, so sharded runs merge bit for bit.
// Label values are mapped to class indices through a LabelMap (ignore index, reduce-zero-label,
// Cityscapes labelId -> trainId) before counting.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "segx/core/blocks.hpp"

namespace segx::metrics {

// Maps raw label values (0..65535) to a class index, to "ignore" or to "invalid" (an error).
class LabelMap {
 public:
  static constexpr std::int32_t kIgnore = -1;
  static constexpr std::int32_t kInvalid = -2;

  LabelMap() = default;
  // Values 0..num_classes-1 are classes, `ignore_value` (if >= 0) is ignored, the rest invalid.
  static LabelMap identity(int num_classes, int ignore_value);
  // MMSeg's reduce_zero_label: 0 -> ignore, v -> v-1, then `ignore_value` stays ignored.
  static LabelMap reduce_zero_label(int num_classes, int ignore_value);
  // An explicit table: value -> class index / kIgnore; unlisted values are kInvalid.
  static LabelMap from_table(const std::vector<std::pair<int, std::int32_t>>& table);

  std::int32_t operator[](std::uint32_t value) const {
    return value < lut_.size() ? lut_[value] : kInvalid;
  }
  void set(std::uint32_t value, std::int32_t target);

 private:
  std::vector<std::int32_t> lut_ = std::vector<std::int32_t>(65536, kInvalid);
};

// Counts of (GT class, predicted class) pixels. Row = GT, column = prediction; column
// num_classes() holds GT pixels whose prediction is the ignore value ("no prediction").
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int num_classes = 0);
  int num_classes() const { return k_; }
  std::uint64_t at(int gt, int pred) const { return cells_[std::size_t(gt) * (k_ + 1) + pred]; }
  std::uint64_t& at(int gt, int pred) { return cells_[std::size_t(gt) * (k_ + 1) + pred]; }
  const std::vector<std::uint64_t>& cells() const { return cells_; }

  // Adds one image. GT pixels mapped to ignore are skipped; a prediction mapped to ignore goes to
  // the "no prediction" column. Returns false (and adds nothing) when a GT or prediction value is
  // invalid; first_invalid() then tells which.
  template <typename GtT, typename PredT>
  bool add(const GtT* gt, const PredT* pred, std::size_t pixels, const LabelMap& gt_map,
           const LabelMap& pred_map);
  // Adds `pixels` pixels of one (GT class, predicted class) pair (run-length inputs).
  void add_pixels(int gt, int pred, std::uint64_t pixels) { at(gt, pred) += pixels; }
  void merge(const ConfusionMatrix& other);
  bool operator==(const ConfusionMatrix& o) const { return k_ == o.k_ && cells_ == o.cells_; }

  struct Invalid {
    bool gt = true;  // the value was in the GT (else in the prediction)
    std::uint32_t value = 0;
  };
  const Invalid& first_invalid() const { return invalid_; }

 private:
  int k_ = 0;
  std::vector<std::uint64_t> cells_;
  Invalid invalid_;
};

enum class IouAveraging {
  MMSeg,       // nan-mean over classes present in GT or prediction (a predicted-only class: IoU 0)
  Detectron2,  // classes with GT pixels only
};

struct SemanticClassResult {
  double iou, acc, dice, precision, recall, fscore;  // NaN where undefined
  std::uint64_t gt_pixels, pred_pixels, intersection;
};

struct SemanticSummary {
  std::vector<SemanticClassResult> per_class;
  double miou = 0, fwiou = 0, macc = 0, aacc = 0, mdice = 0, mfscore = 0, mprecision = 0,
         mrecall = 0;
  int classes_averaged = 0;  // classes counted in mIoU
};

// The metrics under one convention; `beta` weighs recall in the F-score (MMSeg's beta).
SemanticSummary summarize_semantic(const ConfusionMatrix& matrix, IouAveraging averaging,
                                   double beta = 1.0);

// ---- template definition ----

template <typename GtT, typename PredT>
bool ConfusionMatrix::add(const GtT* gt, const PredT* pred, std::size_t pixels,
                          const LabelMap& gt_map, const LabelMap& pred_map) {
  // Label maps are blocky: count runs of one (GT, prediction) value pair and look the pair up
  // once per run. Runs are staged first, so an invalid value leaves *this untouched.
  const std::size_t stride = std::size_t(k_) + 1;
  thread_local std::vector<std::pair<std::size_t, std::uint64_t>> staged;
  staged.clear();
  std::size_t i = 0;
  while (i < pixels) {
    const GtT gv = gt[i];
    const PredT pv = pred[i];
    const std::size_t j = pair_run_end(gt, pred, i, pixels);
    const std::uint64_t run = j - i;
    i = j;
    const std::int32_t g = gt_map[gv];
    if (g < 0) {
      if (g == LabelMap::kIgnore) continue;
      invalid_ = {true, std::uint32_t(gv)};
      return false;
    }
    std::int32_t p = pred_map[pv];
    if (p < 0) {
      if (p != LabelMap::kIgnore) {
        invalid_ = {false, std::uint32_t(pv)};
        return false;
      }
      p = k_;
    }
    staged.emplace_back(std::size_t(g) * stride + std::size_t(p), run);
  }
  for (const auto& [cell, n] : staged) cells_[cell] += n;
  return true;
}

}  // namespace segx::metrics
