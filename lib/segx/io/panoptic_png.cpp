// COCO panoptic PNG <-> segment ids.
#include "segx/io/panoptic_png.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "segx/core/blocks.hpp"
#include "segx/core/error.hpp"

namespace segx::io {

namespace {

// R + 256 G + 256^2 B for a row of packed RGB pixels. On little-endian machines an unaligned
// 4-byte load of pixel x reads R, G, B and the next pixel's R: masking that byte off gives the id
// in one load (the scalar form costs three loads and two shifts a pixel, and this loop ran longer
// than the inflate itself). The last pixel has no byte after it in the row and is done apart.
void rgb_row_to_ids(const uint8_t* row, std::size_t width, uint32_t* dst) {
  std::size_t x = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  for (; x + 1 < width; ++x) {
    uint32_t word;
    std::memcpy(&word, row + 3 * x, 4);
    dst[x] = word & 0xFFFFFFu;
  }
#endif
  for (; x < width; ++x) dst[x] = rgb2id(row[3 * x], row[3 * x + 1], row[3 * x + 2]);
}

// The runs of a row of packed RGB pixels (stream_panoptic_runs' common case), without computing
// every pixel's id: a pixel starts a new run exactly when its 3 bytes differ from the 3 before
// them, so 16 bytes are compared with the same 16 shifted back by one pixel, which settles 5
// pixels at once; ids are computed only where a run ends.
std::size_t rgb_row_to_runs(const uint8_t* row, std::size_t width, uint32_t* ids, uint32_t* ends) {
  auto id_at = [row](std::size_t x) { return rgb2id(row[3 * x], row[3 * x + 1], row[3 * x + 2]); };
  std::size_t n = 0;
  uint32_t current = id_at(0);
  std::size_t x = 1;
  auto scalar_until = [&](std::size_t stop) {
    for (; x < stop; ++x) {
      const uint32_t id = id_at(x);
      if (id != current) ids[n] = current, ends[n++] = uint32_t(x), current = id;
    }
  };
#if defined(__SSE2__)
  // Bytes [3x, 3x + 16) must lie in the row.
  while (3 * x + 16 <= 3 * width) {
    const __m128i here = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 3 * x));
    const __m128i left = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 3 * x - 3));
    if ((_mm_movemask_epi8(_mm_cmpeq_epi8(here, left)) & 0x7FFF) == 0x7FFF) {
      x += 5;  // pixels x..x+4 all equal their left neighbours
      continue;
    }
    scalar_until(x + 5);
  }
#endif
  scalar_until(width);
  ids[n] = current, ends[n++] = uint32_t(width);
  return n;
}

// The ids of one row as stored in the file (colour type 2, 6 or grey).
void row_to_ids(const PngHeader& h, const uint8_t* row, uint32_t* dst) {
  const std::size_t w = std::size_t(h.width);
  switch (h.color_type) {
    case 2:
      rgb_row_to_ids(row, w, dst);
      break;
    case 6:
      for (std::size_t x = 0; x < w; ++x, row += 4) dst[x] = rgb2id(row[0], row[1], row[2]);
      break;
    default:  // grey: the value is the id
      unpack_one_channel_row(h, row, dst);
  }
}

void check_layout(const PngHeader& h, const std::string& path) {
  if ((h.color_type == 2 || h.color_type == 6) && h.bit_depth != 8)
    fail(ErrorKind::DataError, "cannot read panoptic PNG '{}': {}-bit colour is not supported", path,
         h.bit_depth);
  if (h.color_type == 4)
    fail(ErrorKind::DataError, "cannot read panoptic PNG '{}': grey+alpha is not supported", path);
}

// Where a panoptic PNG's bytes are: in the file `name`, or in memory when `bytes` is set (then
// `name` only names it in messages).
struct PngSource {
  const std::string& name;
  const uint8_t* bytes = nullptr;
  std::size_t size = 0;

  template <typename RowFn>
  PngHeader rows(RowFn&& row_fn, bool check_crc) const {
    if (bytes) return decode_png_rows(bytes, size, name, row_fn, check_crc);
    return decode_png_rows(name, row_fn, check_crc);
  }
  Image image(const PngReadOptions& options) const {
    return bytes ? decode_png(bytes, size, name, options) : read_png(name, options);
  }
};

// A palette panoptic PNG (rare in panoptic sets) as ids: the whole image expanded to colours.
void read_palette_ids(const PngSource& source, bool check_crc, PanopticIds& out) {
  PngReadOptions options;
  options.palette = PaletteMode::Expand;
  options.check_crc = check_crc;
  const Image img = source.image(options);
  out.width = img.width, out.height = img.height;
  out.ids.resize(std::size_t(img.width) * std::size_t(img.height));
  const uint8_t* p = img.data.data();
  for (std::size_t i = 0; i < out.ids.size(); ++i, p += img.channels) out.ids[i] = rgb2id(p[0], p[1], p[2]);
}

