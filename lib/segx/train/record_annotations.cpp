// Id maps from panoptic PNGs, semantic label PNGs and instance masks; boxes through the jitter.
#include "segx/train/record_annotations.hpp"

#include <algorithm>
#include <cmath>

#include "segx/core/error.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"
#include "segx/mask/rle.hpp"
#include "segx/train/box_projection.hpp"

namespace segx::train {
namespace {

void check_size(const TrainRecord& r, const std::string& what, int h, int w, int height,
                int width) {
  if (w != width || h != height)
    fail(ErrorKind::DataError, "{} is {}x{} but its image '{}' is {}x{}", what, w, h, r.image,
         width, height);
}

// Semantic label values -> class + 1 (0: unlabeled); one segment per class the dataset has.
void semantic_map(const TrainRecord& r, const TrainDataset& ds, int height, int width,
                  std::vector<std::uint32_t>& ids, std::vector<SegmentInfo>& segments) {
  const auto png = io::read_png(r.semantic);
  if (png.channels != 1)
    fail(ErrorKind::DataError, "'{}': a semantic label PNG has one channel, not {}", r.semantic,
         png.channels);
  check_size(r, "'" + r.semantic + "'", png.height, png.width, height, width);
  ids.assign(static_cast<std::size_t>(height) * static_cast<std::size_t>(width), 0);
  for (std::size_t p = 0; p < ids.size(); ++p) {
    const std::uint32_t v = png.bit_depth == 16 ? png.data16()[p] : png.data[p];
    const auto c = ds.semantic_classes[v];
    if (c == metrics::LabelMap::kInvalid)
      fail(ErrorKind::DataError, "'{}': label value {} is not in its header's semantic_ids scheme",
           r.semantic, v);
    if (c >= 0) ids[p] = static_cast<std::uint32_t>(c) + 1;
  }
  segments.clear();
  for (std::size_t k = 0; k < ds.label_space.size(); ++k)
    if (ds.label_space[k])
      segments.push_back({static_cast<std::uint32_t>(k) + 1, static_cast<int>(k), false, false});
}

// Instance k -> id k + 1; where instances overlap, the later one keeps the pixel.
void instance_map(const TrainRecord& r, int height, int width, std::vector<std::uint32_t>& ids,
                  std::vector<SegmentInfo>& segments) {
  ids.assign(static_cast<std::size_t>(height) * static_cast<std::size_t>(width), 0);
  segments.clear();
  for (std::size_t k = 0; k < r.instances.size(); ++k) {
    const auto& inst = r.instances[k];
    const auto id = static_cast<std::uint32_t>(k) + 1;
    segments.push_back({id, inst.class_index, inst.iscrowd, true});
    if (r.kind == AnnotationKind::Boxes) continue;
    check_size(r, "image " + r.image_id + ": annotation " + std::to_string(k) + "'s mask",
               static_cast<int>(inst.mask.height), static_cast<int>(inst.mask.width), height,
               width);
    const auto bits = mask::decode_row_major(inst.mask);
    for (std::size_t p = 0; p < ids.size(); ++p)
      if (bits[p]) ids[p] = id;
  }
}

}  // namespace

const std::uint32_t* record_id_map(const TrainRecord& r, const TrainDataset& ds, int height,
                                   int width, std::vector<SegmentInfo>& segments) {
  thread_local io::PanopticIds panoptic;
  thread_local std::vector<std::uint32_t> ids;
  switch (r.kind) {
    case AnnotationKind::Panoptic:
      io::read_panoptic_png(r.panoptic, panoptic);
      check_size(r, "'" + r.panoptic + "'", panoptic.height, panoptic.width, height, width);
      segments = r.segments;
      return panoptic.ids.data();
    case AnnotationKind::Semantic:
      semantic_map(r, ds, height, width, ids, segments);
      return ids.data();
    case AnnotationKind::Instances:
    case AnnotationKind::Boxes:
      instance_map(r, height, width, ids, segments);
      return ids.data();
  }
  fail(ErrorKind::Internal, "unknown annotation kind");
}

torch::Tensor outside_boxes(const InstanceTargets& targets, int crop_height, int crop_width) {
  auto outside = torch::ones({crop_height, crop_width}, torch::kFloat);
  auto boxes = targets.boxes.to(torch::kCPU, torch::kFloat).contiguous();
  const float* b = boxes.data_ptr<float>();
  for (std::int64_t i = 0; i < boxes.size(0); ++i, b += 4) {
    // Every pixel the box touches (its corners normalised by the crop's width and height).
    const auto x0 = std::clamp(static_cast<std::int64_t>(std::floor(b[0] * crop_width)),
                               std::int64_t{0}, std::int64_t{crop_width});
    const auto y0 = std::clamp(static_cast<std::int64_t>(std::floor(b[1] * crop_height)),
                               std::int64_t{0}, std::int64_t{crop_height});
    const auto x1 = std::clamp(static_cast<std::int64_t>(std::ceil(b[2] * crop_width)),
                               std::int64_t{0}, std::int64_t{crop_width});
    const auto y1 = std::clamp(static_cast<std::int64_t>(std::ceil(b[3] * crop_height)),
                               std::int64_t{0}, std::int64_t{crop_height});
    if (x1 > x0 && y1 > y0) outside.narrow(0, y0, y1 - y0).narrow(1, x0, x1 - x0).zero_();
  }
  return outside;
}

InstanceTargets box_targets(const TrainRecord& r, const JitterGeometry& g, int crop_height,
                            int crop_width) {
  std::vector<std::int64_t> labels;
  std::vector<float> boxes;
  for (const auto& inst : r.instances) {
    if (inst.iscrowd) continue;
    const auto b = jitter_box(inst.box, g);
    if (b[2] - b[0] < 1 || b[3] - b[1] < 1) continue;  // cut away (or thinner than a pixel)
    labels.push_back(inst.class_index);
    boxes.insert(boxes.end(), {static_cast<float>(b[0]), static_cast<float>(b[1]),
                               static_cast<float>(b[2]), static_cast<float>(b[3])});
  }
  const auto n = static_cast<std::int64_t>(labels.size());
  InstanceTargets t;
  t.labels = torch::tensor(labels, torch::kLong).reshape({n});
  t.boxes =
      normalize_boxes(torch::tensor(boxes, torch::kFloat).reshape({n, 4}), crop_height, crop_width);
  return t;
}

}  // namespace segx::train
