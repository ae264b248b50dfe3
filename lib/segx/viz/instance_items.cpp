// COCO instances/results JSON and segx manifests into visualize work items.
#include "segx/viz/instance_items.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/json.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/mask/polygon.hpp"

namespace segx::viz {

namespace {

namespace fs = std::filesystem;

// The mask of one annotation: its segmentation (RLE or polygons), else its box.
std::string mask_counts(const dataset::JsonValue* segmentation, const dataset::JsonValue* bbox,
                        int height, int width, const std::string& where) {
  const auto h = std::uint32_t(height), w = std::uint32_t(width);
  if (segmentation)
    return mask::to_string(dataset::segmentation_to_rle(*segmentation, h, w, where));
  if (!bbox || !bbox->IsArray() || bbox->Size() != 4)
    fail(ErrorKind::DataError, "{}: neither segmentation nor bbox to draw", where);
  mask::Box box{};
  for (rapidjson::SizeType i = 0; i < 4; ++i) {
    if (!(*bbox)[i].IsNumber()) fail(ErrorKind::DataError, "{}: bbox must hold 4 numbers", where);
    box[i] = (*bbox)[i].GetDouble();
  }
  return mask::to_string(mask::from_box(box, h, w));
}

struct Instance {
  MaskSegment mask;
  double order = 0;  // drawn in ascending order
};

// Sorts and numbers one image's instances (segment id = position + 1).
std::vector<MaskSegment> layered(std::vector<Instance> list) {
  std::stable_sort(list.begin(), list.end(),
                   [](const Instance& a, const Instance& b) { return a.order < b.order; });
  std::vector<MaskSegment> out;
  for (auto& i : list) {
    i.mask.segment.id = std::uint32_t(out.size() + 1);
    out.push_back(std::move(i.mask));
  }
  return out;
}

}  // namespace

std::vector<VizItem> coco_instance_items(const dataset::CocoInstances& gt,
                                         const dataset::CocoInstances* results, double min_score,
                                         const std::string& images_dir) {
  const dataset::CocoInstances& drawn = results ? *results : gt;
  std::vector<std::vector<Instance>> per_image(gt.images.size());
  for (std::size_t i = 0; i < drawn.annotations.size(); ++i) {
    const auto& a = drawn.annotations[i];
    auto it = gt.image_index.find(a.image_key);
    if (it == gt.image_index.end())
      fail(ErrorKind::DataError, "{}: image {} is not in '{}'", drawn.where(a, i),
           dataset::unquoted_id(a.image_key), gt.path);
    if (results && a.score && *a.score < min_score) continue;
    const auto& image = gt.images[it->second];
    if (image.height <= 0 || image.width <= 0)
      fail(ErrorKind::DataError, "'{}': image {} has no height/width", gt.path, image.key);
    Instance inst;
    inst.mask.segment = {0, a.category_id, a.iscrowd != 0, a.score};
    inst.mask.counts =
        mask_counts(a.segmentation, a.bbox, image.height, image.width, drawn.where(a, i));
    // Predictions: best score on top. Ground truth: largest first, so small objects stay visible.
    inst.order = results ? a.score.value_or(0.0) : -a.area.value_or(0.0);
    per_image[it->second].push_back(std::move(inst));
  }
  std::vector<VizItem> items;
  for (std::size_t i = 0; i < gt.images.size(); ++i) {
    const auto& image = gt.images[i];
    VizItem item;
    item.key = dataset::unquoted_id(image.key);
    item.image = (fs::path(images_dir) / image.file_name).string();
    item.gt.kind = LabelFile::Kind::Masks;
    item.gt.path = drawn.path;
    item.gt.height = image.height;
    item.gt.width = image.width;
    item.gt.masks = layered(std::move(per_image[i]));
    items.push_back(std::move(item));
  }
  return items;
}

ManifestLabels parse_manifest_labels(const std::string& text) {
  if (text == "auto") return ManifestLabels::Auto;
  if (text == "panoptic") return ManifestLabels::Panoptic;
  if (text == "semantic") return ManifestLabels::Semantic;
  if (text == "instances") return ManifestLabels::Instances;
  fail(ErrorKind::Usage, "unknown manifest labels '{}' (auto, panoptic, semantic, instances)",
       text);
}

namespace {

struct RecordContext {
  const dataset::ManifestReader& reader;
  const dataset::ManifestHeader& header;
  double min_score;
};

LabelFile panoptic_labels(const dataset::JsonValue& rec, const RecordContext& c,
                          const std::string& where) {
  LabelFile f;
  const auto& array = dataset::get_array(rec, "segments_info", where);
  const auto segments = dataset::parse_segments_info(array, where);
  if (const auto* png = dataset::find_member(rec, "pan_seg_file_name"); png && png->IsString()) {
    f.kind = LabelFile::Kind::Panoptic;
    f.path = c.reader.resolve(png->GetString());
    for (const auto& s : segments)
      f.segments.push_back({s.id, s.category_id, s.iscrowd != 0, s.score});
    return f;
  }
  // No PNG: the segments' own RLEs, painted by segment id.
  f.kind = LabelFile::Kind::Masks;
  f.path = c.reader.path();
  f.height = int(dataset::get_int(rec, "height", where));
  f.width = int(dataset::get_int(rec, "width", where));
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto* seg = dataset::find_member(array[rapidjson::SizeType(i)], "segmentation");
    if (!seg)
      fail(ErrorKind::DataError, "{}: segment {} has neither pan_seg_file_name nor segmentation",
           where, segments[i].id);
    const auto& s = segments[i];
    f.masks.push_back({{s.id, s.category_id, s.iscrowd != 0, s.score},
                       mask::to_string(dataset::segmentation_to_rle(
                           *seg, std::uint32_t(f.height), std::uint32_t(f.width), where))});
  }
  return f;
}

LabelFile semantic_labels(const dataset::JsonValue& rec, const RecordContext& c,
                          const std::string& where) {
  LabelFile f;
  f.kind = LabelFile::Kind::Semantic;
  f.path = c.reader.resolve(dataset::get_string(rec, "sem_seg_file_name", where));
  const std::string ids = c.header.semantic_ids.empty() ? "category" : c.header.semantic_ids;
  if (ids == "category") {
    f.ignore = 0;  // raw category ids (also with reduce_zero_label: the PNG values stay raw)
  } else if (ids == "contiguous") {
    f.ignore = 255;
    for (const auto& cat : c.header.categories.list()) f.category_of_label.push_back(cat.id);
  } else {
    fail(ErrorKind::Usage,
         "'{}': semantic_ids '{}' has no per-category labels to draw (category or contiguous)",
         c.reader.path(), ids);
  }
  return f;
}

LabelFile instance_labels(const dataset::JsonValue& rec, const RecordContext& c,
                          const std::string& where) {
  LabelFile f;
  f.kind = LabelFile::Kind::Masks;
  f.path = c.reader.path();
  f.height = int(dataset::get_int(rec, "height", where));
  f.width = int(dataset::get_int(rec, "width", where));
  std::vector<Instance> list;
  const auto& anns = dataset::get_array(rec, "annotations", where);
  for (const auto& a : anns.GetArray()) {
    Instance inst;
    std::optional<double> score;
    if (const auto* s = dataset::find_member(a, "score"); s && s->IsNumber())
      score = s->GetDouble();
    if (score && *score < c.min_score) continue;
    const auto* crowd = dataset::find_member(a, "iscrowd");
    inst.mask.segment = {0, dataset::get_int(a, "category_id", where),
                         crowd && crowd->IsInt() && crowd->GetInt() != 0, score};
    inst.mask.counts = mask_counts(dataset::find_member(a, "segmentation"),
                                   dataset::find_member(a, "bbox"), f.height, f.width, where);
    const auto* area = dataset::find_member(a, "area");
    inst.order = score ? *score : -(area && area->IsNumber() ? area->GetDouble() : 0.0);
    list.push_back(std::move(inst));
  }
  f.masks = layered(std::move(list));
  return f;
}

}  // namespace

