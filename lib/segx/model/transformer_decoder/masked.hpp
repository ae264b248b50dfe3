// Mask2Former's MultiScaleMaskedTransformerDecoder and OneFormer's task-conditioned variant
// (ContrastiveMultiScaleMaskedTransformerDecoder: class transformer + task query), with the
// classifier either linear (official checkpoints) or by class-name embeddings (DaTaSeg).
#pragma once
#include "segx/model/config.hpp"
#include "segx/model/nn.hpp"
#include "segx/model/transformer_decoder/classifier.hpp"
#include "segx/model/transformer_decoder/predictions.hpp"

namespace segx::model {

class MaskedTransformerDecoder {
 public:
  // class_embeddings: [K, D] for an embedding classifier, else undefined.
  MaskedTransformerDecoder(const ModelConfig& config, std::int64_t in_channels, Weights& w,
                           const at::Tensor& class_embeddings = {},
                           const std::string& prefix = "sem_seg_head.predictor.");
  // features: 3 levels, low to high resolution; task: OneFormer's task_mlp output [B, C].
  DecoderPredictions operator()(const std::vector<at::Tensor>& features,
                                const at::Tensor& mask_features, const at::Tensor& task = {},
                                Trace* trace = nullptr) const;

 private:
  struct ClassLayer {  // DETR TransformerDecoderLayer
    MultiheadAttention self_attn, cross_attn;
    LayerNorm norm1, norm2, norm3;
    Linear linear1, linear2;
  };
  // One prediction head (decoder norm, class and mask embeddings); with `attn_mask`, also the
  // next layer's attention mask at `target`. `features_at_target` (mask features already resized
  // to `target`, inference only) means the full masks are not wanted.
  at::Tensor heads(const at::Tensor& output, const at::Tensor& mask_features,
                   at::IntArrayRef target, const at::Tensor& features_at_target, int index,
                   at::Tensor* attn_mask, DecoderPredictions& out, Trace* trace) const;
  at::Tensor class_transformer(const at::Tensor& mask_features, const at::Tensor& task,
                               Trace* trace) const;

  DecoderConfig config_;
  bool oneformer_ = false, use_task_norm_ = true;
  std::vector<MultiheadAttention> self_attn_, cross_attn_;
  std::vector<LayerNorm> self_norm_, cross_norm_, ffn_norm_;
  std::vector<Linear> ffn1_, ffn2_;
  std::vector<Conv2d> input_proj_;  // empty entries (undefined weight) are identities
  LayerNorm decoder_norm_;
  at::Tensor query_feat_, query_embed_, level_embed_;
  Classifier classifier_;
  Mlp mask_embed_;
  // OneFormer
  Conv2d class_input_proj_;
  std::vector<ClassLayer> class_layers_;
  LayerNorm class_norm_;
};

}  // namespace segx::model
