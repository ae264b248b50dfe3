// Legend and title strips for segx::viz pictures.
#include "segx/viz/legend.hpp"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace segx::viz {

cv::Mat3b render_legend(const std::vector<LegendEntry>& entries, int width, const Font& font) {
  if (entries.empty() || width <= 0) return {};
  const int text_h = text_extent("Hg", font).height;
  const int swatch = text_h + 2, gap = std::max(4, text_h / 2), margin = gap, row_h = swatch + gap;
  const int max_text = std::max(10, width - 2 * margin - swatch - gap);
  struct Placed {
    cv::Point at;
    std::string text;
  };
  std::vector<Placed> placed;
  int x = margin, y = margin;
  for (const auto& e : entries) {
    std::string text = fit_text(e.text, max_text, font);
    int w = swatch + gap / 2 + text_extent(text, font).width;
    if (x > margin && x + w > width - margin) {
      x = margin;
      y += row_h;
    }
    placed.push_back({{x, y}, text});
    x += w + 2 * gap;
  }
  cv::Mat3b strip(y + row_h + margin - gap, width, to_bgr(kPanelBackground));
  for (std::size_t i = 0; i < entries.size(); ++i) {
    cv::Rect box(placed[i].at.x, placed[i].at.y, swatch, swatch);
    cv::rectangle(strip, box, to_scalar(entries[i].color), cv::FILLED);
    if (entries[i].hatched) {
      for (int yy = box.y; yy < box.y + box.height; ++yy)
        for (int xx = box.x; xx < box.x + box.width; ++xx)
          if (!hatch_at(xx, yy)) strip(yy, xx) = to_bgr(kPanelBackground);
    }
    cv::rectangle(strip, box, to_scalar(kPanelText), 1);
    int ty = placed[i].at.y + (swatch - text_h) / 2;
    draw_text(strip, placed[i].text, {placed[i].at.x + swatch + gap / 2, ty}, font, kPanelText);
  }
  return strip;
}

cv::Mat3b stack_vertically(const std::vector<cv::Mat3b>& parts, Rgb background) {
  int width = 0, height = 0;
  for (const auto& p : parts) {
    width = std::max(width, p.cols);
    height += p.rows;
  }
  cv::Mat3b out(std::max(height, 1), std::max(width, 1), to_bgr(background));
  int y = 0;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    p.copyTo(out(cv::Rect(0, y, p.cols, p.rows)));
    y += p.rows;
  }
  return out;
}

cv::Mat3b render_title(const std::string& title, int width, const Font& font) {
  const int pad = std::max(4, text_extent("Hg", font).height / 2);
  std::string text = fit_text(title, width - 2 * pad, font);
  cv::Size s = text_extent(text, font);
  cv::Mat3b strip(s.height + 2 * pad, width, to_bgr(kPanelBackground));
  draw_text(strip, text, {(width - s.width) / 2, pad}, font, kPanelText);
  return strip;
}

}  // namespace segx::viz
