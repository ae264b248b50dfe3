// One pass over an id map producing the RLE of every non-zero id.
//
// COCO RLE runs over the column-major pixel sequence, but id maps are row-major. Rather than
// transposing every pixel, each row arrives as runs of one id and is merged with the runs of the
// row above: where the two ids differ, the columns under that piece close their vertical run.
// Work is proportional to the runs (a 640x480 panoptic map has a few thousand each way), not to
// the pixels; the column-major walk at the end touches the vertical runs only.
#include <algorithm>
#include <deque>

#include "segx/core/blocks.hpp"
#include "segx/mask/label_encoder.hpp"

namespace segx::mask {

namespace {

struct Builder {
  uint64_t end = 0;  // column-major position just past the id's last pixel
  Rle rle;
};

// id -> builder: open addressing over a power-of-two table (an image has tens of ids, and the
// column-major walk looks one up at nearly every run; std::unordered_map's bucket walk was the
// largest cost of that walk).
class Builders {
 public:
  Builder& operator[](uint32_t id) {
    if (2 * (ids_.size() + 1) > slots_.size()) grow();
    std::size_t i = slot_of(id);
    while (slots_[i] != kEmpty) {
      if (ids_[slots_[i]] == id) return builders_[slots_[i]];
      i = (i + 1) & (slots_.size() - 1);
    }
    slots_[i] = uint32_t(ids_.size());
    ids_.push_back(id);
    builders_.emplace_back();
    return builders_.back();
  }
  std::size_t size() const { return ids_.size(); }
  uint32_t id(std::size_t k) const { return ids_[k]; }
  Builder& builder(std::size_t k) { return builders_[k]; }

 private:
  static constexpr uint32_t kEmpty = ~uint32_t(0);
  std::size_t slot_of(uint32_t id) const {
    return std::size_t((id * 2654435761u) >> 8) & (slots_.size() - 1);
  }
  void grow() {
    slots_.assign(std::max<std::size_t>(64, slots_.size() * 2), kEmpty);
    for (uint32_t k = 0; k < ids_.size(); ++k) {
      std::size_t i = slot_of(ids_[k]);
      while (slots_[i] != kEmpty) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = k;
    }
  }
  std::vector<uint32_t> slots_, ids_;
  std::deque<Builder> builders_;  // references stay valid as it grows
};

}  // namespace

void LabelEncoder::start(uint32_t height, uint32_t width) {
  height_ = height, width_ = width;
  closed_.clear();
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

  // Counting sort of the closed runs by column (stable: rows stay in order within a column).
  column_start_.assign(std::size_t(width_) + 1, 0);
  for (const ColumnRun& run : closed_) ++column_start_[run.x + 1];
  for (x = 0; x < width_; ++x) column_start_[x + 1] += column_start_[x];
  by_column_.resize(closed_.size());
  {
    std::vector<uint32_t>& next = open_since_;  // reused as the fill position of each column
    next.assign(column_start_.begin(), column_start_.end() - 1);
    for (const ColumnRun& run : closed_) by_column_[next[run.x]++] = run;
  }

  Builders builders;
  Builder* last = nullptr;
  uint32_t last_id = 0;
  for (x = 0; x < width_; ++x) {
    const uint64_t column = uint64_t(x) * height_;
    for (uint32_t r = column_start_[x]; r < column_start_[x + 1]; ++r) {
      const ColumnRun& run = by_column_[r];
      if (run.id == 0) continue;
      if (!last || run.id != last_id) {
        last = &builders[run.id];
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
  for (std::size_t k = 0; k < builders.size(); ++k) {
    Builder& b = builders.builder(k);
    // A mask that ends in foreground has no trailing zero run (as rleEncode).
    if (n > b.end) b.rle.counts.push_back(uint32_t(n - b.end));
    b.rle.height = height_, b.rle.width = width_;
    out.emplace_back(builders.id(k), std::move(b.rle));
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
