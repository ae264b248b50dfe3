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
  // A vertical run of one id in column x: rows [start, end).
  struct ColumnRun {
    uint32_t x, id, start, end;
  };
  void close(uint32_t x, uint32_t id, uint32_t y) {
    closed_.push_back({x, id, open_since_[x], y});
    open_since_[x] = y;
  }

  uint32_t height_ = 0, width_ = 0;
  std::vector<ColumnRun> closed_;                 // in the order they closed (row by row)
  std::vector<ColumnRun> by_column_;              // the same sorted by column, then row
  std::vector<uint32_t> column_start_;            // first run of each column in by_column_
  std::vector<uint32_t> open_since_;              // row at which each column's current run began
  std::vector<uint32_t> above_ids_, above_ends_;  // the previous row's runs
};

}  // namespace segx::mask
