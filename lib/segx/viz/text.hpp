// Text on pictures with OpenCV's Hershey font: sizes given in pixels, measured before drawing so
// that layouts can make room for every label (nothing cut off), ASCII only (others become '?').
#pragma once
#include <opencv2/core.hpp>

#include <string>

#include "segx/viz/color.hpp"

namespace segx::viz {

struct Font {
  double scale = 0.5;
  int thickness = 1;
};

// A font whose capital letters are about `pixels` tall.
Font font_of_height(int pixels);

// Width and full height (ascent + descent) of a line of text.
cv::Size text_extent(const std::string& text, const Font& font);

// Draws text with its top-left corner at `top_left` (anti-aliased).
void draw_text(cv::Mat3b& canvas, const std::string& text, cv::Point top_left, const Font& font,
               Rgb color);

// Shortens text with a trailing ".." so that it fits into max_width pixels.
std::string fit_text(const std::string& text, int max_width, const Font& font);

// Draws text on a filled box (padding around the text) whose top-left corner is `top_left`,
// moved inside the canvas where it would stick out; returns the box.
cv::Rect draw_text_box(cv::Mat3b& canvas, const std::string& text, cv::Point top_left,
                       const Font& font, Rgb text_color, Rgb box_color, int padding);

// The size of the box draw_text_box would draw.
cv::Size text_box_extent(const std::string& text, const Font& font, int padding);

// Text rendered on its own canvas and turned 90 degrees counter-clockwise (reads bottom to top).
cv::Mat3b vertical_text(const std::string& text, const Font& font, Rgb color, Rgb background);

// Formats a number compactly for ticks and labels ("0.25", "1.5k", "3e-05").
std::string format_number(double v, int significant = 3);

}  // namespace segx::viz
