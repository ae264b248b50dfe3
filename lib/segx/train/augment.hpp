// Training augmentation: large-scale jitter (detectron2's ResizeScale + FixedSizeCrop, as the
// Mask2Former COCO recipes use) and horizontal flips, applied identically to the RGB image and
// its panoptic id map. Random draws come from counter_uniform(seed, iteration, slot), so an
// interrupted run replays the same crops after --resume.
#pragma once
#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <vector>

namespace segx::train {

struct JitterOptions {
  int crop_height = 512;
  int crop_width = 512;
  double min_scale = 0.1;
  double max_scale = 2.0;
  bool flip = true;
  std::uint8_t image_pad = 128;  // FixedSizeCrop's pad value
};

// Where the jitter put the image: resized by (scale_x, scale_y), shifted by -(off_x, off_y),
// cut to copy_w x copy_h at the crop's top left, then mirrored when `flip`.
struct JitterGeometry {
  double scale_x = 1, scale_y = 1;
  int off_x = 0, off_y = 0, copy_w = 0, copy_h = 0, crop_w = 0;
  bool flip = false;
};

struct AugmentedSample {
  cv::Mat image;                   // CV_8UC3, crop_height x crop_width
  std::vector<std::uint32_t> ids;  // crop_height x crop_width panoptic ids, 0 (void) in padding
  cv::Mat valid;                   // CV_8U, 1 where the crop covers the image (not padding)
  JitterGeometry geometry;
};

// A pixel box (x0, y0, x1, y1) of the source image in the crop's pixels, clipped to the part
// of the crop the image covers; empty (x1 <= x0 or y1 <= y0) when the crop cuts it away.
std::array<double, 4> jitter_box(const std::array<double, 4>& box, const JitterGeometry& g);

// `ids` is row-major with the image's size. `draw_key` identifies the sample (e.g. its position
// in the iteration's batch) among the draws of one iteration.
AugmentedSample large_scale_jitter(const cv::Mat& image, const std::uint32_t* ids,
                                   const JitterOptions& options, std::uint64_t seed,
                                   std::uint64_t iteration, std::uint64_t draw_key);

// Nearest-neighbour resize of an id map with PIL's pixel-centre rule
// (src = floor((dst + 0.5) * src_size / dst_size)), as detectron2 resizes segmentation maps.
std::vector<std::uint32_t> resize_nearest(const std::uint32_t* ids, int height, int width,
                                          int new_height, int new_width);

}  // namespace segx::train
