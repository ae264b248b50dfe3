// Confusion matrices from segment overlaps: one count per (GT segment, predicted segment) pair.
#include "segx/metrics/semantic_from_panoptic.hpp"

#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/core/parallel.hpp"

namespace segx::metrics {

namespace {

// Segment id -> class index (or -1 for VOID / an id the JSON does not list).
std::unordered_map<std::uint32_t, int> classes_of(const PanopticLabels& labels,
                                                  const std::unordered_map<std::int64_t, int>& index,
                                                  const std::string& image_id) {
  std::unordered_map<std::uint32_t, int> out;
  for (const auto& s : labels.segments) {
    auto it = index.find(s.category_id);
    if (it == index.end())
      fail(ErrorKind::DataError, "'{}' (image {}): segment {} has unknown category_id {}",
           labels.listed_in, image_id, s.id, s.category_id);
    out[s.id] = it->second;
  }
  return out;
}

}  // namespace

ConfusionMatrix evaluate_semantic_from_panoptic(const std::vector<PanopticImagePair>& pairs,
                                                const PanopticCategories& categories, int threads) {
  const int k = int(categories.list().size());
  std::unordered_map<std::int64_t, int> index;
  for (int c = 0; c < k; ++c) index[categories.list()[std::size_t(c)].id] = c;
  const int workers = resolve_threads(threads);
  std::vector<ConfusionMatrix> per_thread(static_cast<std::size_t>(workers), ConfusionMatrix(k));
  parallel_for(pairs.size(), workers, [&](std::size_t i, int w) {
    const auto& pair = pairs[i];
    ConfusionMatrix& m = per_thread[std::size_t(w)];
    const auto gt_class = classes_of(pair.gt, index, pair.image_id);
    if (!pair.pred) {
      for (const auto& s : pair.gt.segments)
        if (s.area > 0) m.add_pixels(gt_class.at(s.id), k, std::uint64_t(s.area));
      return;
    }
    const auto pred_class = classes_of(*pair.pred, index, pair.image_id);
    PanopticOverlap overlap;
    count_pair_overlap(pair, overlap);
    for (const auto& [key, n] : overlap.pairs()) {
      auto g = gt_class.find(PanopticOverlap::gt_of(key));
      if (g == gt_class.end()) continue;  // VOID (or unlisted) GT pixels are not evaluated
      auto p = pred_class.find(PanopticOverlap::pred_of(key));
      m.add_pixels(g->second, p == pred_class.end() ? k : p->second, n);
    }
  });
  ConfusionMatrix total(k);
  for (const auto& m : per_thread) total.merge(m);
  return total;
}

}  // namespace segx::metrics
