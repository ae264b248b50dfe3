// The original MaskFormer's TransformerPredictor: a DETR transformer (optional encoder of
// decoder.enc_layers layers, decoder of decoder.dec_layers layers without masked attention) over
// one feature map, learned query positions on zero queries, and a class and mask head on every
// decoder layer's output after the shared decoder norm (deep supervision).
#pragma once
#include <string>
#include <vector>

#include "segx/model/config.hpp"
#include "segx/model/detr_transformer.hpp"
#include "segx/model/nn.hpp"
#include "segx/model/transformer_decoder/classifier.hpp"
#include "segx/model/transformer_decoder/predictions.hpp"

namespace segx::model {

class StandardTransformerDecoder {
 public:
  // in_channels: channels of the feature map it reads; class_embeddings: [K, D] for an
  // embedding classifier, else undefined.
  StandardTransformerDecoder(const ModelConfig& config, std::int64_t in_channels, Weights& w,
                             const at::Tensor& class_embeddings = {},
                             const std::string& prefix = "sem_seg_head.predictor.");
  // x: [B, in_channels, H, W] (res5 or the pixel decoder's encoder output); mask_features:
  // [B, mask_dim, H/4, W/4]. One prediction per decoder layer.
  DecoderPredictions operator()(const at::Tensor& x, const at::Tensor& mask_features,
                                Trace* trace = nullptr) const;

 private:
  DecoderConfig config_;
  Conv2d input_proj_;  // undefined weight: identity (in_channels == hidden_dim)
  DetrEncoder encoder_;
  std::vector<DetrDecoderLayer> layers_;
  LayerNorm norm_;  // the decoder's norm, shared by every layer's prediction
  at::Tensor query_embed_;
  Classifier classifier_;
  Mlp mask_embed_;
};

}  // namespace segx::model
