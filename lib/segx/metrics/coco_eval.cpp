// COCOeval.evaluate and accumulate: images are evaluated in parallel, each producing for every
// category and area range the per-threshold true/false positive marks of its detections; the
// accumulation then merges them per category exactly in pycocotools' order.
#include "segx/metrics/coco_eval.hpp"

#include <algorithm>
#include <cfloat>
#include <numeric>

#include "segx/core/error.hpp"
#include "segx/core/parallel.hpp"
#include "segx/mask/iou.hpp"

namespace segx::metrics {

namespace {

constexpr size_t kMaxThresholds = 16;  // true/false positive marks are 16-bit masks
using Marks = uint16_t;

std::vector<double> numpy_linspace(double start, double stop, size_t num) {
  std::vector<double> y(num);
  const double step = (stop - start) / double(num - 1);
  for (size_t i = 0; i < num; ++i) y[i] = double(i) * step + start;
  y[num - 1] = stop;
  return y;
}

// The evaluation of one image and one category (a non-None entry of COCOeval.evalImgs).
struct ImageCategoryEval {
  uint32_t category = 0;
  std::vector<double> scores;  // detections sorted by score, at most maxDets[-1]
  // Per area range: the ground truths not ignored, and per detection the true and false
  // positive marks (bit t: at threshold t), all areas in one buffer [A][2][D].
  std::vector<uint32_t> npig;
  std::vector<Marks> marks;
  Marks tp(size_t a, size_t i) const { return marks[2 * a * scores.size() + i]; }
  Marks fp(size_t a, size_t i) const { return marks[(2 * a + 1) * scores.size() + i]; }
};

// std::stable_sort, without its temporary buffer for the short lists of one image and category.
template <typename T, typename Less>
void small_stable_sort(std::vector<T>& v, Less less) {
  if (v.size() > 32) return std::stable_sort(v.begin(), v.end(), less);
  for (size_t i = 1; i < v.size(); ++i) {
    T x = v[i];
    size_t j = i;
    for (; j > 0 && less(x, v[j - 1]); --j) v[j] = v[j - 1];
    v[j] = x;
  }
}

// Indices of objects grouped by image, each group in file order.
struct ByImage {
  std::vector<uint32_t> offsets, items;
  ByImage(const std::vector<CocoObject>& objs, size_t images) : offsets(images + 1, 0) {
    for (const auto& o : objs) ++offsets[o.image + 1];
    std::partial_sum(offsets.begin(), offsets.end(), offsets.begin());
    items.resize(objs.size());
    std::vector<uint32_t> fill(offsets.begin(), offsets.end() - 1);
    for (size_t i = 0; i < objs.size(); ++i) items[fill[objs[i].image]++] = uint32_t(i);
  }
  std::vector<uint32_t> of(size_t image) const {
    return {items.begin() + offsets[image], items.begin() + offsets[image + 1]};
  }
};

class ImageEvaluator {
 public:
  ImageEvaluator(const CocoGroundTruth& gt, const CocoResults& dt, const CocoEvalParams& p,
                 const std::vector<double>& thresholds, int max_det)
      : gt_(gt), dt_(dt), p_(p), thr_(thresholds), max_det_(size_t(max_det)) {}

  // Every category with ground truth or detections in the image, in category order.
  std::vector<ImageCategoryEval> run(std::vector<uint32_t> g, std::vector<uint32_t> d) const {
    auto by_cat = [](const std::vector<CocoObject>& objs) {
      return [&objs](uint32_t a, uint32_t b) { return objs[a].category < objs[b].category; };
    };
    small_stable_sort(g, by_cat(gt_.annotations));
    small_stable_sort(d, by_cat(dt_.detections));
    std::vector<ImageCategoryEval> out;
    size_t gi = 0, di = 0;
    while (gi < g.size() || di < d.size()) {
      uint32_t k = UINT32_MAX;
      if (gi < g.size()) k = gt_.annotations[g[gi]].category;
      if (di < d.size()) k = std::min(k, dt_.detections[d[di]].category);
      std::vector<uint32_t> gk, dk;
      while (gi < g.size() && gt_.annotations[g[gi]].category == k) gk.push_back(g[gi++]);
      while (di < d.size() && dt_.detections[d[di]].category == k) dk.push_back(d[di++]);
      out.push_back(evaluate(k, gk, std::move(dk)));
    }
    return out;
  }

