// Post-processing as MaskFormer.semantic_inference / panoptic_inference / instance_inference.
#include "segx/infer/postprocess.hpp"

#include <map>

#include "segx/model/config.hpp"

namespace segx::infer {

at::Tensor sem_seg_postprocess(const at::Tensor& result, std::array<std::int64_t, 2> size,
                               std::int64_t out_h, std::int64_t out_w) {
  auto r = result.narrow(1, 0, size[0]).narrow(2, 0, size[1]);
  // A bilinear resize to the same size (align_corners=False) maps each pixel onto itself with
  // weight 1: the crop is already the answer.
  if (size[0] == out_h && size[1] == out_w) return r;
  return at::upsample_bilinear2d(r.unsqueeze(0), {out_h, out_w}, false, c10::nullopt,
                                 c10::nullopt)[0];
}

namespace {

// The three inferences on mask probabilities (sigmoid of the mask logits) computed once.
at::Tensor semantic_from_probabilities(const at::Tensor& mask_cls, const at::Tensor& prob) {
  auto cls = at::softmax(mask_cls, -1).narrow(-1, 0, mask_cls.size(-1) - 1);
  // einsum("qc,qhw->chw")
  return at::matmul(cls.t(), prob.flatten(1)).view({cls.size(1), prob.size(1), prob.size(2)});
}

// Upstream loops over the kept queries, comparing the whole argmax map with each; the same
// decisions come from per-query pixel counts taken in one pass (the queries' pixels are disjoint,
// so the order in which upstream paints them does not matter).
PanopticResult panoptic_from_probabilities(const at::Tensor& mask_cls, const at::Tensor& prob,
                                           const PostprocessOptions& o) {
  auto [scores, labels] = at::softmax(mask_cls, -1).max(-1);
  auto keep = (labels.ne(o.num_classes) & (scores > o.object_mask_threshold)).nonzero().flatten();
  const auto h = prob.size(1), w = prob.size(2), kept = keep.size(0);
  PanopticResult r;
  r.seg = at::zeros({h, w}, prob.options().dtype(at::kInt));
  if (kept == 0) return r;
  auto cur_scores = scores.index_select(0, keep);
  auto cur_masks = prob.index_select(0, keep);
  auto ids = (cur_scores.view({-1, 1, 1}) * cur_masks).argmax(0);  // [H, W] winning query
  // Mask2Former keeps a pixel only where its query's probability is >= 0.5 there; MaskFormer
  // keeps every pixel its query wins.
  auto in_segment = o.maskformer_panoptic ? at::ones({h, w}, ids.options().dtype(at::kBool))
                                          : cur_masks.gather(0, ids.unsqueeze(0))[0] >= 0.5;
  auto flat_ids = ids.flatten();
  const auto won = at::bincount(flat_ids, {}, kept).cpu();
  const auto painted = at::bincount(flat_ids.masked_select(in_segment.flatten()), {}, kept).cpu();
  const auto strong = (cur_masks >= 0.5).sum({1, 2}).cpu();
  const auto classes = labels.index_select(0, keep).cpu();
  const auto score_values = cur_scores.cpu();
  std::vector<int> segment_of(static_cast<std::size_t>(kept), 0);
  std::map<int, int> stuff_memory;
  int current = 0;
  for (std::int64_t k = 0; k < kept; ++k) {
    const int cls = static_cast<int>(classes[k].item<std::int64_t>());
    const bool isthing = o.is_thing(cls);
    const auto mask_area = won[k].item<std::int64_t>();
    const auto original_area = strong[k].item<std::int64_t>();
    if (mask_area == 0 || original_area == 0 || painted[k].item<std::int64_t>() == 0) continue;
    if (static_cast<double>(mask_area) / static_cast<double>(original_area) < o.overlap_threshold)
      continue;
    if (!isthing) {
      auto it = stuff_memory.find(cls);
      if (it != stuff_memory.end()) {
        segment_of[static_cast<std::size_t>(k)] = it->second;
        continue;
      }
      stuff_memory[cls] = current + 1;
    }
    segment_of[static_cast<std::size_t>(k)] = ++current;
    r.segments.push_back({current, isthing, cls, score_values[k].item<float>()});
  }
  auto lookup = at::tensor(segment_of, at::kInt).to(prob.device());
  r.seg = lookup.index_select(0, flat_ids).view({h, w}).masked_fill_(~in_segment, 0);
  return r;
}

InstanceResult instances_from_probabilities(const at::Tensor& mask_cls, const at::Tensor& logits,
                                            const at::Tensor& prob, const PostprocessOptions& o) {
  const auto q = mask_cls.size(0), k = static_cast<std::int64_t>(o.num_classes);
  auto scores = at::softmax(mask_cls, -1).narrow(-1, 0, k);
  const auto topk = std::min<std::int64_t>(o.topk_per_image, q * k);
  auto [top_scores, top_idx] = scores.flatten().topk(topk, -1, true, false);
  auto labels = top_idx.remainder(k);
  auto query = at::div(top_idx, k, "floor");
  if (o.panoptic_on) {
    auto lab = labels.to(at::kCPU);
    std::vector<std::int64_t> keep_idx;
    for (std::int64_t i = 0; i < lab.size(0); ++i)
      if (o.is_thing(static_cast<int>(lab[i].item<std::int64_t>()))) keep_idx.push_back(i);
    auto keep = at::tensor(keep_idx, at::kLong).to(top_idx.device());
    top_scores = top_scores.index_select(0, keep);
    labels = labels.index_select(0, keep);
    query = query.index_select(0, keep);
  }
  // A query may be picked for several classes: its mask and mask score are computed once.
  auto [unique, slot] = at::_unique(query, /*sorted=*/true, /*return_inverse=*/true);
  auto positive = logits.index_select(0, unique) > 0;
  auto area = positive.flatten(1).sum(1).to(prob.scalar_type());
  auto mask_scores = (prob.index_select(0, unique) * positive).flatten(1).sum(1) / (area + 1e-6);
  InstanceResult r;
  r.masks = positive.index_select(0, slot);
  r.scores = top_scores * mask_scores.index_select(0, slot);
  r.classes = labels;
  r.query_index = query;
  return r;
}

}  // namespace

at::Tensor semantic_inference(const at::Tensor& mask_cls, const at::Tensor& mask_pred) {
  return semantic_from_probabilities(mask_cls, mask_pred.sigmoid());
}

PanopticResult panoptic_inference(const at::Tensor& mask_cls, const at::Tensor& mask_pred,
                                  const PostprocessOptions& o) {
  return panoptic_from_probabilities(mask_cls, mask_pred.sigmoid(), o);
}

InstanceResult instance_inference(const at::Tensor& mask_cls, const at::Tensor& mask_pred,
                                  const PostprocessOptions& o) {
  return instances_from_probabilities(mask_cls, mask_pred, mask_pred.sigmoid(), o);
}

PostprocessOptions postprocess_options(const model::ModelConfig& config) {
  PostprocessOptions o;
  o.num_classes = config.num_classes;
  o.object_mask_threshold = config.test.object_mask_threshold;
  o.overlap_threshold = config.test.overlap_threshold;
  o.topk_per_image = config.test.topk_per_image;
  o.resize_before_semantic = config.test.sem_seg_postprocess_before_inference;
  o.maskformer_panoptic = config.is_maskformer();
  if (config.is_maskformer()) o.instance_on = false;  // upstream MaskFormer has none
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
  const auto prob = r.mask_pred.sigmoid();  // once for every inference below
  if (semantic_before) r.sem_seg = semantic_from_probabilities(mask_cls, prob);
  if (o.panoptic_on) r.panoptic = panoptic_from_probabilities(mask_cls, prob, o);
  if (o.instance_on) r.instances = instances_from_probabilities(mask_cls, r.mask_pred, prob, o);
  return r;
}

}  // namespace segx::infer
