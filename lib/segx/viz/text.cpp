// Hershey-font text helpers for segx::viz.
#include "segx/viz/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace segx::viz {

namespace {

constexpr int kFace = cv::FONT_HERSHEY_SIMPLEX;

std::string ascii(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) out += (c >= 32 && c < 127) ? static_cast<char>(c) : '?';
  return out;
}

}  // namespace

Font font_of_height(int pixels) {
  int baseline = 0;
  static const int unit = cv::getTextSize("H", kFace, 1.0, 1, &baseline).height;  // ~22 px
  Font f;
  f.scale = std::max(0.25, static_cast<double>(pixels) / unit);
  f.thickness = pixels >= 18 ? 2 : 1;
  return f;
}

cv::Size text_extent(const std::string& text, const Font& font) {
  int baseline = 0;
  cv::Size s = cv::getTextSize(ascii(text), kFace, font.scale, font.thickness, &baseline);
  // Hershey's "height" is the cap height; descenders (g, p, y) need the baseline part too.
  return {s.width, s.height + baseline};
}

void draw_text(cv::Mat3b& canvas, const std::string& text, cv::Point top_left, const Font& font,
               Rgb color) {
  int baseline = 0;
  cv::Size s = cv::getTextSize(ascii(text), kFace, font.scale, font.thickness, &baseline);
  cv::putText(canvas, ascii(text), {top_left.x, top_left.y + s.height}, kFace, font.scale,
              to_scalar(color), font.thickness, cv::LINE_AA);
}

std::string fit_text(const std::string& text, int max_width, const Font& font) {
  if (text_extent(text, font).width <= max_width) return text;
  std::string cut = text;
  while (!cut.empty() && text_extent(cut + "..", font).width > max_width) cut.pop_back();
  return cut.empty() ? std::string() : cut + "..";
}

cv::Size text_box_extent(const std::string& text, const Font& font, int padding) {
  cv::Size s = text_extent(text, font);
  return {s.width + 2 * padding, s.height + 2 * padding};
}

cv::Rect draw_text_box(cv::Mat3b& canvas, const std::string& text, cv::Point top_left,
                       const Font& font, Rgb text_color, Rgb box_color, int padding) {
  cv::Size box = text_box_extent(text, font, padding);
  int x = std::clamp(top_left.x, 0, std::max(0, canvas.cols - box.width));
  int y = std::clamp(top_left.y, 0, std::max(0, canvas.rows - box.height));
  cv::Rect rect(x, y, box.width, box.height);
  cv::rectangle(canvas, rect, to_scalar(box_color), cv::FILLED);
  draw_text(canvas, text, {x + padding, y + padding}, font, text_color);
  return rect & cv::Rect(0, 0, canvas.cols, canvas.rows);
}

cv::Mat3b vertical_text(const std::string& text, const Font& font, Rgb color, Rgb background) {
  cv::Size s = text_extent(text, font);
  cv::Mat3b flat(std::max(1, s.height), std::max(1, s.width), to_bgr(background));
  draw_text(flat, text, {0, 0}, font, color);
  cv::Mat3b turned;
  cv::rotate(flat, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
  return turned;
}

std::string format_number(double v, int significant) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  if (v == 0) return "0";
  double a = std::abs(v);
  if (a >= 1e4 && a < 1e6 && std::abs(v / 1e3 - std::round(v / 1e3)) < 1e-9)
    return fmt::format("{}k", static_cast<long long>(std::llround(v / 1e3)));
  if (a >= 1e6 || a < 1e-3) return fmt::format("{:.{}g}", v, significant);
  return fmt::format("{:.{}g}", v,
                     std::max(significant, static_cast<int>(std::floor(std::log10(a))) + 1));
}

}  // namespace segx::viz
