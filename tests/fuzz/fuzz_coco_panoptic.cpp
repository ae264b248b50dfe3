// Fuzz target: COCO panoptic JSON (images, categories with colours and isthing, annotations with
// segments_info) through the dataset reader.
#include <cstddef>
#include <cstdint>

#include "segx/dataset/coco_panoptic.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  segx::fuzz::run([&] {
    auto coco = segx::dataset::CocoPanoptic::parse(segx::fuzz::as_text(data, size), "fuzz.json",
                                                  "pngs");
    for (const auto& a : coco.annotations) {
      coco.png_path(a);
      coco.where(a);
    }
  });
  return 0;
}
