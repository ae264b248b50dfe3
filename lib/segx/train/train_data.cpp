// Training records from segx manifests and COCO panoptic folders.
#include "segx/train/train_data.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/manifest.hpp"

namespace segx::train {
namespace fs = std::filesystem;

TrainClasses TrainClasses::from_categories(const dataset::CategorySet& categories) {
  TrainClasses c;
  for (const auto& cat : categories.list()) {
    c.category_ids.push_back(cat.id);
    c.names.push_back(cat.name);
    c.isthing.push_back(cat.isthing);
  }
  return c;
}

int TrainClasses::index_of(const dataset::Category& category) const {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (match_by_name ? names[i] == category.name : category_ids[i] == category.id)
      return static_cast<int>(i);
  }
  return -1;
}

std::vector<int> TrainClasses::thing_indices() const {
  std::vector<int> out;
  for (std::size_t i = 0; i < isthing.size(); ++i)
    if (isthing[i]) out.push_back(static_cast<int>(i));
  return out;
}

namespace {

std::string where(const DatasetSpec& spec) {
  return spec.name.empty() ? "'" + spec.path + "'"
                           : "dataset '" + spec.name + "' ('" + spec.path + "')";
}

// Maps dataset category ids to contiguous classes, failing on the first one the model lacks.
std::unordered_map<std::int64_t, int> class_map(const DatasetSpec& spec,
                                                const dataset::CategorySet& categories,
                                                const TrainClasses& classes) {
  std::unordered_map<std::int64_t, int> out;
  for (const auto& cat : categories.list()) {
    int k = -1;
    if (spec.category_remap.empty()) {
      k = classes.index_of(cat);
    } else if (auto it = spec.category_remap.find(cat.id); it != spec.category_remap.end()) {
      dataset::Category unified = cat;
      unified.id = it->second;
      k = classes.index_of(unified);
    }
    if (k < 0)
      fail(ErrorKind::Config, "{}: category {} '{}' is not in the {}", where(spec), cat.id,
           cat.name, spec.category_remap.empty() ? "model's label space" : "vocabulary");
    out[cat.id] = k;
  }
  return out;
}

SegmentInfo segment_info(std::uint32_t id, std::int64_t category_id, bool iscrowd,
                         const std::unordered_map<std::int64_t, int>& map,
                         const TrainClasses& classes, const std::string& where) {
  auto it = map.find(category_id);
  if (it == map.end())
    fail(ErrorKind::DataError, "{}: segment {} has category {}, which the header does not list",
         where, id, category_id);
  SegmentInfo s;
  s.id = id;
  s.class_index = it->second;
  s.iscrowd = iscrowd;
  s.isthing = classes.isthing[static_cast<std::size_t>(it->second)];
  return s;
}

void slice(std::vector<TrainRecord>& records, std::int64_t start, std::int64_t stop) {
  const auto n = static_cast<std::int64_t>(records.size());
  auto clamp = [n](std::int64_t v) { return std::clamp(v < 0 ? v + n : v, std::int64_t{0}, n); };
  const auto a = clamp(start), b = std::max(clamp(start), clamp(stop));
  records = std::vector<TrainRecord>(records.begin() + a, records.begin() + b);
}

TrainDataset load_manifest(const DatasetSpec& spec, const TrainClasses& classes) {
  dataset::ManifestReader reader(spec.path);
  TrainDataset out;
  out.spec = spec;
  out.categories = reader.header().categories;
  const auto map = class_map(spec, out.categories, classes);
  dataset::JsonDocument rec;
  while (reader.next(rec)) {
    const auto at = reader.where();
    TrainRecord r;
    r.image_id = dataset::record_image_id(rec);
    r.image = reader.resolve(dataset::get_string(rec, "file_name", at));
    const auto* pan = dataset::find_member(rec, "pan_seg_file_name");
    if (!pan || !pan->IsString())
      fail(ErrorKind::DataError, "{}: no pan_seg_file_name (training needs panoptic annotations)",
           at);
    r.panoptic = reader.resolve(pan->GetString());
    for (const auto& seg :
         dataset::parse_segments_info(dataset::get_array(rec, "segments_info", at), at)) {
      r.segments.push_back(
          segment_info(seg.id, seg.category_id, seg.iscrowd != 0, map, classes, at));
      r.category_ids.push_back(seg.category_id);
    }
    out.records.push_back(std::move(r));
  }
  return out;
}

TrainDataset load_coco_panoptic(const DatasetSpec& spec, const TrainClasses& classes) {
  auto coco = dataset::CocoPanoptic::read(spec.path, spec.png_dir);
  TrainDataset out;
  out.spec = spec;
  out.categories = coco.categories;
  const auto map = class_map(spec, out.categories, classes);
  fs::path images = spec.images_dir.empty() ? fs::path(spec.path).parent_path() / "images"
                                            : fs::path(spec.images_dir);
  for (const auto& a : coco.annotations) {
    const auto at = coco.where(a);
    if (a.image_file.empty())
      fail(ErrorKind::DataError, "{}: no \"images\" entry names its image file", at);
    TrainRecord r;
    r.image_id = dataset::id_text(*a.image_id);
    r.image = (images / a.image_file).string();
    r.panoptic = coco.png_path(a);
    for (const auto& seg : a.segments) {
      r.segments.push_back(
          segment_info(seg.id, seg.category_id, seg.iscrowd != 0, map, classes, at));
      r.category_ids.push_back(seg.category_id);
    }
    out.records.push_back(std::move(r));
  }
  return out;
}

}  // namespace

dataset::CategorySet read_dataset_categories(const DatasetSpec& spec) {
  if (spec.format == "manifest") return dataset::ManifestReader(spec.path).header().categories;
  if (spec.format == "coco_panoptic")
    return dataset::CocoPanoptic::read(spec.path, spec.png_dir).categories;
  fail(ErrorKind::Config, "{}: unknown format '{}' (manifest or coco_panoptic)", where(spec),
       spec.format);
}

TrainDataset load_train_dataset(const DatasetSpec& spec, const TrainClasses& classes) {
  TrainDataset out;
  if (spec.format == "manifest")
    out = load_manifest(spec, classes);
  else if (spec.format == "coco_panoptic")
    out = load_coco_panoptic(spec, classes);
  else
    fail(ErrorKind::Config, "{}: unknown format '{}' (manifest or coco_panoptic)", where(spec),
         spec.format);
  slice(out.records, spec.start, spec.stop);
  if (out.records.empty()) fail(ErrorKind::DataError, "{} has no images to train on", where(spec));
  return out;
}

}  // namespace segx::train
