// Panoptic evaluation over a whole set: pairs GT and predicted images, reads their id maps (PNG or
// RLE segments) on worker threads and collects per-image PQ counts for PanopticQuality.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "segx/metrics/panoptic_quality.hpp"

namespace segx::metrics {

// A segment given as a COCO RLE (compressed `counts` string) instead of pixels in a PNG.
struct RleSegmentMask {
  std::uint32_t segment_id = 0;
  std::string counts;  // pycocotools' compressed counts string
};

// One side (GT or prediction) of one image: a PNG of ids, or the segments' RLE masks.
struct PanopticLabels {
  std::string png;                   // path of the id PNG; empty when `rles` is used
  std::vector<RleSegmentMask> rles;  // one per segment (column-major, COCO order)
  int height = 0, width = 0;         // needed with RLEs
  std::vector<PanopticSegment> segments;
  std::string listed_in;  // the JSON/manifest that lists the segments (for messages)
  bool uses_rle() const { return png.empty(); }
};

struct PanopticImagePair {
  std::string image_id;
  std::string file_name;  // the GT's image file name (per-image table)
  PanopticLabels gt;
  std::optional<PanopticLabels> pred;  // absent: no prediction (--allow-missing)
};

// Counts of one image, in set order.
struct PanopticImageResult {
  std::string image_id;
  std::string file_name;
  std::size_t index = 0;  // position in the whole (unsharded) set
  bool missing_prediction = false;
  PqStats stats;
};

struct PanopticEvalOptions {
  int threads = 0;  // 0: all hardware threads
  bool progress = true;
};

// Evaluates `pairs` (any subset of a set, e.g. one shard; `indices[i]` is pair i's position in
// the whole set). A missing prediction counts every non-crowd GT segment as a false negative.
std::vector<PanopticImageResult> evaluate_panoptic(const std::vector<PanopticImagePair>& pairs,
                                                   const std::vector<std::size_t>& indices,
                                                   const PanopticCategories& categories,
                                                   const PanopticEvalOptions& options);

// The pixel overlap of one pair's GT and prediction (both present), read the cheapest way: runs
// when both sides are RLE, else id maps. Uses per-thread buffers.
void count_pair_overlap(const PanopticImagePair& pair, PanopticOverlap& out);

// Builds the run-length id map of one side from its RLE segments (column-major; uncovered pixels
// are VOID). Throws Error(DataError) when masks overlap or do not fit height x width.
IdRuns runs_from_rles(const PanopticLabels& labels);

}  // namespace segx::metrics
