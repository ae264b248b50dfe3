// Fuzz target: the PNG reader (own chunk parser, inflate and unfiltering; libspng for Adam7)
// through every entry point over bytes: whole images (palettes kept and expanded) and rows.
#include <cstddef>
#include <cstdint>

#include "segx/io/png.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace segx::io;
  segx::fuzz::run([&] {
    PngReadOptions keep;
    keep.check_crc = false;  // let mutated chunks reach the decoder; the CRC path runs below
    decode_png(data, size, "fuzz.png", keep);
  });
  segx::fuzz::run([&] {
    PngReadOptions expand;
    expand.palette = PaletteMode::Expand;
    decode_png(data, size, "fuzz.png", expand);
  });
  segx::fuzz::run([&] {
    std::uint64_t sum = 0;
    decode_png_rows(
        data, size, "fuzz.png",
        [&](const PngHeader& h, int, const uint8_t* row) {
          if (h.channels() == 1 && h.bit_depth <= 16) {
            static thread_local std::vector<std::uint32_t> values;
            values.resize(std::size_t(h.width));
            unpack_one_channel_row(h, row, values.data());
            for (auto v : values) sum += v;
          }
        },
        false);
  });
  return 0;
}
