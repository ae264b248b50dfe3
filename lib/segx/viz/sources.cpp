// Panoptic and semantic label PNGs into viz annotations.
#include "segx/viz/sources.hpp"

#include <cstring>

#include "segx/core/error.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"
#include "segx/mask/rle.hpp"

namespace segx::viz {

namespace {

cv::Mat1i semantic_labels(const std::string& path) {
  io::PngReadOptions options;
  options.palette = io::PaletteMode::KeepIndices;
  io::Image png = io::read_png(path, options);
  if (png.channels != 1)
    fail(ErrorKind::DataError,
         "cannot read '{}' as a semantic label map: it has {} channels, expected 1", path,
         png.channels);
  cv::Mat1i labels(png.height, png.width);
  for (int y = 0; y < png.height; ++y)
    for (int x = 0; x < png.width; ++x) {
      std::size_t i = std::size_t(y) * png.width + x;
      labels(y, x) = png.bit_depth == 16 ? png.data16()[i] : png.data[i];
    }
  return labels;
}

// Masks painted one after the other: where they overlap, the later one shows.
Annotation paint_masks(const LabelFile& file) {
  const auto h = std::uint32_t(file.height), w = std::uint32_t(file.width);
  Annotation ann;
  ann.ids = cv::Mat1i(file.height, file.width, 0);
  for (const MaskSegment& m : file.masks) {
    mask::Rle rle;
    try {
      rle = mask::from_string(m.counts, h, w);
    } catch (const Error& e) {
      fail(ErrorKind::DataError, "'{}': segment {}: {}", file.path, m.segment.id, e.what());
    }
    if (!mask::covers_image(rle))
      fail(ErrorKind::DataError, "'{}': the RLE of segment {} does not cover {}x{} pixels",
           file.path, m.segment.id, w, h);
    std::size_t k = 0;  // column-major position: pixel (k % h, k / h)
    for (std::size_t i = 0; i < rle.counts.size(); ++i) {
      const std::size_t end = k + rle.counts[i];
      if (i % 2 == 1)
        for (; k < end; ++k) ann.ids(int(k % h), int(k / h)) = int(m.segment.id);
      k = end;
    }
    ann.segments.push_back(m.segment);
  }
  return ann;
}

}  // namespace

Annotation load_annotation(const LabelFile& file) {
  if (file.kind == LabelFile::Kind::Masks) return paint_masks(file);
  if (file.kind == LabelFile::Kind::Semantic) {
    Annotation ann = annotation_from_semantic(semantic_labels(file.path), file.ignore);
    if (!file.category_of_label.empty())
      for (Segment& s : ann.segments) {
        if (s.category_id < 0 ||
            s.category_id >= static_cast<std::int64_t>(file.category_of_label.size()))
          fail(ErrorKind::DataError, "'{}' has label {}, but there are only {} categories",
               file.path, s.category_id, file.category_of_label.size());
        s.category_id = file.category_of_label[static_cast<std::size_t>(s.category_id)];
      }
    return ann;
  }
  io::PanopticIds ids = io::read_panoptic_png(file.path);
  Annotation ann;
  ann.ids = cv::Mat1i(ids.height, ids.width);
  static_assert(sizeof(int) == sizeof(std::uint32_t));
  // Ids stay below 2^24, so the bits are the same as int.
  std::memcpy(ann.ids.ptr(), ids.ids.data(), ids.ids.size() * sizeof(std::uint32_t));
  ann.segments = file.segments;
  return ann;
}

void check_pair(const cv::Mat& image, const std::string& image_path, const Annotation& ann,
                const std::string& label_path) {
  if (image.size() != ann.ids.size())
    fail(ErrorKind::DataError, "'{}' is {}x{} but its image '{}' is {}x{}", label_path,
         ann.ids.cols, ann.ids.rows, image_path, image.cols, image.rows);
}

}  // namespace segx::viz