 private:
  ImageCategoryEval evaluate(uint32_t k, const std::vector<uint32_t>& g,
                             std::vector<uint32_t> d) const {
    // Highest score first; ties keep file order (numpy's mergesort is stable).
    small_stable_sort(d, [&](uint32_t a, uint32_t b) {
      return dt_.detections[a].score > dt_.detections[b].score;
    });
    if (d.size() > max_det_) d.resize(max_det_);
    const size_t G = g.size(), D = d.size();
    std::vector<double> ious = compute_ious(g, d);  // [D][G], gt in file order

    ImageCategoryEval e;
    e.category = k;
    e.scores.resize(D);
    for (size_t j = 0; j < D; ++j) e.scores[j] = dt_.detections[d[j]].score;
    const auto& ranges = coco_area_ranges();
    e.npig.resize(ranges.size());
    e.marks.assign(2 * ranges.size() * D, 0);
    std::vector<uint32_t> order(G);
    std::vector<uint8_t> ignore(G), gt_taken(G);
    for (size_t a = 0; a < ranges.size(); ++a) {
      const double lo = ranges[a].lo, hi = ranges[a].hi;
      for (size_t j = 0; j < G; ++j) {
        const CocoObject& o = gt_.annotations[g[j]];
        ignore[j] = o.iscrowd || o.area < lo || o.area > hi;
      }
      // Ground truths not ignored first, each group in file order.
      size_t filled = 0;
      for (uint8_t pass = 0; pass < 2; ++pass)
        for (uint32_t j = 0; j < G; ++j)
          if (ignore[j] == pass) order[filled++] = j;
      e.npig[a] = uint32_t(std::count(ignore.begin(), ignore.end(), 0));
      match(g, d, ious, order, ignore, lo, hi, gt_taken, &e.marks[2 * a * D],
            &e.marks[(2 * a + 1) * D]);
    }
    return e;
  }

  std::vector<double> compute_ious(const std::vector<uint32_t>& g,
                                   const std::vector<uint32_t>& d) const {
    const size_t G = g.size(), D = d.size();
    std::vector<double> ious(D * G);
    if (G == 0 || D == 0) return ious;
    if (p_.iou_type == CocoIouType::Bbox) {
      for (size_t i = 0; i < D; ++i)
        for (size_t j = 0; j < G; ++j) {
          const CocoObject& o = gt_.annotations[g[j]];
          ious[i * G + j] = mask::box_iou(dt_.detections[d[i]].bbox, o.bbox, o.iscrowd);
        }
      return ious;
    }
    // Masks still compressed are decoded here, each once (an object is in one image and
    // category), into buffers that live only for this image and category.
    std::vector<mask::Rle> gt_scratch(G), dt_scratch(D);
    std::vector<const mask::Rle*> gm(G), dm(D);
    for (size_t j = 0; j < G; ++j) gm[j] = &mask_of(gt_.annotations[g[j]], gt_scratch[j]);
    for (size_t i = 0; i < D; ++i) dm[i] = &mask_of(dt_.detections[d[i]], dt_scratch[i]);
    for (size_t i = 0; i < D; ++i)
      for (size_t j = 0; j < G; ++j) {
        const CocoObject& o = gt_.annotations[g[j]];
        const CocoObject& det = dt_.detections[d[i]];
        ious[i * G + j] = mask::rle_iou(*dm[i], det.mask_box, *gm[j], o.mask_box, o.iscrowd);
      }
    return ious;
  }

