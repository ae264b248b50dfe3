// PQ error views of a set: pairing through metrics::load_panoptic_set, matching through
// metrics::match_panoptic_image, drawing through render_errors.
#include "segx/viz/error_view.hpp"

#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/json.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/viz/coco_items.hpp"
#include "segx/viz/image_file.hpp"
#include "segx/viz/sources.hpp"

namespace segx::viz {

namespace {

namespace fs = std::filesystem;

struct Photos {
  CategoryTable categories;
  std::unordered_map<std::string, std::string> by_image_id;  // image id text -> photo path
};

Photos coco_photos(const metrics::PanopticSetSpec& spec, const std::string& images_dir) {
  if (images_dir.empty())
    fail(ErrorKind::Usage, "--images is needed with COCO panoptic ground truth");
  auto coco = dataset::CocoPanoptic::read(spec.gt_json, spec.gt_dir);
  Photos p{category_table(coco.categories), {}};
  for (const auto& a : coco.annotations) {
    const std::string& file = !a.image_file.empty() ? a.image_file : a.file_name;
    p.by_image_id[dataset::id_text(*a.image_id)] = (fs::path(images_dir) / file).string();
  }
  return p;
}

Photos manifest_photos(const std::string& path, const std::string& images_dir) {
  dataset::ManifestReader reader(path);
  Photos p{category_table(reader.header().categories), {}};
  dataset::JsonDocument rec;
  while (reader.next(rec)) {
    const std::string file = dataset::get_string(rec, "file_name", reader.where());
    p.by_image_id[dataset::record_image_id(rec)] =
        images_dir.empty() ? reader.resolve(file)
                           : (fs::path(images_dir) / fs::path(file).filename()).string();
  }
  return p;
}

std::vector<Segment> segments_of(const metrics::PanopticLabels& labels) {
  std::vector<Segment> out;
  for (const auto& s : labels.segments) out.push_back({s.id, s.category_id, s.iscrowd, {}});
  return out;
}

std::string source_of(const metrics::PanopticLabels& labels) {
  return labels.uses_rle() ? labels.listed_in : labels.png;
}

}  // namespace

ErrorMatching error_matching(const metrics::PanopticMatching& matching) {
  using metrics::MatchStatus;
  ErrorMatching m;
  for (const auto& o : matching.gt) {
    if (o.status == MatchStatus::TruePositive) m.matches.push_back({o.id, o.partner, o.iou});
    if (o.status == MatchStatus::FalseNegative) m.false_negatives.push_back(o.id);
    if (o.status == MatchStatus::Crowd) m.crowd.push_back(o.id);
  }
  for (const auto& o : matching.pred) {
    if (o.status == MatchStatus::FalsePositive) m.false_positives.push_back(o.id);
    if (o.status == MatchStatus::Ignored) m.ignored.push_back(o.id);
  }
  return m;
}

Annotation panoptic_annotation(const metrics::PanopticLabels& labels) {
  Annotation ann;
  ann.segments = segments_of(labels);
  if (!labels.uses_rle()) {
    io::PanopticIds ids = io::read_panoptic_png(labels.png);
    ann.ids = cv::Mat1i(ids.height, ids.width);
    // Ids stay below 2^24, so the bits are the same as int.
    std::memcpy(ann.ids.ptr(), ids.ids.data(), ids.ids.size() * sizeof(std::uint32_t));
    return ann;
  }
  ann.ids = cv::Mat1i(labels.height, labels.width, 0);
  const metrics::IdRuns runs = metrics::runs_from_rles(labels);
  // Runs are column-major (COCO order): position k is pixel (k % height, k / height).
  std::size_t k = 0;
  const std::size_t h = std::size_t(labels.height);
  for (std::size_t r = 0; r < runs.ids.size(); ++r) {
    const std::size_t end = k + runs.lengths[r];
    if (runs.ids[r] == metrics::kPanopticVoid) {
      k = end;
      continue;
    }
    for (; k < end; ++k) ann.ids(int(k % h), int(k / h)) = int(runs.ids[r]);
  }
  return ann;
}

ErrorSet load_error_set(const metrics::PanopticSetSpec& spec, const std::string& images_dir) {
  Photos photos = spec.gt_is_manifest ? manifest_photos(spec.gt_json, images_dir)
                                      : coco_photos(spec, images_dir);
  metrics::PanopticSet pairs = metrics::load_panoptic_set(spec);
  ErrorSet set;
  set.categories = std::move(photos.categories);
  set.pq_categories = metrics::PanopticCategories(pairs.categories);
  for (auto& pair : pairs.pairs) {
    ErrorItem item;
    item.key = dataset::unquoted_id(pair.image_id);
    auto it = photos.by_image_id.find(pair.image_id);
    if (it == photos.by_image_id.end())
      fail(ErrorKind::DataError, "'{}': no image file for image {}", spec.gt_json, item.key);
    item.image = it->second;
    item.pair = std::move(pair);
    set.items.push_back(std::move(item));
  }
  return set;
}

cv::Mat3b render_error_item(const ErrorItem& item, const ErrorSet& set, const OverlayStyle& style) {
  const metrics::PanopticImagePair& pair = item.pair;
  cv::Mat3b image = read_picture(item.image);
  Annotation gt = panoptic_annotation(pair.gt);
  check_pair(image, item.image, gt, source_of(pair.gt));
  Annotation pred;
  std::string pred_source = "(no prediction)";
  if (pair.pred) {
    pred = panoptic_annotation(*pair.pred);
    pred_source = source_of(*pair.pred);
    check_pair(image, item.image, pred, pred_source);
  } else {
    pred.ids = cv::Mat1i(gt.ids.size(), 0);
  }
  metrics::PanopticOverlap overlap;
  metrics::count_overlap(reinterpret_cast<const std::uint32_t*>(gt.ids.ptr()),
                         reinterpret_cast<const std::uint32_t*>(pred.ids.ptr()), gt.ids.total(),
                         overlap);
  static const std::vector<metrics::PanopticSegment> kNone;
  const metrics::PanopticMatching matching = metrics::match_panoptic_image(
      pair.gt.segments, pair.pred ? pair.pred->segments : kNone, overlap, set.pq_categories,
      {pair.image_id, source_of(pair.gt), pred_source,
       pair.pred ? pair.pred->listed_in : std::string()});
  return render_errors(image, gt, pred, set.categories, error_matching(matching), style,
                       source_of(pair.gt));
}

}  // namespace segx::viz
