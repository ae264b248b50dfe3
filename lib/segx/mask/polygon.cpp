// Polygon rasterisation identical to pycocotools (maskApi rleFrPoly): vertices are scaled by 5
// and rounded, edges are walked densely, and every step in x at a pixel centre yields the first
// covered row of that column; sorting these boundary positions gives the RLE directly.
#include "segx/mask/polygon.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
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

// The boundary positions of pycocotools' dense outline: of each pair of consecutive points
// whose u differs, those crossing a pixel-centre column inside the image give the first row
// covered in that column (as rleFrPoly's second loop).
class Crossings {
 public:
  Crossings(uint32_t height, uint32_t width, std::vector<uint32_t>& starts)
      : height_(height), max_x_(double(width) - 1), starts_(starts) {}

  // `prev` then `cur` in drawing order.
  void add(Point prev, Point cur) {
    if (cur.u == prev.u) return;
    double xd = cur.u < prev.u ? cur.u : cur.u - 1;
    xd = (xd + .5) / kScale - .5;
    if (std::floor(xd) != xd || xd < 0 || xd > max_x_) return;
    double yd = std::min(cur.v, prev.v);
    yd = (yd + .5) / kScale - .5;
    if (yd < 0)
      yd = 0;
    else if (yd > height_)
      yd = height_;
    yd = std::ceil(yd);
    starts_.push_back(uint32_t(xd) * height_ + uint32_t(yd));
  }

 private:
  uint32_t height_;
  double max_x_;
  std::vector<uint32_t>& starts_;
};

// The crossings of every edge of the upsampled polygon (x/y repeat the first vertex at the end).
// rleFrPoly materialises the outline, one point per upsampled unit along each edge's longer axis,
// and then looks at consecutive points; only pairs inside the image's columns can count, so these
// are the only ones visited. The crossings are the same, but a stranger's polygon with a vertex at
// 4e8 no longer asks for tens of gigabytes and minutes. Consecutive points of two edges never
// count: they are the shared vertex, or differ only left of column 0 (to_int truncates
// toward zero).
void trace_crossings(const std::vector<int>& x, const std::vector<int>& y, uint32_t width,
                     Crossings& crossings) {
  // Pairs whose lower u lies outside [0, 5 width] never pass Crossings::add's column test, which
  // needs (u + .5) / 5 - .5 in [0, width - 1]; steps in u are of 1 (of 2 at most, below).
  const int64_t u_low = 0, u_high = int64_t(kScale) * width;
  const std::size_t k = x.size() - 1;
  for (std::size_t j = 0; j < k; ++j) {
    int64_t xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
    const int64_t dx = std::llabs(xe - xs), dy = std::llabs(ys - ye);
    // Each edge is drawn from its lower end so that both directions give the same pixels.
    const bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      std::swap(xs, xe);
      std::swap(ys, ye);
    }
    // Point t of the edge; rleFrPoly draws t = 0..n, or n..0 when flipped.
    auto pair = [&](Point lower, Point upper) {
      if (flip)
        crossings.add(upper, lower);
      else
        crossings.add(lower, upper);
    };
    if (dx >= dy) {
      if (dx == 0) continue;  // one point: nothing to pair
      const double s = double(ye - ys) / double(dx);
      auto at = [&](int64_t t) { return Point{int(t + xs), to_int(ys + s * double(t) + .5)}; };
      // u = xs + t steps by 1: the pairs (t, t + 1) with u in [u_low, u_high].
      const int64_t first = std::max<int64_t>(0, u_low - xs);
      const int64_t last = std::min<int64_t>(dx - 1, u_high - xs);
      for (int64_t t = first; t <= last; ++t) pair(at(t), at(t + 1));
    } else {
      // u = to_int(xs + s t + .5) is monotonic in t (each operation rounds monotonically) and
      // |s| < 1 moves it by 1 a step (by 2 where rounding at huge coordinates adds up): find the
      // step where u leaves each value of [u_low, u_high] by bisection.
      const double s = double(xe - xs) / double(dy);
      auto u_at = [&](int64_t t) { return to_int(xs + s * double(t) + .5); };
      auto at = [&](int64_t t) { return Point{u_at(t), int(ys + t)}; };
      const bool rising = s >= 0;
      const int64_t u_first = u_at(0), u_last = u_at(dy);
      const int64_t from = std::max(u_low, std::min(u_first, u_last));
      const int64_t to = std::min(u_high, std::max(u_first, u_last) - 1);
      int64_t previous = -1;
      for (int64_t value = from; value <= to; ++value) {
        // The last t whose u is still on value's side (u <= value rising, u > value falling).
        int64_t lo = 0, hi = dy;  // on that side at lo, past it at hi
        const int64_t side = rising ? value : value + 1;
        auto before = [&](int64_t t) { return rising ? u_at(t) <= side : u_at(t) >= side; };
        if (!before(lo) || before(hi)) continue;
        while (hi - lo > 1) {
          const int64_t mid = lo + (hi - lo) / 2;
          (before(mid) ? lo : hi) = mid;
        }
        if (lo == previous) continue;  // a step of 2 passes two values at once
        previous = lo;
        pair(at(lo), at(lo + 1));
      }
    }
  }
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
  std::vector<uint32_t> starts;
  Crossings crossings(height, width, starts);
  if (k > 0) trace_crossings(x, y, width, crossings);
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
