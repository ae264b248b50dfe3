// Training records from segx manifests and COCO panoptic folders.
#include "segx/train/train_data.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/dataset/coco_instances.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/mask/rle.hpp"
#include "segx/metrics/semantic_manifest.hpp"

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

const char* annotation_name(AnnotationKind kind) {
  switch (kind) {
    case AnnotationKind::Panoptic:
      return "panoptic";
    case AnnotationKind::Semantic:
      return "semantic-only";
    case AnnotationKind::Instances:
      return "instance-only";
    case AnnotationKind::Boxes:
      return "boxes-only";
  }
  return "panoptic";
}

bool supports(AnnotationKind kind, Task task) {
  switch (kind) {
    case AnnotationKind::Panoptic:
      return true;
    case AnnotationKind::Semantic:
      return task == Task::Semantic;
    case AnnotationKind::Instances:
    case AnnotationKind::Boxes:
      return task == Task::Instance;
  }
  return false;
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

// Instance annotations (COCO style) of an instance-only or boxes-only record: a record whose
// annotations carry no segmentation is boxes-only.
void read_instances(const dataset::JsonValue& rec, const dataset::JsonValue& anns,
                    const std::unordered_map<std::int64_t, int>& map, const std::string& at,
                    TrainRecord& r) {
  const auto height = static_cast<std::uint32_t>(dataset::get_int(rec, "height", at));
  const auto width = static_cast<std::uint32_t>(dataset::get_int(rec, "width", at));
  bool masks = false;
  for (const auto& a : anns.GetArray()) masks = masks || dataset::find_member(a, "segmentation");
  r.kind = masks ? AnnotationKind::Instances : AnnotationKind::Boxes;
  for (const auto& a : anns.GetArray()) {
    const auto category = dataset::get_int(a, "category_id", at);
    auto it = map.find(category);
    if (it == map.end())
      fail(ErrorKind::DataError,
           "{}: an annotation has category {}, which the header does not list", at, category);
    TrainInstance inst;
    inst.class_index = it->second;
    if (const auto* c = dataset::find_member(a, "iscrowd"); c && c->IsInt())
      inst.iscrowd = c->GetInt() != 0;
    if (masks) {
      const auto* seg = dataset::find_member(a, "segmentation");
      if (!seg)
        fail(ErrorKind::DataError, "{}: an annotation has no segmentation while others have one",
             at);
      inst.mask = dataset::segmentation_to_rle(*seg, height, width, at);
    } else {
      const auto& b = dataset::get_array(a, "bbox", at);
      if (b.Size() != 4) fail(ErrorKind::DataError, "{}: bbox must be [x, y, width, height]", at);
      inst.box = {b[0].GetDouble(), b[1].GetDouble(), b[0].GetDouble() + b[2].GetDouble(),
                  b[1].GetDouble() + b[3].GetDouble()};
    }
    r.instances.push_back(std::move(inst));
    r.category_ids.push_back(category);
  }
}

// Label value -> contiguous class for semantic-only records, through the header's scheme.
metrics::LabelMap semantic_classes(const DatasetSpec& spec,
                                   const std::unordered_map<std::int64_t, int>& map) {
  const auto scheme = metrics::semantic_scheme_of(spec.path, -1);
  metrics::LabelMap out;
  for (std::uint32_t v = 0; v < 65536; ++v) {
    const auto c = scheme.map[v];
    if (c < 0) {
      out.set(v, c);
      continue;
    }
    const auto id = scheme.class_ids[static_cast<std::size_t>(c)];
    auto it = map.find(id);
    out.set(v, id < 0 || it == map.end() ? metrics::LabelMap::kIgnore : it->second);
  }
  return out;
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
    const auto* anns = dataset::find_member(rec, "annotations");
    const auto* sem = dataset::find_member(rec, "sem_seg_file_name");
    if (pan && pan->IsString()) {
      r.panoptic = reader.resolve(pan->GetString());
      for (const auto& seg :
           dataset::parse_segments_info(dataset::get_array(rec, "segments_info", at), at)) {
        r.segments.push_back(
            segment_info(seg.id, seg.category_id, seg.iscrowd != 0, map, classes, at));
        r.category_ids.push_back(seg.category_id);
      }
    } else if (anns && anns->IsArray()) {
      read_instances(rec, *anns, map, at, r);
    } else if (sem && sem->IsString()) {
      r.kind = AnnotationKind::Semantic;
      r.semantic = reader.resolve(sem->GetString());
    } else {
      fail(ErrorKind::DataError,
           "{}: no pan_seg_file_name, annotations or sem_seg_file_name (nothing to train on)", at);
    }
    out.records.push_back(std::move(r));
  }
  for (const auto& r : out.records)
    if (r.kind == AnnotationKind::Semantic) {
      out.semantic_classes = semantic_classes(spec, map);
      break;
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

// Each dataset trains only the tasks its annotations support; unset tasks default to those.
void check_tasks(TrainDataset& d) {
  const auto first = d.records.front().kind;
  if (!d.spec.tasks_given)
    d.spec.tasks = {first == AnnotationKind::Panoptic   ? Task::Panoptic
                    : first == AnnotationKind::Semantic ? Task::Semantic
                                                        : Task::Instance};
  for (const auto& r : d.records)
    for (auto task : d.spec.tasks)
      if (!supports(r.kind, task))
        fail(ErrorKind::Config,
             "{}: task '{}' needs annotations its records lack (image {} is {}; that trains {})",
             where(d.spec), task_name(task), r.image_id, annotation_name(r.kind),
             r.kind == AnnotationKind::Semantic ? "the semantic task only"
                                                : "the instance task only");
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
  check_tasks(out);
  out.label_space.assign(static_cast<std::size_t>(classes.size()), false);
  for (const auto& [id, k] : class_map(spec, out.categories, classes))
    out.label_space[static_cast<std::size_t>(k)] = true;
  return out;
}

}  // namespace segx::train
