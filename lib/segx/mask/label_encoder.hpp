// The RLE of every non-zero id of a row-major id map, built from rows handed over one at a time,
// so that a PNG decoder can pass each row on while it is still in cache (encode_labels in rle.hpp
// is the whole-map form).
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
  // Row y, in order from 0. `above` is row y-1 and must still hold its values (unused for y 0).
  void add_row(uint32_t y, const uint32_t* row, const uint32_t* above);
  // Closes every column's run at the bottom (`last_row` is row height-1) and returns the masks
  // sorted by id.
  std::vector<std::pair<uint32_t, Rle>> finish(const uint32_t* last_row);

 private:
  // A vertical run of one id in one column: rows [start, end).
  struct ColumnRun {
    uint32_t id, start, end;
  };
  void close(uint32_t x, uint32_t id, uint32_t y) {
    columns_[x].push_back({id, open_since_[x], y});
    open_since_[x] = y;
  }

  uint32_t height_ = 0, width_ = 0;
  std::vector<std::vector<ColumnRun>> columns_;
  std::vector<uint32_t> open_since_;  // row at which each column's current run began
};

}  // namespace segx::mask
