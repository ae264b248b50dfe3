// Panoptic id maps from per-segment COCO RLE masks, as runs (no pixel expanded).
#include "segx/core/error.hpp"
#include "segx/metrics/panoptic_eval.hpp"

namespace segx::metrics {

IdRuns runs_from_rles(const PanopticLabels& labels) {
  fail(ErrorKind::Unavailable, "'{}': RLE segments are not supported yet", labels.listed_in);
}

}  // namespace segx::metrics