  // COCOeval.evaluateImg's greedy matching for one area range.
  void match(const std::vector<uint32_t>& g, const std::vector<uint32_t>& d,
             const std::vector<double>& ious, const std::vector<uint32_t>& order,
             const std::vector<uint8_t>& ignore, double lo, double hi,
             std::vector<uint8_t>& gt_taken, Marks* tp, Marks* fp) const {
    const size_t G = g.size(), D = d.size(), T = thr_.size();
    for (size_t t = 0; t < T; ++t) {
      std::fill(gt_taken.begin(), gt_taken.end(), 0);
      for (size_t i = 0; i < D; ++i) {
        double best = std::min(thr_[t], 1 - 1e-10);
        long m = -1;  // position in `order`
        for (size_t s = 0; s < G; ++s) {
          const uint32_t j = order[s];
          if (gt_taken[s] && !gt_.annotations[g[j]].iscrowd) continue;
          // Once matched to a regular ground truth, ignored ones (sorted last) cannot win.
          if (m > -1 && !ignore[order[m]] && ignore[j]) break;
          const double iou = ious[i * G + j];
          if (iou < best) continue;
          best = iou;
          m = long(s);
        }
        bool matched = false, dt_ignored = false;
        if (m != -1) {
          const uint32_t j = order[size_t(m)];
          dt_ignored = ignore[j];
          // dtMatches stores the ground truth's id: an id of 0 reads as "unmatched" later.
          matched = gt_.annotations[g[j]].id != 0;
          gt_taken[size_t(m)] = 1;  // gtMatches holds the detection id, always > 0
        }
        const double area = dt_.detections[d[i]].area;
        if (!matched && (area < lo || area > hi)) dt_ignored = true;
        if (dt_ignored) continue;
        (matched ? tp[i] : fp[i]) |= Marks(1u << t);
      }
    }
  }

