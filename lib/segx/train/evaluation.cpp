// Validation PQ: forward, infer::postprocess, count overlaps, panopticapi's matching.
#include "segx/train/evaluation.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <unordered_map>

#include "segx/core/error.hpp"
#include "segx/infer/postprocess.hpp"
#include "segx/io/panoptic_png.hpp"

namespace segx::train {

PanopticEvaluation evaluate_panoptic(const model::MaskFormer& model,
                                     const model::ModelConfig& config, const TrainClasses& classes,
                                     const TrainDataset& dataset) {
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
  infer::PostprocessOptions o;
  o.num_classes = config.num_classes;
  o.object_mask_threshold = config.test.object_mask_threshold;
  o.overlap_threshold = config.test.overlap_threshold;
  o.topk_per_image = config.test.topk_per_image;
  o.semantic_on = o.instance_on = false;
  o.panoptic_on = true;
  o.is_thing = [&config](int c) { return config.is_thing(c); };

  metrics::PanopticQuality pq;
  io::PanopticIds gt;
  for (const auto& r : dataset.records) {
    cv::Mat bgr = cv::imread(r.image, cv::IMREAD_COLOR);
    if (bgr.empty()) fail(ErrorKind::NoInput, "cannot read image '{}'", r.image);
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    const std::int64_t h = rgb.rows, w = rgb.cols;
    auto image = at::from_blob(rgb.data, {h, w, 3}, at::kByte).permute({2, 0, 1});
    auto batch = model.preprocess({infer::resize_for_test(image, config.test)});
    auto out = model.forward(batch.tensor);
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
  }
  PanopticEvaluation result;
  result.summary = metrics::summarize_pq(pq.stats(), categories);
  result.images = dataset.records.size();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace segx::train
