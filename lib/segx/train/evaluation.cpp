// Validation PQ, mIoU and mask AP: forward, infer::postprocess, then segx's metrics.
#include "segx/train/evaluation.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <tuple>
#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/infer/postprocess.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/mask/rle.hpp"
#include "segx/metrics/coco_eval.hpp"
#include "segx/metrics/semantic_iou.hpp"

namespace segx::train {
namespace {

// Per-pixel category position + 1 (0 = void) of a panoptic id map, for the confusion matrix.
std::vector<std::uint32_t> semantic_values(
    const std::uint32_t* ids, std::size_t pixels,
    const std::unordered_map<std::uint32_t, std::uint32_t>& value_of) {
  std::vector<std::uint32_t> out(pixels, 0);
  for (std::size_t p = 0; p < pixels; ++p)
    if (auto it = value_of.find(ids[p]); it != value_of.end()) out[p] = it->second;
  return out;
}

// COCO ground truth and detections built image by image (the thing categories only).
struct MaskApAccumulator {
  metrics::CocoGroundTruth gt;
  metrics::CocoResults dt;
  std::unordered_map<std::int64_t, std::uint32_t> category_index;  // category id -> index

  explicit MaskApAccumulator(const dataset::CategorySet& categories) {
    for (const auto& c : categories.list())
      if (c.isthing) gt.categories.push_back({c.id, c.name});
    std::sort(gt.categories.begin(), gt.categories.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    for (std::size_t k = 0; k < gt.categories.size(); ++k)
      category_index[gt.categories[k].id] = static_cast<std::uint32_t>(k);
    gt.numeric_image_ids = false;
    dt.kind = metrics::ResultsKind::Masks;
  }
  std::uint32_t add_image(const std::string& id, std::uint32_t h, std::uint32_t w) {
    gt.images.push_back({id, h, w});
    return static_cast<std::uint32_t>(gt.images.size() - 1);
  }
  void add(std::vector<metrics::CocoObject>& into, std::uint32_t image, std::int64_t category,
           mask::Rle rle, bool iscrowd, double score) {
    auto it = category_index.find(category);
    if (it == category_index.end()) return;
    metrics::CocoObject o;
    o.id = static_cast<std::int64_t>(into.size()) + 1;
    o.image = image;
    o.category = it->second;
    o.iscrowd = iscrowd;
    o.score = score;
    o.area = static_cast<double>(mask::area(rle));
    o.mask_box = mask::to_bbox(rle);
    o.rle = std::move(rle);
    into.push_back(std::move(o));
  }
  // AP and AP50 in percent; -1 without thing ground truth.
  std::pair<double, double> summarize() const {
    if (gt.annotations.empty()) return {-1, -1};
    auto stats = metrics::coco_summarize(metrics::coco_evaluate(gt, dt, {}));
    auto percent = [](double v) { return v < 0 ? -1 : 100 * v; };
    return {percent(stats[0].value), percent(stats[1].value)};
  }
};

}  // namespace

PanopticEvaluation evaluate_panoptic(const model::SegmentationModel& model,
                                     const model::ModelConfig& config, const TrainClasses& classes,
                                     const TrainDataset& dataset, const at::Tensor& task_tokens) {
  const auto t0 = std::chrono::steady_clock::now();
  at::NoGradGuard no_grad;
  std::vector<metrics::PanopticCategory> list;
  // Predicted class -> the validation set's category id (-1: a class the set does not have).
  std::vector<std::int64_t> category_of(static_cast<std::size_t>(classes.size()), -1);
  for (const auto& cat : dataset.categories.list()) {
    list.push_back({cat.id, cat.name, cat.isthing});
    dataset::Category c = cat;
    if (auto it = dataset.spec.category_remap.find(cat.id); it != dataset.spec.category_remap.end())
      c.id = it->second;
    if (const int k = classes.index_of(c); k >= 0)
      category_of[static_cast<std::size_t>(k)] = cat.id;
  }
  metrics::PanopticCategories categories(list);
  auto o = infer::postprocess_options(config);
  o.semantic_on = false;

  metrics::PanopticQuality pq;
  // mIoU: classes are the set's categories in order; label value = position + 1, 0 = void.
  std::unordered_map<std::int64_t, std::uint32_t> value_of_category;
  for (const auto& c : list)
    value_of_category[c.id] = static_cast<std::uint32_t>(value_of_category.size()) + 1;
  const auto label_map = metrics::LabelMap::reduce_zero_label(static_cast<int>(list.size()), -1);
  metrics::ConfusionMatrix confusion(static_cast<int>(list.size()));
  MaskApAccumulator ap(dataset.categories);
  io::PanopticIds gt;
  for (const auto& r : dataset.records) {
    cv::Mat bgr = cv::imread(r.image, cv::IMREAD_COLOR);
    if (bgr.empty()) fail(ErrorKind::NoInput, "cannot read image '{}'", r.image);
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    const std::int64_t h = rgb.rows, w = rgb.cols;
    auto image = at::from_blob(rgb.data, {h, w, 3}, at::kByte).permute({2, 0, 1});
    auto batch = model.preprocess({infer::resize_for_test(image, config.test)});
    auto out = model.forward(batch.tensor, task_tokens);
    auto res =
        infer::postprocess(out.pred_logits[0], out.pred_masks[0],
                           {batch.tensor.size(2), batch.tensor.size(3)}, batch.sizes[0], {h, w}, o);
    auto seg = res.panoptic.seg.to(at::kCPU).to(at::kInt).contiguous();
    // Segments of classes the validation set lacks become void.
    std::vector<std::uint32_t> pred_id(res.panoptic.segments.size() + 1, 0);
    std::vector<metrics::PanopticSegment> pred;
    for (const auto& s : res.panoptic.segments) {
      const auto cat = category_of[static_cast<std::size_t>(s.category_id)];
      if (cat < 0) continue;
      pred_id[static_cast<std::size_t>(s.id)] = static_cast<std::uint32_t>(s.id);
      pred.push_back({static_cast<std::uint32_t>(s.id), cat, false, 0});
    }
    std::vector<std::uint32_t> pred_map(static_cast<std::size_t>(h * w));
    const int* sp = seg.data_ptr<int>();
    for (std::size_t p = 0; p < pred_map.size(); ++p)
      pred_map[p] = pred_id[static_cast<std::size_t>(sp[p])];

    io::read_panoptic_png(r.panoptic, gt);
    if (gt.width != w || gt.height != h)
      fail(ErrorKind::DataError, "'{}' is {}x{} but its image '{}' is {}x{}", r.panoptic, gt.width,
           gt.height, r.image, w, h);
    std::unordered_map<std::uint32_t, std::int64_t> area;
    for (auto id : gt.ids) area[id]++;
    std::vector<metrics::PanopticSegment> gts;
    for (std::size_t k = 0; k < r.segments.size(); ++k)
      gts.push_back({r.segments[k].id, r.category_ids[k], r.segments[k].iscrowd,
                     area.count(r.segments[k].id) ? area[r.segments[k].id] : 0});
    metrics::PanopticOverlap overlap;
    metrics::count_overlap(gt.ids.data(), pred_map.data(), pred_map.size(), overlap);
    metrics::PanopticImageContext ctx{r.image_id, r.panoptic, "<model>", "<model>"};
    pq.add(metrics::evaluate_panoptic_image(gts, pred, overlap, categories, ctx));

    std::unordered_map<std::uint32_t, std::uint32_t> gt_value, pred_value;
    for (std::size_t k = 0; k < r.segments.size(); ++k)
      gt_value[r.segments[k].id] = value_of_category[r.category_ids[k]];
    for (const auto& s : pred) pred_value[s.id] = value_of_category[s.category_id];
    const auto gt_sem = semantic_values(gt.ids.data(), pred_map.size(), gt_value);
    const auto pred_sem = semantic_values(pred_map.data(), pred_map.size(), pred_value);
    confusion.add(gt_sem.data(), pred_sem.data(), pred_map.size(), label_map, label_map);

    if (!o.instance_on) continue;  // MaskFormer: no instances, no mask AP
    const auto image_index =
        ap.add_image(r.image_id, static_cast<std::uint32_t>(h), static_cast<std::uint32_t>(w));
    for (std::size_t k = 0; k < r.segments.size(); ++k)
      ap.add(ap.gt.annotations, image_index, r.category_ids[k],
             mask::encode_label(gt.ids.data(), static_cast<std::uint32_t>(h),
                                static_cast<std::uint32_t>(w), r.segments[k].id),
             r.segments[k].iscrowd, 0);
    const auto& inst = res.instances;
    auto masks = inst.masks.to(at::kCPU).to(at::kByte).contiguous();
    for (std::int64_t i = 0; i < masks.size(0); ++i) {
      const auto cat = category_of[static_cast<std::size_t>(inst.classes[i].item<std::int64_t>())];
      if (cat < 0) continue;
      ap.add(ap.dt.detections, image_index, cat,
             mask::encode_row_major(masks[i].data_ptr<std::uint8_t>(),
                                    static_cast<std::uint32_t>(h), static_cast<std::uint32_t>(w)),
             false, inst.scores[i].item<double>());
    }
  }
  PanopticEvaluation result;
  result.summary = metrics::summarize_pq(pq.stats(), categories);
  result.miou =
      100 * metrics::summarize_semantic(confusion, metrics::IouAveraging::Detectron2).miou;
  std::tie(result.mask_ap, result.mask_ap50) = ap.summarize();
  result.images = dataset.records.size();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace segx::train
