// Encoding, decoding and the whole-mask operations (area, box, merge) on COCO RLE.
#include "segx/mask/rle.hpp"

#include "segx/core/limits.hpp"

#include "segx/mask/joint_runs.hpp"

#include <algorithm>

namespace segx::mask {

namespace {

// Appends the runs of a column-major byte sequence; `value` is the current run's value.
class RunBuilder {
 public:
  explicit RunBuilder(std::vector<uint32_t>& counts) : counts_(counts) {}
  void push(bool bit) {
    if (bit != value_) {
      counts_.push_back(run_);
      run_ = 0;
      value_ = bit;
    }
    ++run_;
  }
  void finish() { counts_.push_back(run_); }

 private:
  std::vector<uint32_t>& counts_;
  bool value_ = false;
  uint32_t run_ = 0;
};

}  // namespace

Rle encode_column_major(const uint8_t* bits, uint32_t height, uint32_t width) {
  Rle rle{height, width, {}};
  RunBuilder runs(rle.counts);
  const size_t n = size_t(height) * width;
  for (size_t i = 0; i < n; ++i) runs.push(bits[i] != 0);
  runs.finish();
  return rle;
}

Rle encode_row_major(const uint8_t* bits, uint32_t height, uint32_t width) {
  Rle rle{height, width, {}};
  RunBuilder runs(rle.counts);
  for (uint32_t x = 0; x < width; ++x)
    for (uint32_t y = 0; y < height; ++y) runs.push(bits[size_t(y) * width + x] != 0);
  runs.finish();
  return rle;
}

Rle encode_label(const uint32_t* ids, uint32_t height, uint32_t width, uint32_t id) {
  Rle rle{height, width, {}};
  RunBuilder runs(rle.counts);
  for (uint32_t x = 0; x < width; ++x)
    for (uint32_t y = 0; y < height; ++y) runs.push(ids[size_t(y) * width + x] == id);
  runs.finish();
  return rle;
}

std::vector<uint8_t> decode_column_major(const Rle& rle) {
  check_pixels(rle.width, rle.height, "RLE", "mask");
  std::vector<uint8_t> out(size_t(rle.height) * rle.width, 0);
  size_t pos = 0;
  uint8_t value = 0;
  for (uint32_t c : rle.counts) {
    size_t end = std::min(out.size(), pos + c);
    if (value) std::fill(out.begin() + pos, out.begin() + end, uint8_t(1));
    pos = end;
    value ^= 1;
  }
  return out;
}

std::vector<uint8_t> decode_row_major(const Rle& rle) {
  std::vector<uint8_t> col = decode_column_major(rle);
  std::vector<uint8_t> out(col.size());
  const size_t h = rle.height, w = rle.width;
  for (size_t x = 0; x < w; ++x)
    for (size_t y = 0; y < h; ++y) out[y * w + x] = col[x * h + y];
  return out;
}

Rle from_counts(std::vector<uint32_t> counts, uint32_t height, uint32_t width) {
  check_pixels(width, height, "RLE", "mask");
  return Rle{height, width, std::move(counts)};
}

bool covers_image(const Rle& rle) {
  uint64_t total = 0;
  for (uint32_t c : rle.counts) total += c;
  return total == uint64_t(rle.height) * rle.width;
}

uint64_t area(const Rle& rle) {
  uint64_t a = 0;
  for (size_t j = 1; j < rle.counts.size(); j += 2) a += rle.counts[j];
  return a;
}

namespace {

// t / h for many t and one h, as a multiplication by a double reciprocal corrected to the exact
// floor: an integer division per run made to_bbox the hottest function of `eval ap` segm.
class DivideBy {
 public:
  explicit DivideBy(uint32_t h) : h_(h), inverse_(1.0 / double(h)) {}
  uint32_t operator()(uint32_t t) const {
    // For t < 2^32 the product's error is far below 1/h, so its floor is already exact; the
    // check costs little and keeps the result exact should the types ever widen.
    uint32_t q = uint32_t(double(t) * inverse_);
    if (uint64_t(q) * h_ > t)
      --q;
    else if (uint64_t(q + 1) * h_ <= t)
      ++q;
    return q;
  }

 private:
  uint32_t h_;
  double inverse_;
};

}  // namespace

Box to_bbox(const Rle& rle) {
  // Only whole (zeros, ones) pairs count: a trailing run of zeros adds nothing.
  const size_t m = rle.counts.size() / 2 * 2;
  if (m == 0 || rle.height == 0) return {0, 0, 0, 0};
  const uint32_t h = rle.height;
  const DivideBy column_of(h);
  uint32_t xs = rle.width, ys = h, xe = 0, ye = 0, x_start = 0;
  uint32_t pos = 0;
  for (size_t j = 0; j < m; ++j) {
    pos += rle.counts[j];
    // The first pixel of a run of ones, or the last pixel of one.
    const uint32_t t = pos - uint32_t(j % 2);
    const uint32_t x = column_of(t), y = t - x * h;
    if (j % 2 == 0) {
      x_start = x;
    } else if (x_start < x) {
      ys = 0;  // the run wraps over a column: it spans the full height
      ye = h - 1;
    }
    xs = std::min(xs, x);
    xe = std::max(xe, x);
    ys = std::min(ys, y);
    ye = std::max(ye, y);
  }
  return {double(xs), double(ys), double(xe) - xs + 1, double(ye) - ys + 1};
}

namespace {

// Union or intersection of two masks of the same size, run by run: stretches of equal value
// accumulate into one run, and a change of value closes it.
std::vector<uint32_t> merge_two(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                                bool intersect) {
  std::vector<uint32_t> out;
  out.reserve(a.size() + b.size());
  bool value = false;  // the value of the run being counted; RLEs start with background
  uint32_t run = 0;
  for_each_joint_run(a, b, [&](uint32_t c, bool va, bool vb) {
    const bool v = intersect ? (va && vb) : (va || vb);
    if (v != value) {
      out.push_back(run);
      run = 0;
      value = v;
    }
    run += c;
  });
  out.push_back(run);
  return out;
}

}  // namespace

Rle merge(const std::vector<Rle>& rles, bool intersect) {
  if (rles.empty()) return Rle{};
  Rle out = rles[0];
  for (size_t i = 1; i < rles.size(); ++i) {
    if (rles[i].height != out.height || rles[i].width != out.width) return Rle{};
    out.counts = merge_two(out.counts, rles[i].counts, intersect);
  }
  return out;
}

}  // namespace segx::mask
