// Mask2Former.forward / OneFormer.forward in inference mode.
#include "segx/model/mask2former.hpp"

#include <chrono>

#include "segx/core/error.hpp"

namespace segx::model {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Mask2Former::Mask2Former(const ModelConfig& c, Weights& w, const at::Tensor& class_embeddings)
    : SegmentationModel(c, w),
      pixel_decoder_(build_pixel_decoder(c, backbone_->channels(), w)),
      decoder_(c, c.pixel_decoder.conv_dim, w, class_embeddings) {
  if (c.is_oneformer() && c.oneformer.task_embedding == "learned")
    task_embed_ = w.take("task_embed.weight", {3, c.decoder.hidden_dim});
  else if (c.is_oneformer())
    task_mlp_ = Mlp(w, "task_mlp.", c.oneformer.task_seq_len, c.decoder.hidden_dim,
                    c.decoder.hidden_dim, 2);
}

ModelOutput Mask2Former::forward(const at::Tensor& images, const at::Tensor& task_tokens,
                                 Trace* trace, StageTimes* times) const {
  record(trace, "input.normalized", images);
  at::Tensor task;
  if (config_.is_oneformer()) {
    if (!task_tokens.defined() || task_tokens.size(0) != images.size(0))
      fail(ErrorKind::Internal, "OneFormer needs one task token row per image");
    if (task_embed_.defined()) {
      // One task index per image (oneformer_task_index), not the prompt's tokens.
      if (task_tokens.dim() != 2 || task_tokens.size(1) != 1 ||
          at::isFloatingType(task_tokens.scalar_type()))
        fail(ErrorKind::Internal, "a learned task embedding takes one task index per image");
      auto index = task_tokens.to(task_embed_.device()).to(at::kLong).view({-1});
      if (index.numel() > 0 && (index.min().item<std::int64_t>() < 0 ||
                                index.max().item<std::int64_t>() >= task_embed_.size(0)))
        fail(ErrorKind::Internal, "task index out of range 0-2");
      task = task_embed_.index_select(0, index);
    } else {
      auto tokens = task_tokens.to(pixel_mean_.device()).to(at::kFloat);
      record(trace, "task.tokens", tokens);
      task = task_mlp_(tokens);
    }
    record(trace, "task.mlp_out", task);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto features = (*backbone_)(images, trace);
  if (times) times->backbone = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  auto pd = (*pixel_decoder_)(features, trace);
  if (times) times->pixel_decoder = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  ModelOutput out;
  out.all = decoder_(pd.multi_scale_features, pd.mask_features, task, trace);
  out.pred_logits = out.all.logits.back();
  out.pred_masks = out.all.masks.back();
  if (times) times->decoder = seconds_since(t0);
  return out;
}

}  // namespace segx::model
