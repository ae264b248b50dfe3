// The original MaskFormer meta-architecture (facebookresearch/MaskFormer, architecture
// "maskformer"): normalise and pad images, backbone, BasePixelDecoder (fpn) or
// TransformerEncoderPixelDecoder (transformer_encoder), and the standard transformer decoder
// over res5 or the pixel decoder's encoder output (decoder.transformer_in_feature).
#pragma once
#include <memory>

#include "segx/model/model.hpp"
#include "segx/model/pixel_decoder/pixel_decoder.hpp"
#include "segx/model/transformer_decoder/standard.hpp"

namespace segx::model {

class MaskFormer : public SegmentationModel {
 public:
  // Builds the model taking every parameter from `weights` (call weights.finish() after).
  // class_embeddings: [K, D] for an embedding classifier (else from the weights).
  MaskFormer(const ModelConfig& config, Weights& weights, const at::Tensor& class_embeddings = {});

  // task_tokens are ignored (MaskFormer has no task conditioning).
  ModelOutput forward(const at::Tensor& images, const at::Tensor& task_tokens = {},
                      Trace* trace = nullptr, StageTimes* times = nullptr) const override;

 private:
  std::unique_ptr<PixelDecoder> pixel_decoder_;
  int in_feature_ = 3;  // backbone level the decoder reads (0 = res2); -1: the encoder output
  StandardTransformerDecoder predictor_;
};

}  // namespace segx::model
