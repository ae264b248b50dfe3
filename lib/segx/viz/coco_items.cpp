// COCO panoptic sets into visualize work items.
#include "segx/viz/coco_items.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "segx/core/error.hpp"

namespace segx::viz {

namespace {

LabelFile label_file(const dataset::CocoPanoptic& set, const dataset::PanopticAnnotation& a) {
  LabelFile f;
  f.kind = LabelFile::Kind::Panoptic;
  f.path = set.png_path(a);
  for (const auto& s : a.segments)
    f.segments.push_back({s.id, s.category_id, s.iscrowd != 0, s.score});
  return f;
}

}  // namespace

CategoryTable category_table(const dataset::CategorySet& set) {
  std::vector<Category> out;
  for (const auto& c : set.list()) {
    Category v{c.id, c.name, c.isthing, std::nullopt};
    if (c.has_color) v.color = Rgb{c.color[0], c.color[1], c.color[2]};
    out.push_back(std::move(v));
  }
  return CategoryTable(std::move(out));
}

std::vector<VizItem> coco_panoptic_items(const dataset::CocoPanoptic& gt,
                                         const dataset::CocoPanoptic* pred,
                                         const std::string& images_dir) {
  std::unordered_map<std::string, const dataset::PanopticAnnotation*> by_id;
  if (pred)
    for (const auto& a : pred->annotations) by_id[dataset::id_text(*a.image_id)] = &a;
  std::vector<VizItem> items;
  for (const auto& a : gt.annotations) {
    VizItem item;
    item.key = dataset::id_text(*a.image_id);
    if (!item.key.empty() && item.key.front() == '"')
      item.key = item.key.substr(1, item.key.size() - 2);
    std::string file = !a.image_file.empty() ? a.image_file : a.file_name;
    item.image = (std::filesystem::path(images_dir) / file).string();
    item.gt = label_file(gt, a);
    if (pred) {
      auto it = by_id.find(dataset::id_text(*a.image_id));
      if (it == by_id.end())
        fail(ErrorKind::DataError, "'{}' has no prediction for image {}", pred->json_path,
             item.key);
      item.pred = label_file(*pred, *it->second);
    }
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<VizItem> semantic_items(const std::string& labels_dir, const std::string& images_dir,
                                    const CategoryTable& categories, bool contiguous, int ignore) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(labels_dir, ec))
    fail(ErrorKind::NoInput, "cannot open '{}': not a directory", labels_dir);
  std::vector<fs::path> pngs;
  for (const auto& e : fs::directory_iterator(labels_dir, ec))
    if (e.path().extension() == ".png") pngs.push_back(e.path());
  std::sort(pngs.begin(), pngs.end());
  std::vector<std::int64_t> lut;
  if (contiguous)
    for (const auto& c : categories.all()) lut.push_back(c.id);
  std::vector<VizItem> items;
  for (const auto& png : pngs) {
    VizItem item;
    item.key = png.stem().string();
    for (const char* ext : {".jpg", ".jpeg", ".png"}) {
      fs::path candidate = fs::path(images_dir) / (item.key + ext);
      if (fs::exists(candidate, ec)) {
        item.image = candidate.string();
        break;
      }
    }
    if (item.image.empty())
      fail(ErrorKind::NoInput, "no image for '{}' in '{}' (looked for {}.jpg, .jpeg, .png)",
           png.string(), images_dir, item.key);
    item.gt.kind = LabelFile::Kind::Semantic;
    item.gt.path = png.string();
    item.gt.ignore = ignore;
    item.gt.category_of_label = lut;
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace segx::viz
