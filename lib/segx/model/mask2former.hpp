// The Mask2Former meta-architecture, and OneFormer (Mask2Former whose queries are conditioned on
// a task token): normalise and pad images, backbone, multi-scale deformable-attention pixel
// decoder, masked-attention decoder.
#pragma once
#include "segx/model/model.hpp"
#include "segx/model/pixel_decoder/pixel_decoder.hpp"
#include "segx/model/transformer_decoder/masked.hpp"

namespace segx::model {

class Mask2Former : public SegmentationModel {
 public:
  // Builds the model taking every parameter from `weights` (call weights.finish() after).
  // class_embeddings: [K, D] for an embedding classifier (else from the weights).
  Mask2Former(const ModelConfig& config, Weights& weights, const at::Tensor& class_embeddings = {});

  ModelOutput forward(const at::Tensor& images, const at::Tensor& task_tokens = {},
                      Trace* trace = nullptr, StageTimes* times = nullptr) const override;

 private:
  std::unique_ptr<PixelDecoder> pixel_decoder_;
  MaskedTransformerDecoder decoder_;
  Mlp task_mlp_;          // oneformer.task_embedding "token_mlp"
  at::Tensor task_embed_;  // "learned": [3, hidden], rows in oneformer_task_index() order
};

}  // namespace segx::model
