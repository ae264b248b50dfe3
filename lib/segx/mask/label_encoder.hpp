// The RLE of every non-zero id of a row-major id map, built from rows handed over one at a time
// as runs (so that a PNG decoder can pass each row on as it decodes it, without an id map; see
// io::stream_panoptic_runs). encode_labels in rle.hpp is the whole-map form.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "segx/mask/rle.hpp"

namespace segx::mask {

class LabelEncoder {
 public:
  // Begins a map of height x width pixels; buffers are kept across maps.
  void start(uint32_t height, uint32_t width);
  // Row y, in order from 0, as runs: run i has id ids[i] and ends before column ends[i]; the
  // last run ends at the width.
  void add_row(uint32_t y, const uint32_t* ids, const uint32_t* ends, std::size_t runs);
  // Closes every column's run at the bottom and returns the masks sorted by id.
  std::vector<std::pair<uint32_t, Rle>> finish();

 private:
  // The end of a vertical run of one id in a column. A column's runs are recorded top to bottom,
  // each starting where the one before it ended (the first at row 0), so the start is not kept.
  struct RunEnd {
    uint32_t id, end;
  };
  struct SpilledRunEnd {
    uint32_t x;
    RunEnd run;
  };
  // Each column has room for kSlots run ends, in one array: closing a run is one store, and the
  // runs come out by column with no sort. A column with more runs spills the rest, which are
  // sorted by column (stably) at the end.
  static constexpr uint32_t kSlots = 64;
  void close(uint32_t x, uint32_t id, uint32_t y) {
    uint32_t& n = runs_in_column_[x];
    if (n < kSlots) {
      slots_[std::size_t(x) * kSlots + n++] = {id, y};
    } else {
      spilled_.push_back({x, {id, y}});
    }
  }

  // Calls f(RunEnd&) for column x's runs, top to bottom (once the spilled ones are sorted).
  template <typename F>
  void for_each_run_end(uint32_t x, F&& f) {
    RunEnd* in_place = slots_.data() + std::size_t(x) * kSlots;
    for (RunEnd* r = in_place; r < in_place + runs_in_column_[x]; ++r) f(*r);
    for (uint32_t k = spilled_start_[x]; k < spilled_start_[x + 1]; ++k) f(spilled_by_column_[k]);
  }

  uint32_t height_ = 0, width_ = 0;
  std::vector<RunEnd> slots_;                      // width x kSlots
  std::vector<uint32_t> runs_in_column_;           // slots used, per column
  std::vector<SpilledRunEnd> spilled_;             // in the order they closed (row by row)
  std::vector<RunEnd> spilled_by_column_;          // the same sorted by column, then row
  std::vector<uint32_t> spilled_start_;            // first spilled run of each column
  std::vector<uint32_t> spill_fill_;               // where the sort puts each column's next one
  std::vector<uint32_t> above_ids_, above_ends_;   // the previous row's runs
};

}  // namespace segx::mask
