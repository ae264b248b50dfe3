// Fuzz target: panoptic id PNGs (RGB -> id), as whole maps and as runs of equal ids; the runs
// must tile each row and agree with the whole map.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "segx/io/panoptic_png.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace segx::io;
  PanopticIds ids;
  bool whole = false;
  segx::fuzz::run([&] {
    decode_panoptic_png(data, size, "fuzz.png", ids, false);
    whole = true;
  });
  segx::fuzz::run([&] {
    int width = 0, height = 0;
    decode_panoptic_runs(
        data, size, "fuzz.png",
        [&](int y, const std::uint32_t* run_ids, const std::uint32_t* ends, std::size_t runs) {
          std::uint32_t x = 0;
          for (std::size_t i = 0; i < runs; ++i) {
            if (ends[i] <= x) std::abort();  // runs are not empty and go left to right
            for (; x < ends[i]; ++x)
              if (whole && ids.ids[std::size_t(y) * std::size_t(ids.width) + x] != run_ids[i])
                std::abort();
          }
          if (x != std::uint32_t(width)) std::abort();  // and cover the row
        },
        width, height, false);
  });
  return 0;
}
