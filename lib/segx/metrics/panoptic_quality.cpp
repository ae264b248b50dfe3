// Panoptic quality: panopticapi's matching rules per image, exact accumulation, pq_average.
#include "segx/metrics/panoptic_quality.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "segx/core/blocks.hpp"
#include "segx/core/error.hpp"

namespace segx::metrics {

// ---- IouSum -------------------------------------------------------------------------------------

void IouSum::add(double iou) {
  // Only matched IoUs (> 0.5) are summed; below 0.5 a double is no longer a multiple of 2^-53.
  if (!(iou > 0.5 && iou <= 1.0)) throw std::invalid_argument("IouSum: IoU outside (0.5, 1]");
  units_ += static_cast<std::uint64_t>(std::ldexp(iou, 53));
}

double IouSum::value() const {
  // unsigned __int128 -> double rounds to nearest; scaling by a power of two is exact.
  return std::ldexp(static_cast<double>(units_), -53);
}

std::string IouSum::to_string() const {
  if (units_ == 0) return "0";
  std::string digits;
  for (unsigned __int128 v = units_; v != 0; v /= 10) digits.push_back(char('0' + int(v % 10)));
  std::reverse(digits.begin(), digits.end());
  return digits;
}

IouSum IouSum::from_string(const std::string& text) {
  if (text.empty() || text.size() > 38) throw std::invalid_argument("bad IoU sum '" + text + "'");
  IouSum sum;
  for (char c : text) {
    if (c < '0' || c > '9') throw std::invalid_argument("bad IoU sum '" + text + "'");
    sum.units_ = sum.units_ * 10 + unsigned(c - '0');
  }
  return sum;
}

// ---- overlap ------------------------------------------------------------------------------------

std::uint64_t PanopticOverlap::get(std::uint32_t gt_id, std::uint32_t pred_id) const {
  auto it = pairs_.find(std::uint64_t(gt_id) * kPanopticOffset + pred_id);
  return it == pairs_.end() ? 0 : it->second;
}

void count_overlap(const std::uint32_t* gt_ids, const std::uint32_t* pred_ids, std::size_t pixels,
                   PanopticOverlap& out) {
  OverlapCounter counter(out);
  counter.add(gt_ids, pred_ids, pixels);
  counter.finish();
}

void OverlapCounter::add(const std::uint32_t* gt_ids, const std::uint32_t* pred_ids,
                         std::size_t pixels) {
  // Segments are spatially coherent: find where the current (gt, pred) pair ends, 16 pixels at a
  // time, and touch the map once per run.
  std::size_t i = 0;
  while (i < pixels) {
    if (run_ == 0 || gt_ids[i] != gt_ || pred_ids[i] != pred_) {
      if (run_) out_.add(gt_, pred_, run_);
      gt_ = gt_ids[i], pred_ = pred_ids[i], run_ = 0;
    }
    std::size_t j = i + 1;
    for (;;) {
      if (j + 16 > pixels) {
        while (j < pixels && gt_ids[j] == gt_ && pred_ids[j] == pred_) ++j;
        break;
      }
      const int same = leading_equal16(gt_ids + j, gt_, pred_ids + j, pred_);
      j += std::size_t(same);
      if (same < 16) break;
    }
    run_ += j - i;
    i = j;
  }
}

void OverlapCounter::finish() {
  if (run_) out_.add(gt_, pred_, run_);
  run_ = 0;
}

void RowRuns::add_row(const std::uint32_t* ids, const std::uint32_t* ends, std::size_t runs) {
  ids_.insert(ids_.end(), ids, ids + runs);
  ends_.insert(ends_.end(), ends, ends + runs);
  row_start_.push_back(ids_.size());
}

void RowRuns::count_row(std::size_t y, const std::uint32_t* ids, const std::uint32_t* ends,
                        std::size_t runs, OverlapCounter& counter) const {
  std::size_t g = row_start_[y];
  const std::size_t g_end = row_start_[y + 1];
  std::uint32_t x = 0;
  for (std::size_t p = 0; p < runs && g < g_end;) {
    // The piece from x to the nearer of the two runs' ends.
    const std::uint32_t end = std::min(ends_[g], ends[p]);
    counter.add_run(ids_[g], ids[p], end - x);
    x = end;
    if (ends_[g] == end) ++g;
    if (ends[p] == end) ++p;
  }
}

void count_overlap(const IdRuns& gt, const IdRuns& pred, PanopticOverlap& out) {
  std::size_t gi = 0, pi = 0;
  std::uint64_t g_left = 0, p_left = 0;
  std::uint64_t g_total = 0, p_total = 0;
  for (auto n : gt.lengths) g_total += n;
  for (auto n : pred.lengths) p_total += n;
  if (g_total != p_total)
    throw std::invalid_argument("label maps of different size: " + std::to_string(g_total) +
                                " and " + std::to_string(p_total) + " pixels");
  while (true) {
    while (g_left == 0 && gi < gt.lengths.size()) g_left = gt.lengths[gi++];
    while (p_left == 0 && pi < pred.lengths.size()) p_left = pred.lengths[pi++];
    if (g_left == 0 || p_left == 0) break;
    std::uint64_t n = std::min(g_left, p_left);
    out.add(gt.ids[gi - 1], pred.ids[pi - 1], n);
    g_left -= n;
    p_left -= n;
  }
}

// ---- categories ---------------------------------------------------------------------------------

PanopticCategories::PanopticCategories(std::vector<PanopticCategory> categories) {
  // As panopticapi's {el['id']: el}: a repeated id keeps its first position and its last fields.
  for (auto& c : categories) {
    auto it = index_.find(c.id);
    if (it != index_.end()) {
      list_[it->second] = std::move(c);
    } else {
      index_.emplace(c.id, list_.size());
      list_.push_back(std::move(c));
    }
  }
}

// ---- averaging ----------------------------------------------------------------------------------

namespace {

// One class's values, with panopticapi's expressions (same operation order, same rounding).
PqValues class_values(const PqClassStat& s) {
  PqValues v;
  if (s.tp + s.fp + s.fn == 0) return v;
  const double iou = s.iou.value();
  const double tp = double(s.tp);
  const double denom = tp + 0.5 * double(s.fp) + 0.5 * double(s.fn);
  v.pq = iou / denom;
  v.sq = s.tp != 0 ? iou / tp : 0.0;
  v.rq = tp / denom;
  v.n = 1;
  return v;
}

PqValues average(const std::vector<PqClassResult>& classes, int isthing /* -1 all */) {
  PqValues sum;
  for (const auto& c : classes) {
    if (isthing >= 0 && c.category.isthing != (isthing == 1)) continue;
    if (c.values.n == 0) continue;
    sum.pq += c.values.pq;
    sum.sq += c.values.sq;
    sum.rq += c.values.rq;
    sum.n += 1;
  }
  // panopticapi divides by n unguarded (ZeroDivisionError); an empty group reports 0 here.
  if (sum.n > 0) {
    sum.pq /= sum.n;
    sum.sq /= sum.n;
    sum.rq /= sum.n;
  }
  return sum;
}

}  // namespace

PqSummary summarize_pq(const PqStats& stats, const PanopticCategories& categories) {
  PqSummary summary;
  for (const auto& cat : categories.list()) {
    PqClassResult r;
    r.category = cat;
    auto it = stats.find(cat.id);
    if (it != stats.end()) r.stat = it->second;
    r.values = class_values(r.stat);
    summary.per_class.push_back(std::move(r));
  }
  summary.all = average(summary.per_class, -1);
  summary.things = average(summary.per_class, 1);
  summary.stuff = average(summary.per_class, 0);
  return summary;
}

void PanopticQuality::add(const PqStats& image_stats) {
  for (const auto& [cat, s] : image_stats) stats_[cat] += s;
}

}  // namespace segx::metrics
