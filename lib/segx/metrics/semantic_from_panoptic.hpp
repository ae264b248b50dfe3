// Semantic metrics straight from panoptic inputs (COCO panoptic JSON + PNGs, or manifests with
// RLE segments): a pixel's class is its segment's category (crowds included, as panopticapi's
// panoptic2semantic), VOID is ignored. With RLE on both sides no PNG is decoded.
#pragma once
#include "segx/metrics/panoptic_eval.hpp"
#include "segx/metrics/semantic_iou.hpp"

namespace segx::metrics {

// Classes are the categories in `categories` order. A missing prediction counts its GT pixels in
// the "no prediction" column.
ConfusionMatrix evaluate_semantic_from_panoptic(const std::vector<PanopticImagePair>& pairs,
                                                const PanopticCategories& categories,
                                                int threads);

}  // namespace segx::metrics
