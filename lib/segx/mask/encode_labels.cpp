// One pass over an id map producing the RLE of every non-zero id.
//
// COCO RLE runs over the column-major pixel sequence, but id maps are row-major. Rather than
// transposing every pixel, the rows are read in their own order and compared with the row above:
// a pixel that differs from the one above closes that column's current run. Runs are far fewer
// than pixels (a 640x480 panoptic map has a few thousand), so the column-major walk at the end
// touches runs only, and the per-pixel work is a compare done 16 pixels at a time.
#include <algorithm>
#include <unordered_map>

#include "segx/core/blocks.hpp"
#include "segx/mask/label_encoder.hpp"

namespace segx::mask {

namespace {

struct Builder {
  uint64_t end = 0;  // column-major position just past the id's last pixel
  Rle rle;
};

}  // namespace

void LabelEncoder::start(uint32_t height, uint32_t width) {
  height_ = height, width_ = width;
  if (columns_.size() < width) columns_.resize(width);
  for (uint32_t x = 0; x < width; ++x) columns_[x].clear();
  open_since_.assign(width, 0);
}

void LabelEncoder::add_row(uint32_t y, const uint32_t* row, const uint32_t* above) {
  if (y == 0) return;
  uint32_t x = 0;
  // Blocks with no change from the row above are the common case.
  for (; x + 16 <= width_; x += 16) {
    if (equal16(row + x, above + x)) continue;
    for (uint32_t k = x; k < x + 16; ++k)
      if (row[k] != above[k]) close(k, above[k], y);
  }
  for (; x < width_; ++x)
    if (row[x] != above[x]) close(x, above[x], y);
}

std::vector<std::pair<uint32_t, Rle>> LabelEncoder::finish(const uint32_t* last_row) {
  std::vector<std::pair<uint32_t, Rle>> out;
  if (height_ == 0 || width_ == 0) return out;
  for (uint32_t x = 0; x < width_; ++x) close(x, last_row[x], height_);

  std::unordered_map<uint32_t, Builder> builders;
  Builder* last = nullptr;
  uint32_t last_id = 0;
  for (uint32_t x = 0; x < width_; ++x) {
    const uint64_t column = uint64_t(x) * height_;
    for (const ColumnRun& run : columns_[x]) {
      if (run.id == 0) continue;
      if (!last || run.id != last_id) {
        auto [it, fresh] = builders.try_emplace(run.id);
        if (fresh) it->second.rle = Rle{height_, width_, {}};
        last = &it->second;
        last_id = run.id;
      }
      const uint64_t pos = column + run.start, end = column + run.end;
      auto& counts = last->rle.counts;
      // A run that continues from the bottom of the previous column is one run in column-major
      // order.
      if (!counts.empty() && pos == last->end) {
        counts.back() += uint32_t(end - pos);
      } else {
        counts.push_back(uint32_t(pos - last->end));
        counts.push_back(uint32_t(end - pos));
      }
      last->end = end;
    }
  }
  const uint64_t n = uint64_t(height_) * width_;
  out.reserve(builders.size());
  for (auto& [id, b] : builders) {
    // A mask that ends in foreground has no trailing zero run (as rleEncode).
    if (n > b.end) b.rle.counts.push_back(uint32_t(n - b.end));
    out.emplace_back(id, std::move(b.rle));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<std::pair<uint32_t, Rle>> encode_labels(const uint32_t* ids, uint32_t height,
                                                    uint32_t width) {
  thread_local LabelEncoder encoder;
  encoder.start(height, width);
  for (uint32_t y = 0; y < height; ++y)
    encoder.add_row(y, ids + std::size_t(y) * width, y ? ids + std::size_t(y - 1) * width : nullptr);
  return encoder.finish(height ? ids + std::size_t(height - 1) * width : nullptr);
}

}  // namespace segx::mask
