// Palette, shades and colour maps for segx::viz.
#include "segx/viz/color.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace segx::viz {

namespace {

Rgb from_hsv(double h, double s, double v) {
  h = h - std::floor(h);
  double i = std::floor(h * 6.0), f = h * 6.0 - i;
  double p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  double r = v, g = t, b = p;
  switch (static_cast<int>(i) % 6) {
    case 0:
      r = v, g = t, b = p;
      break;
    case 1:
      r = q, g = v, b = p;
      break;
    case 2:
      r = p, g = v, b = t;
      break;
    case 3:
      r = p, g = q, b = v;
      break;
    case 4:
      r = t, g = p, b = v;
      break;
    default:
      r = v, g = p, b = q;
      break;
  }
  auto u8 = [](double x) {
    return static_cast<std::uint8_t>(std::lround(std::clamp(x, 0.0, 1.0) * 255));
  };
  return {u8(r), u8(g), u8(b)};
}

}  // namespace

Rgb palette_color(std::int64_t id) {
  static constexpr double kGolden = 0.6180339887498949;
  static constexpr std::array<double, 3> kSat = {0.75, 0.55, 0.90};
  static constexpr std::array<double, 3> kVal = {0.95, 0.80, 0.65};
  auto k = static_cast<std::uint64_t>(id < 0 ? -id : id);
  double hue = std::fmod(0.13 + static_cast<double>(k) * kGolden, 1.0);
  return from_hsv(hue, kSat[k % 3], kVal[(k / 3) % 3]);
}

Rgb lighten(Rgb c, double amount) {
  auto mix = [amount](int v) {
    double target = amount > 0 ? 255.0 : 0.0;
    double a = std::min(1.0, std::abs(amount));
    return static_cast<std::uint8_t>(std::lround(v + (target - v) * a));
  };
  return {mix(c.r), mix(c.g), mix(c.b)};
}

Rgb instance_shade(Rgb base, int k) {
  if (k <= 0) return base;
  // 1 -> +0.30, 2 -> -0.30, 3 -> +0.50, 4 -> -0.45, then repeating with small offsets.
  static constexpr std::array<double, 8> kSteps = {0.30, -0.30, 0.50, -0.45,
                                                   0.15, -0.15, 0.65, -0.60};
  return lighten(base, kSteps[static_cast<std::size_t>(k - 1) % kSteps.size()]);
}

Rgb contrast_text(Rgb bg) {
  double luma = 0.299 * bg.r + 0.587 * bg.g + 0.114 * bg.b;
  return luma > 150 ? Rgb{0, 0, 0} : Rgb{255, 255, 255};
}

Rgb viridis(double t) {
  // Viridis sampled at 9 points; linear interpolation between them is indistinguishable by eye.
  static constexpr std::array<std::array<double, 3>, 9> kStops = {{{68, 1, 84},
                                                                   {71, 44, 122},
                                                                   {59, 81, 139},
                                                                   {44, 113, 142},
                                                                   {33, 144, 141},
                                                                   {39, 173, 129},
                                                                   {92, 200, 99},
                                                                   {170, 220, 50},
                                                                   {253, 231, 37}}};
  if (!(t >= 0)) t = 0;  // NaN too
  t = std::min(t, 1.0) * (kStops.size() - 1);
  auto i = std::min<std::size_t>(static_cast<std::size_t>(t), kStops.size() - 2);
  double f = t - static_cast<double>(i);
  auto ch = [&](int c) {
    return static_cast<std::uint8_t>(
        std::lround(kStops[i][c] + (kStops[i + 1][c] - kStops[i][c]) * f));
  };
  return {ch(0), ch(1), ch(2)};
}

Rgb series_color(std::size_t i) {
  static constexpr std::array<Rgb, 10> kTableau = {{{31, 119, 180},
                                                    {255, 127, 14},
                                                    {44, 160, 44},
                                                    {214, 39, 40},
                                                    {148, 103, 189},
                                                    {140, 86, 75},
                                                    {227, 119, 194},
                                                    {127, 127, 127},
                                                    {188, 189, 34},
                                                    {23, 190, 207}}};
  return kTableau[i % kTableau.size()];
}

}  // namespace segx::viz
