// Mask2Former/OneFormer post-processing, exactly as the official code: masks upsampled to the
// padded size, cropped to the image and resized to the output size (sem_seg_postprocess), then
// semantic (softmax x sigmoid), panoptic (thresholds, overlap, stuff merging, void) and instance
// (top-k over queries x classes, mask score x class score) inference. LibTorch header: include
// only from infer, model and their tests.
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <functional>
#include <vector>

namespace segx::infer {

struct PanopticSegment {
  int id = 0;
  bool isthing = false;
  int category_id = 0;  // contiguous class id
  float score = 0;      // class probability of the query (not in the official segments_info)
};

struct PanopticResult {
  at::Tensor seg;  // int32 [H, W]: 0 = void, else segment id
  std::vector<PanopticSegment> segments;
};

struct InstanceResult {
  at::Tensor masks;        // bool [N, H, W]
  at::Tensor scores;       // float [N]
  at::Tensor classes;      // int64 [N]
  at::Tensor query_index;  // int64 [N]
};

struct PostprocessOptions {
  int num_classes = 133;
  double object_mask_threshold = 0.8;
  double overlap_threshold = 0.8;
  int topk_per_image = 100;
  bool semantic_on = true, panoptic_on = true, instance_on = true;
  // Semantic inference on the masks resized to the output (true) or on the padded masks, its
  // class scores resized after (false): the model config's sem_seg_postprocess_before_inference.
  bool resize_before_semantic = true;
  // MaskFormer's panoptic rule: a segment is every pixel its query wins (Mask2Former and
  // OneFormer keep only those where that query's probability is also >= 0.5).
  bool maskformer_panoptic = false;
  std::function<bool(int)> is_thing = [](int) { return true; };
};

struct ImageResult {
  at::Tensor sem_seg;  // float [K, H, W] class scores
  PanopticResult panoptic;
  InstanceResult instances;
  at::Tensor mask_pred;  // the resized mask logits [Q, H, W] (parity checks)
};

// result[:, :h, :w] resized (bilinear, align_corners=False) to out_h x out_w.
at::Tensor sem_seg_postprocess(const at::Tensor& result, std::array<std::int64_t, 2> image_size,
                               std::int64_t out_h, std::int64_t out_w);
at::Tensor semantic_inference(const at::Tensor& mask_cls, const at::Tensor& mask_pred);
PanopticResult panoptic_inference(const at::Tensor& mask_cls, const at::Tensor& mask_pred,
                                  const PostprocessOptions& options);
InstanceResult instance_inference(const at::Tensor& mask_cls, const at::Tensor& mask_pred,
                                  const PostprocessOptions& options);

}  // namespace segx::infer

namespace segx::model {
struct ModelConfig;
}
namespace segx::infer {

// The options a model config asks for (classes, thresholds, top-k, which classes are things, the
// architecture's panoptic rule), with every output the architecture has on (MaskFormer has no
// instance inference); callers switch off what they do not need.
PostprocessOptions postprocess_options(const model::ModelConfig& config);

// One image: logits [Q, K+1], masks [Q, Hp/4, Wp/4] of the padded batch of size `padded`,
// image_size before padding, output size (the original image size).
ImageResult postprocess(const at::Tensor& mask_cls, const at::Tensor& mask_pred,
                        std::array<std::int64_t, 2> padded, std::array<std::int64_t, 2> image_size,
                        std::array<std::int64_t, 2> output_size, const PostprocessOptions& options);

}  // namespace segx::infer

namespace segx::model {
struct InferenceConfig;
}  // namespace segx::model
namespace segx::infer {
// uint8 [3, H, W] resized as the config's test.min_size/max_size ask (ResizeShortestEdge), or
// returned as is when min_size is 0. The results are mapped back to the original size.
at::Tensor resize_for_test(const at::Tensor& image, const model::InferenceConfig& test);
}  // namespace segx::infer
