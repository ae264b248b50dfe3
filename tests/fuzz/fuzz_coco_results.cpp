// Fuzz target: COCO detection results JSON (a list of detections with boxes, RLE or polygon
// masks and scores) read against a fixed small ground truth, as segx eval reads them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "segx/metrics/coco_data.hpp"
#include "support/fuzz_support.hpp"

namespace {

const segx::metrics::CocoGroundTruth& ground_truth() {
  static const auto gt = [] {
    segx::metrics::CocoReadOptions options;
    options.threads = 1;
    return segx::metrics::parse_coco_ground_truth(
        R"({"images": [{"id": 1, "height": 4, "width": 5}, {"id": 2, "height": 7, "width": 3},
                       {"id": 3, "height": 1, "width": 1}],
            "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 7, "name": "c"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 4,
                             "bbox": [0, 0, 2, 2], "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2]]}]})",
        "gt.json", options);
  }();
  return gt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  segx::fuzz::setup();
  const auto& gt = ground_truth();
  const std::string text(segx::fuzz::as_text(data, size));
  for (bool masks : {true, false}) {
    segx::fuzz::run([&] {
      segx::metrics::CocoReadOptions options;
      options.threads = 1;
      options.masks = masks;
      auto results = segx::metrics::parse_coco_results(text, "results.json", gt, options);
      segx::mask::Rle scratch;
      if (masks)
        for (const auto& d : results.detections) segx::metrics::mask_of(d, scratch);
    });
  }
  return 0;
}
