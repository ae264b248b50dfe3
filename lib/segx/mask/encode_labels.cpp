// One pass over an id map producing the RLE of every non-zero id.
//
// COCO RLE runs over the column-major pixel sequence, but id maps are row-major. Rather than
// transposing every pixel, each row arrives as runs of one id and is merged with the runs of the
// row above: where the two ids differ, the columns under that piece close their vertical run.
// Work is proportional to the runs (a 640x480 panoptic map has a few thousand each way), not to
// the pixels; the column-major walk at the end touches the vertical runs only.
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
  above_ids_.clear(), above_ends_.clear();
}

void LabelEncoder::add_row(uint32_t y, const uint32_t* ids, const uint32_t* ends, std::size_t runs) {
  if (y > 0) {
    std::size_t a = 0, b = 0;
    uint32_t x = 0;
    while (x < width_) {
      const uint32_t end = std::min(above_ends_[a], ends[b]);
      if (above_ids_[a] != ids[b])
        for (uint32_t k = x; k < end; ++k) close(k, above_ids_[a], y);
      x = end;
      if (above_ends_[a] == end) ++a;
      if (ends[b] == end) ++b;
    }
  }
  above_ids_.assign(ids, ids + runs);
  above_ends_.assign(ends, ends + runs);
}

std::vector<std::pair<uint32_t, Rle>> LabelEncoder::finish() {
  std::vector<std::pair<uint32_t, Rle>> out;
  if (height_ == 0 || width_ == 0) return out;
  uint32_t x = 0;
  for (std::size_t r = 0; r < above_ids_.size(); ++r)
    for (; x < above_ends_[r]; ++x) close(x, above_ids_[r], height_);

  std::unordered_map<uint32_t, Builder> builders;
  Builder* last = nullptr;
  uint32_t last_id = 0;
  for (x = 0; x < width_; ++x) {
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
  thread_local std::vector<uint32_t> run_ids, run_ends;
  run_ids.resize(width), run_ends.resize(width);
  encoder.start(height, width);
  for (uint32_t y = 0; y < height; ++y) {
    const std::size_t runs = row_runs(ids + std::size_t(y) * width, width, run_ids.data(), run_ends.data());
    encoder.add_row(y, run_ids.data(), run_ends.data(), runs);
  }
  return encoder.finish();
}

}  // namespace segx::mask
