// PQ inputs: COCO panoptic JSON + PNG folders or segx manifests, paired by image id.
#include "segx/metrics/panoptic_inputs.hpp"

#include "segx/core/error.hpp"

namespace segx::metrics {

PanopticSet load_panoptic_set(const PanopticSetSpec& spec) {
  fail(ErrorKind::Unavailable, "'{}': reading COCO panoptic inputs is not available yet", spec.gt_json);
}

}  // namespace segx::metrics
