// COCOeval.summarize: the 12 stats, their printed lines, and per-category AP, averaging with
// numpy's summation order so that the numbers equal pycocotools' bit for bit.
#include <fmt/format.h>

#include <algorithm>

#include "segx/metrics/coco_eval.hpp"

namespace segx::metrics {

namespace {

// numpy's pairwise summation of a contiguous block (loops_utils.h: blocks of 8 partial sums up
// to 128 values, halving above).
double pairwise_sum(const double* a, size_t n) {
  if (n < 8) {
    double res = 0.;
    for (size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

size_t area_index(const std::string& label) {
  const auto& ranges = coco_area_ranges();
  for (size_t a = 0; a < ranges.size(); ++a)
    if (label == ranges[a].label) return a;
  return ranges.size();
}

// _summarize(ap, iouThr, areaRng, maxDets): the mean of the entries > -1, else -1.
CocoStat summarize_one(const CocoEvalResult& r, bool ap, double iou, const std::string& area,
                       int max_dets) {
  CocoStat stat{ap, iou, area, max_dets, -1};
  const size_t a = area_index(area);
  const auto mit = std::find(r.max_dets.begin(), r.max_dets.end(), max_dets);
  std::vector<size_t> ts;
  for (size_t t = 0; t < r.T; ++t)
    if (iou == 0 || r.iou_thresholds[t] == iou) ts.push_back(t);
  if (a == r.A || mit == r.max_dets.end()) return stat;
  const size_t m = size_t(mit - r.max_dets.begin());
  std::vector<double> values;  // numpy's C order: t, then r (AP), then k
  for (size_t t : ts) {
    if (ap) {
      for (size_t ri = 0; ri < r.R; ++ri)
        for (size_t k = 0; k < r.K; ++k) {
          const double v = r.precision_at(t, ri, k, a, m);
          if (v > -1) values.push_back(v);
        }
    } else {
      for (size_t k = 0; k < r.K; ++k) {
        const double v = r.recall_at(t, k, a, m);
        if (v > -1) values.push_back(v);
      }
    }
  }
  if (!values.empty()) stat.value = numpy_mean(values);
  return stat;
}

}  // namespace

double numpy_mean(const std::vector<double>& v) {
  // np.add.reduce feeds the pairwise sum in buffer-sized chunks (8192) added in turn.
  constexpr size_t kBuffer = 8192;
  double sum = 0;
  for (size_t i = 0; i < v.size(); i += kBuffer)
    sum += pairwise_sum(v.data() + i, std::min(kBuffer, v.size() - i));
  return sum / double(v.size());
}

std::vector<CocoStat> coco_summarize(const CocoEvalResult& r) {
  const auto& md = r.max_dets;
  const int m0 = md[0], m1 = md[std::min<size_t>(1, md.size() - 1)],
            m2 = md[std::min<size_t>(2, md.size() - 1)];
  return {summarize_one(r, true, 0, "all", m2),     summarize_one(r, true, .5, "all", m2),
          summarize_one(r, true, .75, "all", m2),   summarize_one(r, true, 0, "small", m2),
          summarize_one(r, true, 0, "medium", m2),  summarize_one(r, true, 0, "large", m2),
          summarize_one(r, false, 0, "all", m0),    summarize_one(r, false, 0, "all", m1),
          summarize_one(r, false, 0, "all", m2),    summarize_one(r, false, 0, "small", m2),
          summarize_one(r, false, 0, "medium", m2), summarize_one(r, false, 0, "large", m2)};
}

std::string format_stat(const CocoStat& s) {
  const std::string iou =
      s.iou == 0 ? fmt::format("{:0.2f}:{:0.2f}", 0.5, 0.95) : fmt::format("{:0.2f}", s.iou);
  return fmt::format(" {:<18} {} @[ IoU={:<9} | area={:>6} | maxDets={:>3} ] = {:0.3f}",
                     s.ap ? "Average Precision" : "Average Recall", s.ap ? "(AP)" : "(AR)", iou,
                     s.area, s.max_dets, s.value);
}

std::vector<double> coco_per_category_ap(const CocoEvalResult& r) {
  std::vector<double> out(r.K, -1);
  for (size_t k = 0; k < r.K; ++k) {
    std::vector<double> values;
    for (size_t t = 0; t < r.T; ++t)
      for (size_t ri = 0; ri < r.R; ++ri) {
        const double v = r.precision_at(t, ri, k, 0, r.M - 1);
        if (v > -1) values.push_back(v);
      }
    if (!values.empty()) out[k] = numpy_mean(values);
  }
  return out;
}

}  // namespace segx::metrics
