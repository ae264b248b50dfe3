// Colours for pictures: stable per-category colours (the dataset's where given, else a
// deterministic palette keyed by the category id), instance shades, alpha blending. Colours are RGB
// here and turned into OpenCV's BGR order only where pixels are written.
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace segx::viz {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(Rgb a, Rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; }
  friend bool operator!=(Rgb a, Rgb b) { return !(a == b); }
};

inline cv::Vec3b to_bgr(Rgb c) {
  return {c.b, c.g, c.r};
}
inline cv::Scalar to_scalar(Rgb c) {
  return cv::Scalar(c.b, c.g, c.r);
}

// A colour for category `id` that does not depend on which other categories exist: hues step by
// the golden ratio so that neighbouring ids get far-apart hues, with three saturation/value levels.
Rgb palette_color(std::int64_t id);

// The k-th instance of a category gets a lighter or darker shade of the category colour,
// alternating so that touching instances of one class stay apart; k = 0 is the category colour
// itself.
Rgb instance_shade(Rgb base, int k);

// Mixes `amount` (0..1) of white (amount > 0) or black (amount < 0) into a colour.
Rgb lighten(Rgb c, double amount);

// Text colour (black or white) that reads best on `background`.
Rgb contrast_text(Rgb background);

// out = (1 - alpha) * pixel + alpha * colour, rounded; the rule every overlay uses.
inline cv::Vec3b blend(cv::Vec3b pixel, Rgb c, double alpha) {
  auto mix = [alpha](int p, int q) {
    return static_cast<std::uint8_t>(
        cv::saturate_cast<std::uint8_t>((1.0 - alpha) * p + alpha * q));
  };
  return {mix(pixel[0], c.b), mix(pixel[1], c.g), mix(pixel[2], c.r)};
}

// A sequential colour map (viridis) for heat maps and colour bars, t in [0, 1].
Rgb viridis(double t);

// Fixed, well-separated colours for chart series (Tableau 10).
Rgb series_color(std::size_t i);

}  // namespace segx::viz
