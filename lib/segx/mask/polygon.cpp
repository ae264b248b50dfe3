// Polygon rasterisation identical to pycocotools (maskApi rleFrPoly): vertices are scaled by 5
// and rounded, edges are walked densely, and every step in x at a pixel centre yields the first
// covered row of that column; sorting these boundary positions gives the RLE directly.
#include "segx/mask/polygon.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>

#include "segx/core/error.hpp"
#include "segx/core/limits.hpp"

namespace segx::mask {

namespace {

constexpr double kScale = 5;

// C's (int) conversion: truncation toward zero. A NaN (a zero-length edge's slope) becomes
// INT_MIN as on x86, which pycocotools relies on without knowing.
int to_int(double v) {
  if (std::isnan(v) || v >= 2147483648.0 || v < -2147483648.0) return INT_MIN;
  return static_cast<int>(v);
}

struct Point {
  int u, v;
};

// Dense points along every edge of the upsampled polygon, in drawing order.
std::vector<Point> trace_edges(const std::vector<int>& x, const std::vector<int>& y) {
  const size_t k = x.size() - 1;  // x/y repeat the first vertex at the end
  std::vector<Point> pts;
  size_t total = 0;
  for (size_t j = 0; j < k; ++j)
    total += size_t(std::max(std::abs(x[j] - x[j + 1]), std::abs(y[j] - y[j + 1]))) + 1;
  pts.reserve(total);
  for (size_t j = 0; j < k; ++j) {
    int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
    const int dx = std::abs(xe - xs), dy = std::abs(ys - ye);
    // Each edge is drawn from its lower end so that both directions give the same pixels.
    const bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      std::swap(xs, xe);
      std::swap(ys, ye);
    }
    if (dx >= dy) {
      const double s = double(ye - ys) / dx;
      for (int d = 0; d <= dx; ++d) {
        const int t = flip ? dx - d : d;
        pts.push_back({t + xs, to_int(ys + s * t + .5)});
      }
    } else {
      const double s = double(xe - xs) / dy;
      for (int d = 0; d <= dy; ++d) {
        const int t = flip ? dy - d : d;
        pts.push_back({to_int(xs + s * t + .5), t + ys});
      }
    }
  }
  return pts;
}

}  // namespace

Rle from_polygon(const std::vector<double>& xy, uint32_t height, uint32_t width) {
  check_pixels(width, height, "polygon", "mask");
  const size_t k = xy.size() / 2;
  std::vector<int> x(k + 1), y(k + 1);
  for (size_t j = 0; j < k; ++j) {
    x[j] = to_int(kScale * xy[2 * j] + .5);
    y[j] = to_int(kScale * xy[2 * j + 1] + .5);
  }
  if (k > 0) {
    x[k] = x[0];
    y[k] = y[0];
  }
  const std::vector<Point> pts = k > 0 ? trace_edges(x, y) : std::vector<Point>{};

  // Where the dense outline crosses a pixel-centre column, the first row inside that column.
  std::vector<uint32_t> starts;
  const double h = height, max_x = double(width) - 1;
  for (size_t j = 1; j < pts.size(); ++j) {
    if (pts[j].u == pts[j - 1].u) continue;
    double xd = pts[j].u < pts[j - 1].u ? pts[j].u : pts[j].u - 1;
    xd = (xd + .5) / kScale - .5;
    if (std::floor(xd) != xd || xd < 0 || xd > max_x) continue;
    double yd = std::min(pts[j].v, pts[j - 1].v);
    yd = (yd + .5) / kScale - .5;
    if (yd < 0)
      yd = 0;
    else if (yd > h)
      yd = h;
    yd = std::ceil(yd);
    starts.push_back(uint32_t(int(xd) * int(height) + int(yd)));
  }
  starts.push_back(uint32_t(uint64_t(height) * width));
  std::sort(starts.begin(), starts.end());

  // Consecutive boundary positions delimit alternating runs; empty runs are folded away.
  uint32_t prev = 0;
  for (uint32_t& s : starts) {
    const uint32_t t = s;
    s -= prev;
    prev = t;
  }
  Rle rle{height, width, {}};
  size_t j = 0;
  rle.counts.push_back(starts[j++]);
  while (j < starts.size()) {
    if (starts[j] > 0) {
      rle.counts.push_back(starts[j++]);
    } else {
      ++j;
      if (j < starts.size()) rle.counts.back() += starts[j++];
    }
  }
  return rle;
}

Rle from_box(const Box& b, uint32_t height, uint32_t width) {
  const double xs = b[0], xe = b[0] + b[2], ys = b[1], ye = b[1] + b[3];
  return from_polygon({xs, ys, xs, ye, xe, ye, xe, ys}, height, width);
}

Rle from_polygons(const std::vector<std::vector<double>>& polygons, uint32_t height,
                  uint32_t width) {
  if (polygons.empty() || polygons[0].size() <= 4)
    fail(ErrorKind::DataError, "polygon segmentation needs at least 3 points (6 values)");
  std::vector<Rle> parts;
  parts.reserve(polygons.size());
  for (const auto& p : polygons) parts.push_back(from_polygon(p, height, width));
  return merge(parts);
}

}  // namespace segx::mask
