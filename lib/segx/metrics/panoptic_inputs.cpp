// PQ inputs: COCO panoptic JSON + PNG folders (read with segx::dataset) or segx manifests, paired
// by image id in GT order.
#include "segx/metrics/panoptic_inputs.hpp"

#include <filesystem>
#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/manifest.hpp"

namespace segx::metrics {

namespace {

struct Side {
  std::vector<PanopticCategory> categories;
  std::vector<PanopticImagePair> images;  // .gt holds this side's labels
  std::string name;
};

std::vector<PanopticCategory> categories_of(const dataset::CategorySet& set) {
  std::vector<PanopticCategory> out;
  for (const auto& c : set.list()) out.push_back({c.id, c.name, c.isthing});
  return out;
}

std::vector<PanopticSegment> segments_of(const std::vector<dataset::PanopticSegment>& in) {
  std::vector<PanopticSegment> out;
  for (const auto& s : in) out.push_back({s.id, s.category_id, s.iscrowd == 1, s.area.value_or(-1)});
  return out;
}

Side read_coco(const std::string& json, const std::string& dir) {
  auto coco = dataset::CocoPanoptic::read(json, dir);
  Side side{categories_of(coco.categories), {}, json};
  for (const auto& a : coco.annotations) {
    PanopticImagePair p;
    p.image_id = dataset::id_text(*a.image_id);
    p.file_name = a.file_name;
    // panopticapi opens os.path.join(folder, annotation['file_name']).
    p.gt.png = (std::filesystem::path(coco.png_dir) / a.file_name).string();
    p.gt.segments = segments_of(a.segments);
    p.gt.listed_in = json;
    side.images.push_back(std::move(p));
  }
  return side;
}

// A manifest record's panoptic labels: RLE when every segment carries a compressed one (no PNG
// decoding then), else the PNG.
Side read_manifest(const std::string& path) {
  dataset::ManifestReader reader(path);
  Side side{categories_of(reader.header().categories), {}, path};
  dataset::JsonDocument rec;
  while (reader.next(rec)) {
    const std::string where = reader.where();
    PanopticImagePair p;
    p.image_id = dataset::record_image_id(rec);
    p.file_name = dataset::find_member(rec, "file_name") ? dataset::get_string(rec, "file_name", where) : "";
    const auto& segs = dataset::get_array(rec, "segments_info", where);
    p.gt.segments = segments_of(dataset::parse_segments_info(segs, where));
    p.gt.listed_in = where;
    // RLE segments, or none and no PNG: an image with nothing in it (`segx infer` writes such
    // records for images where it finds no segment).
    bool all_rle = segs.Size() > 0 || !dataset::find_member(rec, "pan_seg_file_name");
    for (const auto& s : segs.GetArray()) {
      const auto* m = dataset::find_member(s, "segmentation");
      const auto* counts = m && m->IsObject() ? dataset::find_member(*m, "counts") : nullptr;
      if (!counts || !counts->IsString()) {
        all_rle = false;
        break;
      }
      p.gt.rles.push_back({std::uint32_t(dataset::get_int(s, "id", where)), counts->GetString()});
    }
    if (all_rle) {
      p.gt.height = int(dataset::get_int(rec, "height", where));
      p.gt.width = int(dataset::get_int(rec, "width", where));
    } else {
      p.gt.rles.clear();
      p.gt.png = reader.resolve(dataset::get_string(rec, "pan_seg_file_name", where));
    }
    side.images.push_back(std::move(p));
  }
  return side;
}

}  // namespace

PanopticSet load_panoptic_set(const PanopticSetSpec& spec) {
  Side gt = spec.gt_is_manifest ? read_manifest(spec.gt_json) : read_coco(spec.gt_json, spec.gt_dir);
  Side pred = spec.pred_is_manifest ? read_manifest(spec.pred_json)
                                    : read_coco(spec.pred_json, spec.pred_dir);
  std::unordered_map<std::string, std::size_t> gt_index;
  for (std::size_t i = 0; i < gt.images.size(); ++i)
    if (!gt_index.emplace(gt.images[i].image_id, i).second)
      fail(ErrorKind::DataError, "'{}': image id {} is listed twice", gt.name, gt.images[i].image_id);
  std::unordered_map<std::string, std::size_t> pred_index;
  for (std::size_t i = 0; i < pred.images.size(); ++i) {
    const auto& id = pred.images[i].image_id;
    if (!pred_index.emplace(id, i).second)
      fail(ErrorKind::DataError, "'{}': image id {} is listed twice", pred.name, id);
    if (!gt_index.count(id))
      fail(ErrorKind::DataError, "'{}': prediction for image id {}, which is not in the ground truth '{}'",
           pred.name, id, gt.name);
  }
  PanopticSet set;
  set.categories = gt.categories;
  for (auto& img : gt.images) {
    for (const auto& s : img.gt.segments)
      if (s.area < 0)
        fail(ErrorKind::DataError, "{}: image {}: ground-truth segment {} has no area", gt.name,
             img.image_id, s.id);
    auto it = pred_index.find(img.image_id);
    if (it != pred_index.end()) {
      PanopticLabels labels = std::move(pred.images[it->second].gt);
      if (!labels.uses_rle() && !std::filesystem::is_regular_file(labels.png)) {
        if (!spec.allow_missing)
          fail(ErrorKind::NoInput, "cannot open '{}': No such file or directory (prediction for image {}; "
               "--allow-missing counts it as empty)", labels.png, img.image_id);
      } else {
        img.pred = std::move(labels);
      }
    } else if (!spec.allow_missing) {
      fail(ErrorKind::NoInput, "'{}': no prediction for the image with id {} (--allow-missing counts it as empty)",
           pred.name, img.image_id);
    }
    if (!img.pred) ++set.missing_predictions;
    set.pairs.push_back(std::move(img));
  }
  return set;
}

}  // namespace segx::metrics