// Decodes `source` to ids row by row. With `whole`, the rows go into whole->ids and stay there;
// without, into one reused row buffer handed to on_row, for passes that need each row once.
void decode_ids(const PngSource& source, bool check_crc, PanopticIds* whole,
                const PanopticRowFn& on_row, int& width, int& height) {
  thread_local std::vector<uint32_t> one_row;
  auto destination = [&](int y) {
    return whole ? whole->ids.data() + std::size_t(y) * std::size_t(width) : one_row.data();
  };
  auto begin = [&](int w, int h) {
    width = w, height = h;
    if (whole) {
      whole->width = w, whole->height = h;
      whole->ids.resize(std::size_t(w) * std::size_t(h));
    } else {
      one_row.resize(std::size_t(w));
    }
  };
  bool palette = false;
  source.rows(
      [&](const PngHeader& h, int y, const uint8_t* row) {
        if (y == 0) {
          if (h.color_type == 3) palette = true;
          if (palette) return;
          check_layout(h, source.name);
          begin(h.width, h.height);
        }
        if (palette) return;
        uint32_t* dst = destination(y);
        row_to_ids(h, row, dst);
        if (on_row) on_row(y, dst);
      },
      check_crc);
  if (!palette) return;
  if (whole) {  // read_panoptic_png: the map only, no rows to hand over
    read_palette_ids(source, check_crc, *whole);
    width = whole->width, height = whole->height;
    return;
  }
  thread_local PanopticIds expanded;
  read_palette_ids(source, check_crc, expanded);
  width = expanded.width, height = expanded.height;
  for (int y = 0; y < height; ++y) on_row(y, expanded.ids.data() + std::size_t(y) * std::size_t(width));
}

void decode_runs(const PngSource& source, const PanopticRunsFn& on_row, int& width, int& height,
                 bool check_crc) {
  thread_local std::vector<uint32_t> ids, ends, row_ids;
  bool fused = false;    // 8-bit RGB: runs straight from the bytes
  bool palette = false;  // expanded apart, below
  source.rows(
      [&](const PngHeader& h, int y, const uint8_t* row) {
        if (y == 0) {
          palette = h.color_type == 3;
          if (palette) return;
          check_layout(h, source.name);
          fused = h.color_type == 2;
          width = h.width, height = h.height;
          ids.resize(std::size_t(width)), ends.resize(std::size_t(width)), row_ids.resize(std::size_t(width));
        }
        if (palette) return;
        std::size_t runs = 0;
        if (fused) {
          runs = rgb_row_to_runs(row, std::size_t(width), ids.data(), ends.data());
        } else {  // RGBA or grey: ids first
          row_to_ids(h, row, row_ids.data());
          runs = row_runs(row_ids.data(), std::size_t(width), ids.data(), ends.data());
        }
        on_row(y, ids.data(), ends.data(), runs);
      },
      check_crc);
  if (!palette) return;
  // The rows decoded above were palette indices: expand once and hand over each row's runs.
  thread_local PanopticIds expanded;
  read_palette_ids(source, check_crc, expanded);
  width = expanded.width, height = expanded.height;
  ids.resize(std::size_t(width)), ends.resize(std::size_t(width));
  for (int y = 0; y < height; ++y) {
    const uint32_t* row = expanded.ids.data() + std::size_t(y) * std::size_t(width);
    on_row(y, ids.data(), ends.data(), row_runs(row, std::size_t(width), ids.data(), ends.data()));
  }
}

}  // namespace

void read_panoptic_png(const std::string& path, PanopticIds& out, bool check_crc) {
  int width = 0, height = 0;
  decode_ids(PngSource{path}, check_crc, &out, nullptr, width, height);
}

void stream_panoptic_png(const std::string& path, const PanopticRowFn& on_row, int& width,
                         int& height, bool check_crc) {
  decode_ids(PngSource{path}, check_crc, nullptr, on_row, width, height);
}

void stream_panoptic_runs(const std::string& path, const PanopticRunsFn& on_row, int& width,
                          int& height, bool check_crc) {
  decode_runs(PngSource{path}, on_row, width, height, check_crc);
}

void decode_panoptic_png(const uint8_t* bytes, std::size_t size, const std::string& name,
                         PanopticIds& out, bool check_crc) {
  int width = 0, height = 0;
  decode_ids(PngSource{name, bytes, size}, check_crc, &out, nullptr, width, height);
}

void decode_panoptic_runs(const uint8_t* bytes, std::size_t size, const std::string& name,
                          const PanopticRunsFn& on_row, int& width, int& height, bool check_crc) {
  decode_runs(PngSource{name, bytes, size}, on_row, width, height, check_crc);
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
