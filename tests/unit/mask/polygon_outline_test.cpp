// Polygon rasterisation without a materialised outline (found by tests/fuzz/fuzz_polygons: a
// vertex at 4e8 asked for 34 GB): the crossings equal those of pycocotools' dense walk, here
// transcribed from maskApi.c's rleFrPoly, on random polygons in and around the image, and
// vertices far outside the image (or NaN) cost neither memory nor time.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>

#include "segx/mask/polygon.hpp"

namespace segx::mask {
namespace {

// maskApi.c's rleFrPoly, line for line, for coordinates small enough for its int arithmetic.
Rle dense_reference(const std::vector<double>& xy, uint32_t h, uint32_t w) {
  const double scale = 5;
  const std::size_t k = xy.size() / 2;
  std::vector<int> x(k + 1), y(k + 1);
  for (std::size_t j = 0; j < k; ++j) x[j] = int(scale * xy[j * 2 + 0] + .5);
  for (std::size_t j = 0; j < k; ++j) y[j] = int(scale * xy[j * 2 + 1] + .5);
  x[k] = x[0], y[k] = y[0];
  std::vector<int> u, v;
  for (std::size_t j = 0; j < k; ++j) {
    int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
    const int dx = std::abs(xe - xs), dy = std::abs(ys - ye);
    const bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) std::swap(xs, xe), std::swap(ys, ye);
    const double s = dx >= dy ? double(ye - ys) / dx : double(xe - xs) / dy;
    if (dx >= dy) {
      for (int d = 0; d <= dx; ++d) {
        const int t = flip ? dx - d : d;
        u.push_back(t + xs);
        // A zero-length edge's NaN slope: INT_MIN, as the x86 conversion gives.
        const double vd = ys + s * t + .5;
        v.push_back(std::isnan(vd) ? std::numeric_limits<int>::min() : int(vd));
      }
    } else {
      for (int d = 0; d <= dy; ++d) {
        const int t = flip ? dy - d : d;
        v.push_back(t + ys);
        u.push_back(int(xs + s * t + .5));
      }
    }
  }
  std::vector<uint32_t> a;
  for (std::size_t j = 1; j < u.size(); ++j) {
    if (u[j] == u[j - 1]) continue;
    double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + .5) / scale - .5;
    if (std::floor(xd) != xd || xd < 0 || xd > double(w) - 1) continue;
    double yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
    yd = (yd + .5) / scale - .5;
    yd = yd < 0 ? 0 : yd > h ? h : yd;
    a.push_back(uint32_t(int(xd) * int(h) + int(std::ceil(yd))));
  }
  a.push_back(h * w);
  std::sort(a.begin(), a.end());
  uint32_t p = 0;
  for (auto& c : a) {
    const uint32_t t = c;
    c -= p;
    p = t;
  }
  Rle r{h, w, {}};
  std::size_t j = 0;
  r.counts.push_back(a[j++]);
  while (j < a.size()) {
    if (a[j] > 0) {
      r.counts.push_back(a[j++]);
    } else if (++j < a.size()) {
      r.counts.back() += a[j++];
    }
  }
  return r;
}

TEST(PolygonOutline, EqualsTheDenseWalkOnRandomPolygons) {
  std::mt19937 rng(20240611);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int trial = 0; trial < 20000; ++trial) {
    const uint32_t h = uint32_t(pick(0, 24)), w = uint32_t(pick(0, 24));
    std::vector<double> xy(std::size_t(pick(0, 16)));
    const int reach = pick(0, 3) == 0 ? 2000 : 40;  // sometimes far outside the image
    for (double& c : xy)
      c = pick(0, 2) == 0 ? pick(-reach, reach)
                          : pick(-4 * reach, 4 * reach) / 4.0 + pick(0, 9) / 10.0;
    ASSERT_EQ(from_polygon(xy, h, w), dense_reference(xy, h, w))
        << "trial " << trial << ", " << h << "x" << w << ", " << xy.size() << " values";
  }
}

TEST(PolygonOutline, FarVerticesCostNeitherMemoryNorTime) {
  const auto start = std::chrono::steady_clock::now();
  // A square far larger than the image covers all of it; the dense walk would trace 4e9 points.
  const Rle all = from_polygon({-1e8, -1e8, 1e8, -1e8, 1e8, 1e8, -1e8, 1e8}, 7, 9);
  EXPECT_EQ(all, (Rle{7, 9, {0, 63}}));
  // The fuzzer's input: one vertex at 4e8 on a 3 x 4 image.
  const Rle sliver = from_polygon({0, 0, 4e8, 0, 0, 1}, 3, 4);
  EXPECT_TRUE(covers_image(sliver));
  // Coordinates no int holds (to_int gives INT_MIN, as the x86 conversion), and NaN.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& xy : std::vector<std::vector<double>>{{1e300, 0, 0, -1e300, 3, 3},
                                                         {nan, 1, 2, nan, 4, 4, 1, 2},
                                                         {-4.2e8, 4.2e8, 4.2e8, -4.2e8, 1, 1}})
    EXPECT_TRUE(covers_image(from_polygon(xy, 5, 6)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace segx::mask
