// One pass over an id map producing the RLE of every non-zero id.
//
// COCO RLE runs over the column-major pixel sequence, but id maps are row-major. Rather than
// transposing every pixel, each row arrives as runs of one id and is merged with the runs of the
// row above: where the two ids differ, the columns under that piece close their vertical run.
// Work is proportional to the runs (a 640x480 panoptic map has a few thousand each way), not to
// the pixels; the column-major walk at the end touches the vertical runs only.
#include <algorithm>

#include "segx/core/blocks.hpp"
#include "segx/mask/label_encoder.hpp"

namespace segx::mask {

namespace {

struct Builder {
  uint64_t end = 0;     // column-major position just past the id's last pixel
  std::size_t filled = 0;  // counts written so far
  Rle rle;
};

// id -> builder: open addressing over a power-of-two table (an image has tens of ids, and the
// column-major walk looks one up at nearly every run; std::unordered_map's bucket walk was the
// largest cost of that walk).
class Builders {
 public:
  // The index of id's builder, made on first use. (Indices, not references: the builders are
  // a vector, which moves them as it grows, and indexing a deque costs a division by the
  // element size at every lookup.)
  std::size_t index_of(uint32_t id) {
    if (2 * (ids_.size() + 1) > slots_.size()) grow();
    std::size_t i = slot_of(id);
    while (slots_[i] != kEmpty) {
      if (ids_[slots_[i]] == id) return slots_[i];
      i = (i + 1) & (slots_.size() - 1);
    }
    slots_[i] = uint32_t(ids_.size());
    ids_.push_back(id);
    builders_.emplace_back();
    return builders_.size() - 1;
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
  std::vector<Builder> builders_;
};

}  // namespace

void LabelEncoder::start(uint32_t height, uint32_t width) {
  height_ = height, width_ = width;
  if (slots_.size() < std::size_t(width) * kSlots) slots_.resize(std::size_t(width) * kSlots);
  runs_in_column_.assign(width, 0);
  spilled_.clear();
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

  // Counting sort of the spilled runs by column (stable: rows stay in order within a column).
  spilled_start_.assign(std::size_t(width_) + 1, 0);
  if (!spilled_.empty()) {
    for (const SpilledRunEnd& s : spilled_) ++spilled_start_[s.x + 1];
    for (x = 0; x < width_; ++x) spilled_start_[x + 1] += spilled_start_[x];
    spilled_by_column_.resize(spilled_.size());
    spill_fill_.assign(spilled_start_.begin(), spilled_start_.end() - 1);
    for (const SpilledRunEnd& s : spilled_) spilled_by_column_[spill_fill_[s.x]++] = s.run;
  }

  // Two walks over the runs in column-major order. The first finds each run's builder (stored
  // in place of the id, plus one: 0 stays background) and counts the runs of each, so that the
  // second writes every mask's counts into room made once.
  Builders builders;
  std::vector<uint32_t> runs_of;  // runs per builder
  uint32_t last = 0, last_id = 0;  // no builder yet: id 0 is never looked up
  for (x = 0; x < width_; ++x)
    for_each_run_end(x, [&](RunEnd& run) {
      if (run.id == 0) return;
      if (run.id != last_id) {
        last_id = run.id;
        last = uint32_t(builders.index_of(run.id));
        runs_of.resize(builders.size());
      }
      ++runs_of[last];
      run.id = last + 1;
    });
  for (std::size_t k = 0; k < builders.size(); ++k)
    builders.builder(k).rle.counts.resize(2 * std::size_t(runs_of[k]) + 1);  // + the trailing zeros
  for (x = 0; x < width_; ++x) {
    const uint64_t column = uint64_t(x) * height_;
    uint32_t start = 0;  // the row the next run starts at
    for_each_run_end(x, [&](const RunEnd& run) {
      if (run.id != 0) {
        Builder& b = builders.builder(run.id - 1);
        uint32_t* counts = b.rle.counts.data();
        const uint64_t pos = column + start, end = column + run.end;
        // A run that continues from the bottom of the previous column is one run in
        // column-major order.
        if (b.filled > 0 && pos == b.end) {
          counts[b.filled - 1] += uint32_t(end - pos);
        } else {
          counts[b.filled++] = uint32_t(pos - b.end);
          counts[b.filled++] = uint32_t(end - pos);
        }
        b.end = end;
      }
      start = run.end;
    });
  }
  const uint64_t n = uint64_t(height_) * width_;
  out.reserve(builders.size());
  for (std::size_t k = 0; k < builders.size(); ++k) {
    Builder& b = builders.builder(k);
    // A mask that ends in foreground has no trailing zero run (as rleEncode).
    if (n > b.end) b.rle.counts[b.filled++] = uint32_t(n - b.end);
    b.rle.counts.resize(b.filled);
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
