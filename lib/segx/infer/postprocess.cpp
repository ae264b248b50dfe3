// Post-processing as MaskFormer.semantic_inference / panoptic_inference / instance_inference.
#include "segx/infer/postprocess.hpp"

#include <map>

#include "segx/model/config.hpp"

namespace segx::infer {

at::Tensor sem_seg_postprocess(const at::Tensor& result, std::array<std::int64_t, 2> size,
                               std::int64_t out_h, std::int64_t out_w) {
  auto r = result.narrow(1, 0, size[0]).narrow(2, 0, size[1]).unsqueeze(0);
  return at::upsample_bilinear2d(r, {out_h, out_w}, false, c10::nullopt, c10::nullopt)[0];
}

at::Tensor semantic_inference(const at::Tensor& mask_cls, const at::Tensor& mask_pred) {
  auto cls = at::softmax(mask_cls, -1).narrow(-1, 0, mask_cls.size(-1) - 1);
  auto pred = mask_pred.sigmoid();
  // einsum("qc,qhw->chw")
  return at::matmul(cls.t(), pred.flatten(1)).view({cls.size(1), pred.size(1), pred.size(2)});
}

PanopticResult panoptic_inference(const at::Tensor& mask_cls, const at::Tensor& mask_pred,
                                  const PostprocessOptions& o) {
  auto [scores, labels] = at::softmax(mask_cls, -1).max(-1);
  auto pred = mask_pred.sigmoid();
  auto keep = labels.ne(o.num_classes) & (scores > o.object_mask_threshold);
  auto cur_scores = scores.index({keep});
  auto cur_classes = labels.index({keep});
  auto cur_masks = pred.index({keep});
  auto cur_prob = cur_scores.view({-1, 1, 1}) * cur_masks;
  const auto h = pred.size(1), w = pred.size(2);
  PanopticResult r;
  r.seg = at::zeros({h, w}, pred.options().dtype(at::kInt));
  if (cur_masks.size(0) == 0) return r;
  auto ids = cur_prob.argmax(0);
  std::map<int, int> stuff_memory;
  int current = 0;
  auto classes = cur_classes.to(at::kCPU);
  for (std::int64_t k = 0; k < cur_classes.size(0); ++k) {
    const int cls = static_cast<int>(classes[k].item<std::int64_t>());
    const bool isthing = o.is_thing(cls);
    auto in_k = ids.eq(k);
    auto strong = cur_masks[k] >= 0.5;
    const auto mask_area = in_k.sum().item<std::int64_t>();
    const auto original_area = strong.sum().item<std::int64_t>();
    auto mask = o.panoptic_rule == PanopticRule::MaskFormer ? in_k : in_k & strong;
    if (mask_area > 0 && original_area > 0 && mask.any().item<bool>()) {
      if (static_cast<double>(mask_area) / static_cast<double>(original_area) < o.overlap_threshold)
        continue;
      if (!isthing) {
        auto it = stuff_memory.find(cls);
        if (it != stuff_memory.end()) {
          r.seg.masked_fill_(mask, it->second);
          continue;
        }
        stuff_memory[cls] = current + 1;
      }
      ++current;
      r.seg.masked_fill_(mask, current);
      r.segments.push_back({current, isthing, cls, cur_scores[k].item<float>()});
    }
  }
  return r;
}

InstanceResult instance_inference(const at::Tensor& mask_cls, const at::Tensor& mask_pred,
                                  const PostprocessOptions& o) {
  const auto q = mask_cls.size(0), k = static_cast<std::int64_t>(o.num_classes);
  auto scores = at::softmax(mask_cls, -1).narrow(-1, 0, k);
  const auto topk = std::min<std::int64_t>(o.topk_per_image, q * k);
  auto [top_scores, top_idx] = scores.flatten().topk(topk, -1, true, false);
  auto labels = top_idx.remainder(k);
  auto query = at::div(top_idx, k, "floor");
  if (o.panoptic_on) {
    auto lab = labels.to(at::kCPU);
    std::vector<bool> keep_v;
    std::vector<std::int64_t> keep_idx;
    for (std::int64_t i = 0; i < lab.size(0); ++i)
      if (o.is_thing(static_cast<int>(lab[i].item<std::int64_t>()))) keep_idx.push_back(i);
    auto keep = at::tensor(keep_idx, at::kLong).to(top_idx.device());
    top_scores = top_scores.index_select(0, keep);
    labels = labels.index_select(0, keep);
    query = query.index_select(0, keep);
  }
  auto pred = mask_pred.index_select(0, query);
  auto masks = (pred > 0).to(pred.scalar_type());
  auto mask_scores =
      (pred.sigmoid().flatten(1) * masks.flatten(1)).sum(1) / (masks.flatten(1).sum(1) + 1e-6);
  InstanceResult r;
  r.masks = masks.to(at::kBool);
  r.scores = top_scores * mask_scores;
  r.classes = labels;
  r.query_index = query;
  return r;
}

PostprocessOptions postprocess_options(const model::ModelConfig& config) {
  PostprocessOptions o;
  o.num_classes = config.num_classes;
  o.object_mask_threshold = config.test.object_mask_threshold;
  o.overlap_threshold = config.test.overlap_threshold;
  o.topk_per_image = config.test.topk_per_image;
  o.resize_before_semantic = config.test.sem_seg_postprocess_before_inference;
  if (config.is_maskformer()) {
    o.panoptic_rule = PanopticRule::MaskFormer;
    o.instance_on = false;
  }
  // A copy: the options may outlive the config they came from.
  o.is_thing = [config](int c) { return config.is_thing(c); };
  return o;
}

ImageResult postprocess(const at::Tensor& mask_cls, const at::Tensor& mask_pred,
                        std::array<std::int64_t, 2> padded, std::array<std::int64_t, 2> image_size,
                        std::array<std::int64_t, 2> out, const PostprocessOptions& o) {
  auto up = at::upsample_bilinear2d(mask_pred.unsqueeze(0), {padded[0], padded[1]}, false,
                                    c10::nullopt, c10::nullopt)[0];
  ImageResult r;
  const bool semantic_before = o.semantic_on && o.resize_before_semantic;
  if (o.semantic_on && !semantic_before)
    r.sem_seg = sem_seg_postprocess(semantic_inference(mask_cls, up), image_size, out[0], out[1]);
  if (!o.panoptic_on && !o.instance_on && !semantic_before) return r;
  r.mask_pred = sem_seg_postprocess(up, image_size, out[0], out[1]);
  if (semantic_before) r.sem_seg = semantic_inference(mask_cls, r.mask_pred);
  if (o.panoptic_on) r.panoptic = panoptic_inference(mask_cls, r.mask_pred, o);
  if (o.instance_on) r.instances = instance_inference(mask_cls, r.mask_pred, o);
  return r;
}

}  // namespace segx::infer
