// Fuzz target: COCO instances JSON (images, categories, annotations with polygons, RLE strings
// and counts, boxes) through the dataset reader and the evaluator's ground-truth reader.
#include <cstddef>
#include <cstdint>
#include <string>

#include "segx/dataset/coco_instances.hpp"
#include "segx/metrics/coco_data.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto text = segx::fuzz::as_text(data, size);
  segx::fuzz::run([&] {
    auto coco = segx::dataset::CocoInstances::parse(text, "fuzz.json");
    for (std::size_t i = 0; i < coco.annotations.size(); ++i) coco.where(coco.annotations[i], i);
  });
  segx::fuzz::run([&] {
    segx::metrics::CocoReadOptions options;
    options.threads = 1;
    auto gt = segx::metrics::parse_coco_ground_truth(std::string(text), "fuzz.json", options);
    segx::mask::Rle scratch;
    for (const auto& a : gt.annotations) segx::metrics::mask_of(a, scratch);
  });
  return 0;
}
