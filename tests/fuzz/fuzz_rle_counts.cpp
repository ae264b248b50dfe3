// Fuzz target: uncompressed COCO RLE counts (pycocotools frUncompressedRLE) as they come from
// JSON: any 32-bit values at a size taken from the first two bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "segx/mask/rle.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace segx::mask;
  segx::fuzz::Bytes in(data, size);
  const uint32_t height = in.take(0) * 4 + in.take(4), width = in.take(0) * 4 + in.take(4);
  std::vector<uint32_t> counts(in.size() / 4);
  if (!counts.empty()) std::memcpy(counts.data(), in.data(), counts.size() * 4);
  segx::fuzz::run([&] {
    const Rle rle = from_counts(counts, height, width);
    area(rle);
    to_bbox(rle);
    const std::string text = to_string(rle);
    from_string(text, height, width);
    if (covers_image(rle)) {
      decode_column_major(rle);
      decode_row_major(rle);
      merge({rle, rle}, false);
    }
  });
  return 0;
}
