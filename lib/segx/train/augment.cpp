// Large-scale jitter and flips for images and panoptic id maps.
#include "segx/train/augment.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "segx/core/error.hpp"
#include "segx/train/weighted_sampler.hpp"

namespace segx::train {

std::vector<std::uint32_t> resize_nearest(const std::uint32_t* ids, int height, int width,
                                          int new_height, int new_width) {
  std::vector<int> src_x(new_width);
  for (int x = 0; x < new_width; ++x)
    src_x[x] = std::min(width - 1, static_cast<int>(std::floor((x + 0.5) * width / new_width)));
  std::vector<std::uint32_t> out(static_cast<std::size_t>(new_height) * new_width);
  for (int y = 0; y < new_height; ++y) {
    int sy = std::min(height - 1, static_cast<int>(std::floor((y + 0.5) * height / new_height)));
    const std::uint32_t* row = ids + static_cast<std::size_t>(sy) * width;
    std::uint32_t* dst = out.data() + static_cast<std::size_t>(y) * new_width;
    for (int x = 0; x < new_width; ++x) dst[x] = row[src_x[x]];
  }
  return out;
}

std::array<double, 4> jitter_box(const std::array<double, 4>& b, const JitterGeometry& g) {
  const double x0 = std::clamp(b[0] * g.scale_x - g.off_x, 0.0, static_cast<double>(g.copy_w));
  const double x1 = std::clamp(b[2] * g.scale_x - g.off_x, 0.0, static_cast<double>(g.copy_w));
  const double y0 = std::clamp(b[1] * g.scale_y - g.off_y, 0.0, static_cast<double>(g.copy_h));
  const double y1 = std::clamp(b[3] * g.scale_y - g.off_y, 0.0, static_cast<double>(g.copy_h));
  if (g.flip) return {g.crop_w - x1, y0, g.crop_w - x0, y1};
  return {x0, y0, x1, y1};
}

AugmentedSample large_scale_jitter(const cv::Mat& image, const std::uint32_t* ids,
                                   const JitterOptions& options, std::uint64_t seed,
                                   std::uint64_t iteration, std::uint64_t draw_key) {
  if (image.empty() || image.type() != CV_8UC3)
    fail(ErrorKind::Internal, "large_scale_jitter expects an 8-bit 3-channel image");
  const int h = image.rows, w = image.cols;
  auto uniform = [&](std::uint64_t slot) { return counter_uniform(seed, iteration, draw_key * 8 + slot); };

  // ResizeScale: scale the target box, then fit the image inside it keeping the aspect ratio.
  double scale = options.min_scale + (options.max_scale - options.min_scale) * uniform(0);
  double output_scale = std::min(scale * options.crop_height / h, scale * options.crop_width / w);
  int new_h = std::max(1, static_cast<int>(std::lround(h * output_scale)));
  int new_w = std::max(1, static_cast<int>(std::lround(w * output_scale)));
  cv::Mat resized;
  cv::resize(image, resized, cv::Size(new_w, new_h), 0, 0, cv::INTER_LINEAR);
  auto resized_ids = resize_nearest(ids, h, w, new_h, new_w);

  // FixedSizeCrop: a random window where the image is larger, padding where it is smaller.
  int off_y = static_cast<int>(std::lround(std::max(0, new_h - options.crop_height) * uniform(1)));
  int off_x = static_cast<int>(std::lround(std::max(0, new_w - options.crop_width) * uniform(2)));
  int copy_h = std::min(options.crop_height, new_h - off_y);
  int copy_w = std::min(options.crop_width, new_w - off_x);
  bool flip = options.flip && uniform(3) < 0.5;

  AugmentedSample out;
  out.geometry = {static_cast<double>(new_w) / w, static_cast<double>(new_h) / h, off_x, off_y,
                  copy_w, copy_h, options.crop_width, flip};
  out.image = cv::Mat(options.crop_height, options.crop_width, CV_8UC3,
                      cv::Scalar::all(options.image_pad));
  out.valid = cv::Mat::zeros(options.crop_height, options.crop_width, CV_8U);
  out.ids.assign(static_cast<std::size_t>(options.crop_height) * options.crop_width, 0);
  resized(cv::Rect(off_x, off_y, copy_w, copy_h)).copyTo(out.image(cv::Rect(0, 0, copy_w, copy_h)));
  out.valid(cv::Rect(0, 0, copy_w, copy_h)).setTo(1);
  for (int y = 0; y < copy_h; ++y) {
    const std::uint32_t* src = resized_ids.data() + static_cast<std::size_t>(y + off_y) * new_w + off_x;
    std::copy(src, src + copy_w, out.ids.data() + static_cast<std::size_t>(y) * options.crop_width);
  }
  if (flip) {
    cv::flip(out.image, out.image, 1);
    cv::flip(out.valid, out.valid, 1);
    for (int y = 0; y < options.crop_height; ++y) {
      auto row = out.ids.begin() + static_cast<std::ptrdiff_t>(y) * options.crop_width;
      std::reverse(row, row + options.crop_width);
    }
  }
  return out;
}

}  // namespace segx::train
