// DETR's transformer encoder and decoder layers (post- or pre-norm), as the original MaskFormer
// uses them in its TransformerEncoderPixelDecoder and its TransformerPredictor
// (mask_former/modeling/transformer/transformer.py). Batch-first here ([B, L, C]); upstream is
// sequence-first, which changes no value. No dropout: inference has none, and training runs
// without upstream's MASK_FORMER.DROPOUT (0.1), whose draws from a global generator would make a
// step depend on how its batch is split over threads (segx's steps do not).
#pragma once
#include <string>
#include <vector>

#include "segx/model/nn.hpp"

namespace segx::model {

// Sizes of one DETR transformer.
struct DetrShape {
  std::int64_t dim = 256;  // d_model
  std::int64_t heads = 8;  // nhead
  std::int64_t dim_feedforward = 2048;
  bool pre_norm = false;  // normalize_before
};

// TransformerEncoderLayer: self-attention with the position added to queries and keys, FFN.
struct DetrEncoderLayer {
  MultiheadAttention self_attn;
  Linear linear1, linear2;
  LayerNorm norm1, norm2;
  DetrEncoderLayer() = default;
  DetrEncoderLayer(Weights& w, const std::string& prefix, const DetrShape& shape);
  at::Tensor operator()(const at::Tensor& src, const at::Tensor& pos, bool pre_norm) const;
};

// TransformerEncoder: the layers, then a final LayerNorm in pre-norm transformers only. That
// norm exists (and is applied) even with no layers: upstream builds it from normalize_before
// alone, so a pre-norm predictor with ENC_LAYERS 0 still normalises its memory.
class DetrEncoder {
 public:
  DetrEncoder() = default;
  // Parameters "<prefix>layers.{i}.*" and, for pre-norm, "<prefix>norm.*".
  DetrEncoder(Weights& w, const std::string& prefix, const DetrShape& shape, int num_layers);
  // src, pos: [B, HW, C]. Records each layer's output as "<trace_name>.layer{i}".
  at::Tensor operator()(const at::Tensor& src, const at::Tensor& pos, Trace* trace,
                        const std::string& trace_name) const;

 private:
  bool pre_norm_ = false;
  std::vector<DetrEncoderLayer> layers_;
  LayerNorm norm_;  // pre-norm only
};

// TransformerDecoderLayer: self-attention over the queries, cross-attention to the memory, FFN.
struct DetrDecoderLayer {
  MultiheadAttention self_attn, multihead_attn;
  Linear linear1, linear2;
  LayerNorm norm1, norm2, norm3;
  DetrDecoderLayer() = default;
  DetrDecoderLayer(Weights& w, const std::string& prefix, const DetrShape& shape);
  // tgt, query_pos: [B, Q, C]; memory, pos: [B, HW, C].
  at::Tensor operator()(const at::Tensor& tgt, const at::Tensor& memory, const at::Tensor& pos,
                        const at::Tensor& query_pos, bool pre_norm) const;
};

}  // namespace segx::model
