// Contact sheet layout for segx::viz.
#include "segx/viz/sheet.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "segx/core/error.hpp"
#include "segx/viz/legend.hpp"
#include "segx/viz/text.hpp"

namespace segx::viz {

int sheet_columns(std::size_t n, int requested) {
  if (requested > 0) return requested;
  if (n == 0) return 1;
  int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n) * 1.33)));
  return std::clamp(cols, 1, std::min<int>(8, static_cast<int>(n)));
}

cv::Mat3b render_contact_sheet(const std::vector<SheetTile>& tiles, const SheetStyle& style) {
  if (tiles.empty()) fail(ErrorKind::Usage, "a contact sheet needs at least one picture");
  const int cols = sheet_columns(tiles.size(), style.columns);
  const int rows = static_cast<int>((tiles.size() + cols - 1) / cols);
  const int cell_w = std::max(64, style.cell_width);
  double tallest =
      0;  // height / width over the tiles, bounded so one odd picture cannot blow up the grid
  for (const auto& t : tiles)
    if (!t.image.empty())
      tallest = std::max(tallest, static_cast<double>(t.image.rows) / t.image.cols);
  const int cell_h = static_cast<int>(std::lround(cell_w * std::clamp(tallest, 0.25, 1.0)));
  const Font font = font_of_height(std::clamp(cell_w / 24, 10, 16));
  const int text_h = text_extent("Hg", font).height, pad = std::max(4, text_h / 2);
  const int caption_h = text_h + 2 * pad, gap = 6;
  const int width = cols * cell_w + (cols + 1) * gap;
  cv::Mat3b grid(rows * (cell_h + caption_h) + (rows + 1) * gap, width, to_bgr(kPanelBackground));
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    int c = static_cast<int>(i) % cols, r = static_cast<int>(i) / cols;
    cv::Rect cell(gap + c * (cell_w + gap), gap + r * (cell_h + caption_h + gap), cell_w, cell_h);
    const cv::Mat3b& img = tiles[i].image;
    if (!img.empty()) {
      double s =
          std::min(static_cast<double>(cell_w) / img.cols, static_cast<double>(cell_h) / img.rows);
      cv::Size fit(std::max(1, static_cast<int>(std::lround(img.cols * s))),
                   std::max(1, static_cast<int>(std::lround(img.rows * s))));
      cv::Mat3b scaled;
      cv::resize(img, scaled, fit, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
      scaled.copyTo(grid(cv::Rect(cell.x + (cell_w - fit.width) / 2,
                                  cell.y + (cell_h - fit.height) / 2, fit.width, fit.height)));
    }
    std::string caption = fit_text(tiles[i].caption, cell_w - 2 * pad, font);
    int tw = text_extent(caption, font).width;
    draw_text(grid, caption, {cell.x + (cell_w - tw) / 2, cell.y + cell_h + pad}, font, kPanelText);
  }
  if (style.title.empty()) return grid;
  return stack_vertically(
      {render_title(style.title, grid.cols, font_of_height(std::clamp(cell_w / 16, 12, 22))), grid},
      kPanelBackground);
}

}  // namespace segx::viz
