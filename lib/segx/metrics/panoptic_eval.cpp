// Panoptic evaluation driver: per-image reading and counting on worker threads.
#include "segx/metrics/panoptic_eval.hpp"

#include <memory>

#include "segx/core/blocks.hpp"
#include "segx/core/error.hpp"
#include "segx/core/parallel.hpp"
#include "segx/core/progress.hpp"
#include "segx/io/panoptic_png.hpp"

namespace segx::metrics {

namespace {

// Per-thread buffers, reused from image to image.
struct Scratch {
  RowRuns gt_runs;                     // the ground truth, row by row
  std::vector<std::uint32_t> painted;  // an RLE side expanded to row-major ids
  std::vector<std::uint32_t> run_ids, run_ends;  // one painted row as runs
  PanopticOverlap overlap;
};

// Writes column-major runs into a row-major id map.
void paint_runs(const IdRuns& runs, int height, int width, std::vector<std::uint32_t>& out) {
  out.assign(std::size_t(height) * std::size_t(width), kPanopticVoid);
  std::size_t k = 0;  // column-major position: x = k / height, y = k % height
  for (std::size_t r = 0; r < runs.ids.size(); ++r) {
    const std::uint32_t id = runs.ids[r];
    const std::size_t end = k + runs.lengths[r];
    if (id == kPanopticVoid) {
      k = end;
      continue;
    }
    for (; k < end; ++k) out[(k % std::size_t(height)) * std::size_t(width) + k / std::size_t(height)] = id;
  }
}

std::string source_of(const PanopticLabels& labels) {
  return labels.uses_rle() ? labels.listed_in : labels.png;
}

// Fills scratch.overlap for one image, choosing the cheapest way for the inputs at hand.
void count_image_overlap(const PanopticImagePair& pair, Scratch& s) {
  const PanopticLabels& gt = pair.gt;
  const PanopticLabels& pred = *pair.pred;
  s.overlap.clear();
  if (gt.uses_rle() && pred.uses_rle()) {
    // Both run-length: no pixel is ever expanded.
    if (gt.height != pred.height || gt.width != pred.width)
      fail(ErrorKind::DataError, "image {}: ground truth is {}x{} but the prediction in '{}' is {}x{}",
           pair.image_id, gt.width, gt.height, pred.listed_in, pred.width, pred.height);
    count_overlap(runs_from_rles(gt), runs_from_rles(pred), s.overlap);
    return;
  }
  // Each side's rows as runs, in order, to `on_row`: from the PNG as it decodes, or from the
  // RLEs painted to ids (when the other side is a PNG).
  auto for_each_row = [&](const PanopticLabels& side, int& width, int& height, auto&& on_row) {
    if (!side.uses_rle()) {
      io::stream_panoptic_runs(side.png, on_row, width, height);
      return;
    }
    width = side.width, height = side.height;
    paint_runs(runs_from_rles(side), side.height, side.width, s.painted);
    s.run_ids.resize(std::size_t(width)), s.run_ends.resize(std::size_t(width));
    for (int y = 0; y < height; ++y) {
      const std::size_t n = row_runs(s.painted.data() + std::size_t(y) * std::size_t(width),
                                                std::size_t(width), s.run_ids.data(), s.run_ends.data());
      on_row(y, s.run_ids.data(), s.run_ends.data(), n);
    }
  };
  // The ground truth is kept as row runs, small enough to stay in cache; each prediction row is
  // counted against it as soon as it is decoded.
  int gt_width = 0, gt_height = 0, pred_width = 0, pred_height = 0;
  s.gt_runs.clear();
  for_each_row(gt, gt_width, gt_height,
               [&](int, const std::uint32_t* ids, const std::uint32_t* ends, std::size_t runs) {
                 s.gt_runs.add_row(ids, ends, runs);
               });
  OverlapCounter counter(s.overlap);
  for_each_row(pred, pred_width, pred_height,
               [&](int y, const std::uint32_t* ids, const std::uint32_t* ends, std::size_t runs) {
                 if (y == 0 && (gt_width != pred_width || gt_height != pred_height))
                   fail(ErrorKind::DataError, "'{}' is {}x{} but the ground truth '{}' is {}x{}",
                        source_of(pred), pred_width, pred_height, source_of(gt), gt_width, gt_height);
                 s.gt_runs.count_row(std::size_t(y), ids, ends, runs, counter);
               });
  counter.finish();
}

// No prediction at all: every non-crowd GT segment is a false negative (nothing to match).
PqStats missing_prediction_stats(const PanopticImagePair& pair, const PanopticCategories& cats) {
  PqStats stats;
  for (const auto& seg : pair.gt.segments) {
    if (!cats.contains(seg.category_id))
      fail(ErrorKind::DataError, "'{}' (image {}): ground-truth segment {} has unknown category_id {}",
           source_of(pair.gt), pair.image_id, seg.id, seg.category_id);
    if (!seg.iscrowd) stats[seg.category_id].fn += 1;
  }
  return stats;
}

}  // namespace

void count_pair_overlap(const PanopticImagePair& pair, PanopticOverlap& out) {
  thread_local Scratch scratch;
  count_image_overlap(pair, scratch);
  out = scratch.overlap;
}

std::vector<PanopticImageResult> evaluate_panoptic(const std::vector<PanopticImagePair>& pairs,
                                                   const std::vector<std::size_t>& indices,
                                                   const PanopticCategories& categories,
                                                   const PanopticEvalOptions& options) {
  std::vector<PanopticImageResult> results(pairs.size());
  const int threads = resolve_threads(options.threads);
  std::vector<std::unique_ptr<Scratch>> scratch(static_cast<std::size_t>(threads));
  for (auto& s : scratch) s = std::make_unique<Scratch>();
  std::unique_ptr<Progress> progress;
  if (options.progress) progress = std::make_unique<Progress>("pq", pairs.size());
  parallel_for(pairs.size(), threads, [&](std::size_t i, int worker) {
    const PanopticImagePair& pair = pairs[i];
    PanopticImageResult& r = results[i];
    r.image_id = pair.image_id;
    r.file_name = pair.file_name;
    r.index = indices.empty() ? i : indices[i];
    if (!pair.pred) {
      r.missing_prediction = true;
      r.stats = missing_prediction_stats(pair, categories);
    } else {
      Scratch& s = *scratch[std::size_t(worker)];
      count_image_overlap(pair, s);
      PanopticImageContext ctx{pair.image_id, source_of(pair.gt), source_of(*pair.pred),
                               pair.pred->listed_in};
      r.stats = evaluate_panoptic_image(pair.gt.segments, pair.pred->segments, s.overlap,
                                        categories, ctx);
    }
    if (progress) progress->advance();
  });
  return results;
}

}  // namespace segx::metrics
