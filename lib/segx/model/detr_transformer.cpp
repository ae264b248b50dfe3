// DETR encoder and decoder layers, operation for operation as MaskFormer's transformer.py
// (without dropout: see the header).
#include "segx/model/detr_transformer.hpp"

#include <fmt/format.h>

namespace segx::model {

DetrEncoderLayer::DetrEncoderLayer(Weights& w, const std::string& p, const DetrShape& s)
    : self_attn(w, p + "self_attn.", s.dim, s.heads),
      linear1(w, p + "linear1.", s.dim, s.dim_feedforward),
      linear2(w, p + "linear2.", s.dim_feedforward, s.dim),
      norm1(w, p + "norm1.", s.dim),
      norm2(w, p + "norm2.", s.dim) {}

at::Tensor DetrEncoderLayer::operator()(const at::Tensor& src, const at::Tensor& pos,
                                        bool pre_norm) const {
  if (pre_norm) {
    auto x = norm1(src);
    auto q = x + pos;
    auto y = src + self_attn(q, q, x);
    return y + linear2(linear1(norm2(y)).relu_());
  }
  auto q = src + pos;
  auto y = norm1(src + self_attn(q, q, src));
  return norm2(y + linear2(linear1(y).relu_()));
}

DetrEncoder::DetrEncoder(Weights& w, const std::string& prefix, const DetrShape& s, int num_layers)
    : pre_norm_(s.pre_norm) {
  for (int i = 0; i < num_layers; ++i)
    layers_.emplace_back(w, fmt::format("{}layers.{}.", prefix, i), s);
  if (pre_norm_) norm_ = LayerNorm(w, prefix + "norm.", s.dim);
}

at::Tensor DetrEncoder::operator()(const at::Tensor& src, const at::Tensor& pos, Trace* trace,
                                   const std::string& trace_name) const {
  auto x = src;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    x = layers_[i](x, pos, pre_norm_);
    record(trace, fmt::format("{}.layer{}", trace_name, i), x);
  }
  return pre_norm_ ? norm_(x) : x;
}

DetrDecoderLayer::DetrDecoderLayer(Weights& w, const std::string& p, const DetrShape& s)
    : self_attn(w, p + "self_attn.", s.dim, s.heads),
      multihead_attn(w, p + "multihead_attn.", s.dim, s.heads),
      linear1(w, p + "linear1.", s.dim, s.dim_feedforward),
      linear2(w, p + "linear2.", s.dim_feedforward, s.dim),
      norm1(w, p + "norm1.", s.dim),
      norm2(w, p + "norm2.", s.dim),
      norm3(w, p + "norm3.", s.dim) {}

at::Tensor DetrDecoderLayer::operator()(const at::Tensor& tgt, const at::Tensor& memory,
                                        const at::Tensor& pos, const at::Tensor& query_pos,
                                        bool pre_norm) const {
  const auto key = memory + pos;
  if (pre_norm) {
    auto x = norm1(tgt);
    auto q = x + query_pos;
    auto y = tgt + self_attn(q, q, x);
    y = y + multihead_attn(norm2(y) + query_pos, key, memory);
    return y + linear2(linear1(norm3(y)).relu_());
  }
  auto q = tgt + query_pos;
  auto y = norm1(tgt + self_attn(q, q, tgt));
  y = norm2(y + multihead_attn(y + query_pos, key, memory));
  return norm3(y + linear2(linear1(y).relu_()));
}

}  // namespace segx::model