ManifestItems manifest_items(const std::string& path, ManifestLabels which,
                             const std::string& images_dir, double min_score) {
  dataset::ManifestReader reader(path);
  ManifestItems out;
  out.categories = category_table(reader.header().categories);
  const RecordContext c{reader, reader.header(), min_score};
  dataset::JsonDocument rec;
  while (reader.next(rec)) {
    const std::string where = reader.where();
    VizItem item;
    item.key = dataset::unquoted_id(dataset::record_image_id(rec));
    const std::string file = dataset::get_string(rec, "file_name", where);
    item.image = images_dir.empty() ? reader.resolve(file)
                                    : (fs::path(images_dir) / fs::path(file).filename()).string();
    ManifestLabels kind = which;
    if (kind == ManifestLabels::Auto) {
      if (dataset::find_member(rec, "segments_info"))
        kind = ManifestLabels::Panoptic;
      else if (dataset::find_member(rec, "sem_seg_file_name"))
        kind = ManifestLabels::Semantic;
      else if (dataset::find_member(rec, "annotations"))
        kind = ManifestLabels::Instances;
      else
        fail(ErrorKind::DataError,
             "{}: nothing to draw (no segments_info, sem_seg_file_name or annotations)", where);
    }
    item.gt = kind == ManifestLabels::Panoptic   ? panoptic_labels(rec, c, where)
              : kind == ManifestLabels::Semantic ? semantic_labels(rec, c, where)
                                                 : instance_labels(rec, c, where);
    out.items.push_back(std::move(item));
  }
  return out;
}

}  // namespace segx::viz
