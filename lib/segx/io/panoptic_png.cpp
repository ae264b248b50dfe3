// COCO panoptic PNG <-> segment ids.
#include "segx/io/panoptic_png.hpp"

#include "segx/core/error.hpp"

namespace segx::io {

void read_panoptic_png(const std::string& path, PanopticIds& out, bool check_crc) {
  read_panoptic_png(path, out, check_crc, nullptr);
}

void read_panoptic_png(const std::string& path, PanopticIds& out, bool check_crc,
                       const PanopticRowFn& on_row) {
  bool palette = false;
  decode_png_rows(
      path,
      [&](const PngHeader& h, int y, const uint8_t* row) {
        if (y == 0) {
          if (h.color_type == 3) {
            palette = true;
            return;
          }
          if ((h.color_type == 2 || h.color_type == 6) && h.bit_depth != 8)
            fail(ErrorKind::DataError, "cannot read panoptic PNG '{}': {}-bit colour is not supported",
                 path, h.bit_depth);
          if (h.color_type == 4)
            fail(ErrorKind::DataError, "cannot read panoptic PNG '{}': grey+alpha is not supported", path);
          out.width = h.width, out.height = h.height;
          out.ids.resize(std::size_t(h.width) * h.height);
        }
        if (palette) return;
        uint32_t* dst = out.ids.data() + std::size_t(y) * h.width;
        const std::size_t w = std::size_t(h.width);
        switch (h.color_type) {
          case 2:
            for (std::size_t x = 0; x < w; ++x, row += 3) dst[x] = rgb2id(row[0], row[1], row[2]);
            break;
          case 6:
            for (std::size_t x = 0; x < w; ++x, row += 4) dst[x] = rgb2id(row[0], row[1], row[2]);
            break;
          default:  // grey
            if (h.bit_depth == 16) {
              for (std::size_t x = 0; x < w; ++x) dst[x] = uint32_t(row[2 * x]) << 8 | row[2 * x + 1];
            } else if (h.bit_depth == 8) {
              for (std::size_t x = 0; x < w; ++x) dst[x] = row[x];
            } else {
              const int d = h.bit_depth, per = 8 / d;
              for (std::size_t x = 0; x < w; ++x)
                dst[x] = (row[x / per] >> (8 - d * (1 + int(x % per)))) & ((1u << d) - 1);
            }
        }
        if (on_row) on_row(y, dst);
      },
      check_crc);
  if (palette) {
    PngReadOptions options;
    options.palette = PaletteMode::Expand;
    options.check_crc = check_crc;
    Image img = read_png(path, options);
    out.width = img.width, out.height = img.height;
    out.ids.resize(std::size_t(img.width) * img.height);
    const uint8_t* p = img.data.data();
    for (std::size_t i = 0; i < out.ids.size(); ++i, p += img.channels) out.ids[i] = rgb2id(p[0], p[1], p[2]);
    if (on_row)
      for (int y = 0; y < out.height; ++y) on_row(y, out.ids.data() + std::size_t(y) * out.width);
  }
}

PanopticIds read_panoptic_png(const std::string& path, bool check_crc) {
  PanopticIds out;
  read_panoptic_png(path, out, check_crc);
  return out;
}

Image panoptic_to_image(int width, int height, const uint32_t* ids) {
  Image img;
  img.width = width, img.height = height, img.channels = 3, img.bit_depth = 8;
  const std::size_t n = std::size_t(width) * height;
  img.data.resize(n * 3);
  uint8_t* d = img.data.data();
  for (std::size_t i = 0; i < n; ++i, d += 3) {
    if (ids[i] >= (1u << 24)) fail(ErrorKind::DataError, "segment id {} does not fit in an RGB PNG", ids[i]);
    d[0] = uint8_t(ids[i]), d[1] = uint8_t(ids[i] >> 8), d[2] = uint8_t(ids[i] >> 16);
  }
  return img;
}

void write_panoptic_png(const std::string& path, int width, int height, const uint32_t* ids,
                        const PngWriteOptions& options) {
  write_png(path, panoptic_to_image(width, height, ids), options);
}

}  // namespace segx::io