  const CocoGroundTruth& gt_;
  const CocoResults& dt_;
  const CocoEvalParams& p_;
  const std::vector<double>& thr_;
  size_t max_det_;
};

// The detections of one category that count at one maxDets (the first maxDets of each image, in
// image order), sorted by score as accumulate() sorts them: stably, so ties keep image order.
// The order is the same for every area range, so it is sorted once for all four.
struct RankedDetection {
  double score;
  const ImageCategoryEval* entry;
  uint32_t index;  // position among the entry's detections
};

std::vector<RankedDetection> rank_detections(const std::vector<const ImageCategoryEval*>& entries,
                                             size_t max_det) {
  std::vector<RankedDetection> ranked;
  for (const ImageCategoryEval* e : entries) {
    const size_t n = std::min(max_det, e->scores.size());
    for (size_t i = 0; i < n; ++i) ranked.push_back({e->scores[i], e, uint32_t(i)});
  }
  std::stable_sort(
      ranked.begin(), ranked.end(),
      [](const RankedDetection& x, const RankedDetection& y) { return x.score > y.score; });
  return ranked;
}

// COCOeval.accumulate for one category, area range and maxDets.
void accumulate_one(const std::vector<const ImageCategoryEval*>& entries,
                    const std::vector<RankedDetection>& ranked, size_t a, size_t k, size_t m,
                    CocoEvalResult& r) {
  uint64_t npig = 0;
  for (const ImageCategoryEval* e : entries) npig += e->npig[a];
  if (npig == 0) return;
  struct Det {
    double score;
    Marks tp, fp;
  };
  std::vector<Det> dets(ranked.size());
  for (size_t i = 0; i < ranked.size(); ++i) {
    const ImageCategoryEval& e = *ranked[i].entry;
    dets[i] = {ranked[i].score, e.tp(a, ranked[i].index), e.fp(a, ranked[i].index)};
  }
  const size_t nd = dets.size(), R = r.R;
  std::vector<double> rc(nd), pr(nd);
  for (size_t t = 0; t < r.T; ++t) {
    double tp = 0, fp = 0;
    for (size_t i = 0; i < nd; ++i) {
      tp += (dets[i].tp >> t) & 1;
      fp += (dets[i].fp >> t) & 1;
      rc[i] = tp / double(npig);
      pr[i] = tp / (fp + tp + DBL_EPSILON);  // np.spacing(1)
    }
    r.recall[((t * r.K + k) * r.A + a) * r.M + m] = nd ? rc[nd - 1] : 0;
    for (size_t i = nd; i-- > 1;)
      if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    // searchsorted(rc, recThrs, 'left'); thresholds past the last recall keep precision 0.
    size_t pi = 0;
    for (size_t ri = 0; ri < R; ++ri) {
      const double thr = r.recall_thresholds[ri];
      while (pi < nd && rc[pi] < thr) ++pi;
      double q = 0, s = 0;
      if (pi < nd) {
        q = pr[pi];
        s = dets[pi].score;
      } else {
        // pycocotools stops filling at the first out-of-range index: the rest stay 0.
        for (size_t rj = ri; rj < R; ++rj) {
          r.precision_at(t, rj, k, a, m) = 0;
          r.scores[(((t * R + rj) * r.K + k) * r.A + a) * r.M + m] = 0;
        }
        break;
      }
      r.precision_at(t, ri, k, a, m) = q;
      r.scores[(((t * R + ri) * r.K + k) * r.A + a) * r.M + m] = s;
    }
  }
}

}  // namespace

std::vector<double> coco_iou_thresholds() {
  return numpy_linspace(0.5, 0.95, 10);
}
std::vector<double> coco_recall_thresholds() {
  return numpy_linspace(0.0, 1.0, 101);
}

const std::array<CocoAreaRange, 4>& coco_area_ranges() {
  static const std::array<CocoAreaRange, 4> ranges = {{{"all", 0, 1e5 * 1e5},
                                                       {"small", 0, 32 * 32},
                                                       {"medium", 32 * 32, 96 * 96},
                                                       {"large", 96 * 96, 1e5 * 1e5}}};
  return ranges;
}

CocoEvalResult coco_evaluate(const CocoGroundTruth& gt, const CocoResults& dt,
                             const CocoEvalParams& params) {
  CocoEvalResult r;
  r.iou_thresholds = coco_iou_thresholds();
  r.recall_thresholds = coco_recall_thresholds();
  r.max_dets = params.max_dets;
  std::sort(r.max_dets.begin(), r.max_dets.end());
  if (r.max_dets.empty() || r.max_dets[0] < 1)
    fail(ErrorKind::Usage, "maxDets must be positive numbers");
  static_assert(kMaxThresholds >= 10, "marks hold the 10 COCO IoU thresholds");
  r.T = r.iou_thresholds.size();
  r.R = r.recall_thresholds.size();
  r.K = gt.categories.size();
  r.A = coco_area_ranges().size();
  r.M = r.max_dets.size();
  r.precision.assign(r.T * r.R * r.K * r.A * r.M, -1.0);
  r.scores.assign(r.precision.size(), -1.0);
  r.recall.assign(r.T * r.K * r.A * r.M, -1.0);

  // evaluate(): every image on its own, in parallel.
  const ByImage gts(gt.annotations, gt.images.size()), dts(dt.detections, gt.images.size());
  const ImageEvaluator evaluator(gt, dt, params, r.iou_thresholds, r.max_dets.back());
  std::vector<std::vector<ImageCategoryEval>> per_image(gt.images.size());
  parallel_for(gt.images.size(), params.threads,
               [&](size_t i, int) { per_image[i] = evaluator.run(gts.of(i), dts.of(i)); });

  // accumulate(): per category, entries in image order (COCOeval's imgIds order).
  std::vector<std::vector<const ImageCategoryEval*>> by_category(r.K);
  for (const auto& evals : per_image)
    for (const auto& e : evals) by_category[e.category].push_back(&e);
  parallel_for(r.K, params.threads, [&](size_t k, int) {
    for (size_t m = 0; m < r.M; ++m) {
      const auto ranked = rank_detections(by_category[k], size_t(r.max_dets[m]));
      for (size_t a = 0; a < r.A; ++a) accumulate_one(by_category[k], ranked, a, k, m, r);
    }
  });
  return r;
}

}  // namespace segx::metrics
