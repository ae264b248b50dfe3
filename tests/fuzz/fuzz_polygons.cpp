// Fuzz target: COCO polygon segmentations and boxes rasterised as pycocotools does (rleFrPoly):
// coordinates are any doubles (NaN, infinities, far outside the image included).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "segx/mask/polygon.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace segx::mask;
  segx::fuzz::Bytes in(data, size);
  const uint32_t height = in.take(0) + 1, width = in.take(0) + 1;
  const unsigned parts = in.take(4) + 1;
  // Half the inputs give small integer-ish coordinates (as real annotations), half raw doubles.
  const bool raw = in.take(2) != 0;
  std::vector<double> values;
  if (raw) {
    values.resize(in.size() / 8);
    if (!values.empty()) std::memcpy(values.data(), in.data(), values.size() * 8);
  } else {
    for (std::size_t i = 0; i + 1 < in.size(); i += 2)
      values.push_back((int16_t(in.data()[i] | in.data()[i + 1] << 8)) / 16.0);
  }
  std::vector<std::vector<double>> polygons(parts);
  for (std::size_t i = 0; i < values.size(); ++i)
    polygons[i * parts / values.size()].push_back(values[i]);
  segx::fuzz::run([&] {
    for (const auto& p : polygons) area(from_polygon(p, height, width));
    area(from_polygons(polygons, height, width));
    if (values.size() >= 4) area(from_box({values[0], values[1], values[2], values[3]}, height, width));
  });
  return 0;
}
