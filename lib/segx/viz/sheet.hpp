// Contact sheets: a grid of pictures, each fitted into an equal cell, with a caption under each.
#pragma once
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace segx::viz {

struct SheetTile {
  cv::Mat3b image;
  std::string caption;
};

struct SheetStyle {
  int columns = 0;  // 0: about square, at most 8
  int cell_width =
      320;  // pixels per cell; the height follows the widest aspect ratio, at most 4:3 tall
  std::string title;  // a strip above the grid when not empty
};

// The number of columns a sheet of n tiles uses.
int sheet_columns(std::size_t n, int requested);

cv::Mat3b render_contact_sheet(const std::vector<SheetTile>& tiles, const SheetStyle& style);

}  // namespace segx::viz
