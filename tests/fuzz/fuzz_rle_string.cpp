// Fuzz target: COCO compressed RLE counts strings (pycocotools rleFrString) at a size taken from
// the first two bytes; a decoded mask must survive re-encoding unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "segx/mask/rle.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace segx::mask;
  segx::fuzz::Bytes in(data, size);
  const uint32_t height = in.take(64), width = in.take(64);
  segx::fuzz::run([&] {
    const Rle rle = from_string(in.rest(), height, width);
    if (from_string(to_string(rle), height, width) != rle) std::abort();
    area(rle);
    to_bbox(rle);
    if (covers_image(rle)) {
      // Encoding the pixels again gives the same pixels (runs of zero length inside a string
      // are legal, so the counts themselves may differ).
      const auto bits = decode_column_major(rle);
      if (decode_column_major(encode_column_major(bits.data(), height, width)) != bits)
        std::abort();
      decode_row_major(rle);
      merge({rle, rle}, false);
      merge({rle, rle}, true);
    }
  });
  return 0;
}
