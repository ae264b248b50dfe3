// Legends: a strip of colour swatches with names, wrapped into as many rows as the width needs,
// drawn below a picture so that it never hides any of it.
#pragma once
#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "segx/viz/color.hpp"
#include "segx/viz/text.hpp"

namespace segx::viz {

struct LegendEntry {
  Rgb color;
  std::string text;
  bool hatched = false;  // crowd / void entries
};

// A legend of the given width; entries keep their order. Empty entries give an empty Mat.
cv::Mat3b render_legend(const std::vector<LegendEntry>& entries, int width, const Font& font);

// Stacks pictures vertically, padding narrower ones on the right with `background`.
cv::Mat3b stack_vertically(const std::vector<cv::Mat3b>& parts, Rgb background);

// A strip of the given width with a centred title.
cv::Mat3b render_title(const std::string& title, int width, const Font& font);

// Colours shared by the strips around pictures.
inline constexpr Rgb kPanelBackground{30, 30, 30};
inline constexpr Rgb kPanelText{240, 240, 240};

// Marks hatch pixels: diagonal stripes two pixels wide every six.
inline bool hatch_at(int x, int y) {
  return (x + y) % 6 < 2;
}

}  // namespace segx::viz
