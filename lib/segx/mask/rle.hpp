// COCO-compatible run-length encoding of binary masks (the RLE of pycocotools' maskApi):
// runs over the column-major pixel sequence, starting with a run of zeros.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace segx::mask {

// counts alternate background/foreground runs; counts[0] may be 0 (mask starts with a 1).
struct Rle {
  uint32_t height = 0;
  uint32_t width = 0;
  std::vector<uint32_t> counts;

  bool operator==(const Rle& o) const {
    return height == o.height && width == o.width && counts == o.counts;
  }
  bool operator!=(const Rle& o) const { return !(*this == o); }
};

// A box as COCO writes it: x, y, width, height.
using Box = std::array<double, 4>;

// Encoding. Non-zero bytes are foreground.
Rle encode_column_major(const uint8_t* bits, uint32_t height, uint32_t width);
Rle encode_row_major(const uint8_t* bits, uint32_t height, uint32_t width);
// The mask of one label `id` in a row-major id map (e.g. a decoded panoptic PNG).
Rle encode_label(const uint32_t* ids, uint32_t height, uint32_t width, uint32_t id);
// Every distinct non-zero id of a row-major id map in one pass, sorted by id.
std::vector<std::pair<uint32_t, Rle>> encode_labels(const uint32_t* ids, uint32_t height,
                                                    uint32_t width);

// Decoding to 0/1 bytes.
std::vector<uint8_t> decode_column_major(const Rle& rle);
std::vector<uint8_t> decode_row_major(const Rle& rle);

// The compressed `counts` string of pycocotools (rleToString / rleFrString).
std::string to_string(const Rle& rle);
// The same written to `out`, which needs room for kMaxCharsPerCount * counts.size() characters;
// returns how many it wrote (no terminating zero). For writers that reuse one buffer.
constexpr std::size_t kMaxCharsPerCount = 7;  // a 32-bit count's difference with its sign: 33 bits
std::size_t write_string(const Rle& rle, char* out);
// Throws Error(DataError) on characters outside the alphabet or a truncated value.
Rle from_string(std::string_view counts, uint32_t height, uint32_t width);
// The same into `out`, reusing its storage (for decoding many masks with one scratch buffer).
void decode_string(std::string_view counts, uint32_t height, uint32_t width, Rle& out);
// Uncompressed counts as given (pycocotools frUncompressedRLE).
Rle from_counts(std::vector<uint32_t> counts, uint32_t height, uint32_t width);

// True when the runs cover exactly height*width pixels.
bool covers_image(const Rle& rle);

// Foreground pixel count (rleArea).
uint64_t area(const Rle& rle);
// Tight bounding box (rleToBbox); all zero for an empty mask.
Box to_bbox(const Rle& rle);
// Union (or intersection) of masks of one size (rleMerge); an empty Rle when sizes differ.
Rle merge(const std::vector<Rle>& rles, bool intersect = false);

}  // namespace segx::mask
