// The image pairs of a PQ evaluation, from COCO panoptic JSON + PNG folders (as panopticapi takes
// them) or from segx manifests (PNG paths or RLE segments), with the checks panopticapi skips:
// duplicate image ids, predictions for images not in the GT, missing prediction files.
#pragma once
#include <string>
#include <vector>

#include "segx/metrics/panoptic_eval.hpp"

namespace segx::metrics {

struct PanopticSetSpec {
  // COCO panoptic: JSON + folder of PNGs; an empty folder means the JSON path without ".json"
  // (panopticapi's default). Or a segx manifest in place of JSON + folder.
  std::string gt_json, gt_dir, pred_json, pred_dir;
  bool gt_is_manifest = false, pred_is_manifest = false;
  // An image without prediction (no entry, or no PNG file): Error(NoInput) unless this is set;
  // then the image counts every non-crowd GT segment as a false negative.
  bool allow_missing = false;
};

struct PanopticSet {
  std::vector<PanopticCategory> categories;  // from the GT, in its order
  std::vector<PanopticImagePair> pairs;      // in GT order
  std::size_t missing_predictions = 0;
};

PanopticSet load_panoptic_set(const PanopticSetSpec& spec);

}  // namespace segx::metrics
