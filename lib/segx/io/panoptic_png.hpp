// COCO panoptic PNGs: segment id = R + 256 G + 256^2 B (0 = void), read straight into ids.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "segx/io/png.hpp"

namespace segx::io {

inline uint32_t rgb2id(uint8_t r, uint8_t g, uint8_t b) {
  return uint32_t(r) | uint32_t(g) << 8 | uint32_t(b) << 16;
}
inline std::array<uint8_t, 3> id2rgb(uint32_t id) {
  return {uint8_t(id), uint8_t(id >> 8), uint8_t(id >> 16)};
}

// A segment id per pixel, row-major.
struct PanopticIds {
  int width = 0, height = 0;
  std::vector<uint32_t> ids;
};

// Reads a panoptic PNG: 8-bit RGB or RGBA (alpha ignored, as panopticapi does), palette (colours
// expanded), or 8/16-bit grey (the value is the id). The ids are computed row by row from the
// decoder's buffer, without an intermediate image. Errors as read_png.
PanopticIds read_panoptic_png(const std::string& path, bool check_crc = true);
// The same into a caller's buffer (reused across images by a worker thread).
void read_panoptic_png(const std::string& path, PanopticIds& out, bool check_crc = true);
// Rows of ids handed over one at a time: on_row(y, row), in order.
using PanopticRowFn = std::function<void(int y, const uint32_t* row)>;
// Hands each row of ids to on_row(y, row) without keeping the map: the row buffer is reused, so
// a row is valid only during its call. Sets width and height from the header.
void stream_panoptic_png(const std::string& path, const PanopticRowFn& on_row, int& width,
                         int& height, bool check_crc = true);

// A row as runs of equal ids: run i has id ids[i] and ends before column ends[i]; `runs` of them.
using PanopticRunsFn =
    std::function<void(int y, const uint32_t* ids, const uint32_t* ends, std::size_t runs)>;
// stream_panoptic_png handing over each row as runs (all that PQ's overlap counting and the RLE
// encoding of panoptic2instances need). For 8-bit RGB files the runs are found from the bytes,
// 5 pixels at a time, and ids are computed only where a run ends. The arrays are valid only
// during the call.
void stream_panoptic_runs(const std::string& path, const PanopticRunsFn& on_row, int& width,
                          int& height, bool check_crc = true);

// read_panoptic_png and stream_panoptic_runs over a PNG held in memory; `name` is used in error
// messages.
void decode_panoptic_png(const uint8_t* bytes, std::size_t size, const std::string& name,
                         PanopticIds& out, bool check_crc = true);
void decode_panoptic_runs(const uint8_t* bytes, std::size_t size, const std::string& name,
                          const PanopticRunsFn& on_row, int& width, int& height,
                          bool check_crc = true);

// Encodes ids (< 2^24) as an 8-bit RGB PNG.
Image panoptic_to_image(int width, int height, const uint32_t* ids);
void write_panoptic_png(const std::string& path, int width, int height, const uint32_t* ids,
                        const PngWriteOptions& options = {});

}  // namespace segx::io
