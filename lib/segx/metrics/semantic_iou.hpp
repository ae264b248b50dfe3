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
  // The whole table: one entry for each of the 65536 values a label sample can hold.
  const std::int32_t* table() const { return lut_.data(); }
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

  // Adds one stretch of pixels. GT pixels mapped to ignore are skipped; a prediction mapped to
  // ignore goes to the "no prediction" column. Returns false (and leaves the counts as they were)
  // when a GT or prediction value is invalid; first_invalid() then tells which.
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
  // Label maps are blocky: each run of one (GT, prediction) value pair is looked up once. The
  // run's count goes to its cell, or to a discarded one (GT ignored or a value invalid) with no
  // branch: a run's pair is as unpredictable as where the run ends. An invalid value is looked
  // for once the whole stretch is counted.
  const std::size_t stride = std::size_t(k_) + 1;
  // 8- and 16-bit samples index the tables directly (65536 entries); wider ones are checked.
  const std::int32_t* gt_table = gt_map.table();
  const std::int32_t* pred_table = pred_map.table();
  auto lookup = [](const LabelMap& map, const std::int32_t* table, auto value) {
    if constexpr (sizeof(value) <= 2) return table[value];
    else return map[std::uint32_t(value)];
  };
  std::uint64_t* cells = cells_.data();
  std::uint64_t discarded = 0;
  bool any_invalid = false;
  auto count = [&](GtT gv, PredT pv, std::uint64_t n, bool take_back) {
    const std::int32_t g = lookup(gt_map, gt_table, gv);
    const std::int32_t p = lookup(pred_map, pred_table, pv);
    const std::size_t column = p == LabelMap::kIgnore ? std::size_t(k_) : std::size_t(p);
    const bool counted = (g | p) >= 0 || (g >= 0 && p == LabelMap::kIgnore);
    any_invalid |= g == LabelMap::kInvalid || (g >= 0 && p == LabelMap::kInvalid);
    std::uint64_t& cell = counted ? cells[std::size_t(g) * stride + column] : discarded;
    cell = take_back ? cell - n : cell + n;
  };
  for_each_pair_run(gt, pred, pixels, [&](auto gv, auto pv, std::size_t, std::size_t n) {
    count(gv, pv, n, false);
    return true;
  });
  if (!any_invalid) return true;
  // Take back what the stretch added and say which value was invalid (the first one met).
  for_each_pair_run(gt, pred, pixels, [&](auto gv, auto pv, std::size_t, std::size_t n) {
    count(gv, pv, n, true);
    return true;
  });
  for_each_pair_run(gt, pred, pixels, [&](auto gv, auto pv, std::size_t, std::size_t) {
    const std::int32_t g = gt_map[gv];
    if (g == LabelMap::kInvalid) invalid_ = {true, std::uint32_t(gv)};
    else if (g >= 0 && pred_map[pv] == LabelMap::kInvalid) invalid_ = {false, std::uint32_t(pv)};
    else return true;
    return false;
  });
  return false;
}

}  // namespace segx::metrics
