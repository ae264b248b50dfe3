// MSDeformAttnPixelDecoder, operation for operation as Mask2Former's msdeformattn.py.
#include "segx/model/pixel_decoder/msdeformattn.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "segx/core/error.hpp"
#include "segx/model/init.hpp"

namespace segx::model {

using Norm = Conv2d::Norm;

MSDeformAttnPixelDecoder::MSDeformAttnPixelDecoder(const PixelDecoderConfig& c,
                                                   const std::array<std::int64_t, 4>& ch,
                                                   Weights& w, const std::string& prefix)
    : config_(c) {
  for (const auto& f : c.transformer_in_features) transformer_levels_.push_back(f[3] - '2');
  std::sort(transformer_levels_.begin(), transformer_levels_.end());
  transformer_levels_.erase(std::unique(transformer_levels_.begin(), transformer_levels_.end()),
                            transformer_levels_.end());
  std::reverse(transformer_levels_.begin(), transformer_levels_.end());
  const auto nl = static_cast<std::int64_t>(transformer_levels_.size());
  const auto dim = c.conv_dim;
  for (std::int64_t i = 0; i < nl; ++i) {
    const auto p = fmt::format("{}input_proj.{}.", prefix, i);
    Conv2d conv(w, p + "0.", ch[transformer_levels_[i]], dim, 1, Norm::None, true);
    conv.norm = Norm::GroupNorm;
    conv.gn_groups = c.norm_groups;
    conv.gn_weight = w.take(p + "1.weight", {dim});
    conv.gn_bias = w.take(p + "1.bias", {dim});
    input_proj_.push_back(std::move(conv));
  }
  level_embed_ = w.take(prefix + "transformer.level_embed", {nl, dim});
  for (int i = 0; i < c.transformer_enc_layers; ++i) {
    const auto p = fmt::format("{}transformer.encoder.layers.{}.", prefix, i);
    EncoderLayer l;
    l.attn = MSDeformAttn(w, p + "self_attn.", dim, nl, c.transformer_nheads, c.n_points);
    l.norm1 = LayerNorm(w, p + "norm1.", dim);
    l.linear1 = Linear(w, p + "linear1.", dim, c.transformer_dim_feedforward);
    l.linear2 = Linear(w, p + "linear2.", c.transformer_dim_feedforward, dim);
    l.norm2 = LayerNorm(w, p + "norm2.", dim);
    layers_.push_back(std::move(l));
  }
  mask_features_ = Conv2d(w, prefix + "mask_features.", dim, c.mask_dim, 1, Norm::None, true);
  // Extra FPN levels between the finest transformer level and common_stride.
  const int finest = transformer_levels_.back();
  const int stride = 4 << finest;
  const int num_fpn = static_cast<int>(std::lround(std::log2(stride) - std::log2(c.common_stride)));
  const bool gn = c.norm == "GN";
  const auto norm = gn ? Norm::GroupNorm : Norm::None;
  for (int idx = 0; idx < num_fpn; ++idx) {
    Conv2d lat(w, fmt::format("{}adapter_{}.", prefix, idx + 1), ch[idx], dim, 1, norm, !gn);
    Conv2d out(w, fmt::format("{}layer_{}.", prefix, idx + 1), dim, dim, 3, norm, !gn, 1, 1);
    lat.gn_groups = out.gn_groups = c.norm_groups;
    out.relu = true;
    lateral_.push_back(std::move(lat));
    output_.push_back(std::move(out));
    fpn_levels_.push_back(idx);
  }
  std::reverse(lateral_.begin(), lateral_.end());
  std::reverse(output_.begin(), output_.end());
  std::reverse(fpn_levels_.begin(), fpn_levels_.end());
}

PixelDecoderOutput MSDeformAttnPixelDecoder::operator()(const BackboneFeatures& features,
                                                        Trace* trace) const {
  const auto nl = transformer_levels_.size();
  const auto bs = features[0].size(0);
  const auto npf = config_.conv_dim / 2;
  std::vector<at::Tensor> src, pos;
  SpatialShapes shapes;
  for (std::size_t i = 0; i < nl; ++i) {
    const auto& x = features[transformer_levels_[i]];
    auto s = input_proj_[i](x);
    auto p = position_embedding_sine(bs, x.size(2), x.size(3), npf, x.options());
    record(trace, fmt::format("pixel_decoder.input_proj.{}", i), s);
    record(trace, fmt::format("pixel_decoder.pos.{}", i), p);
    shapes.emplace_back(x.size(2), x.size(3));
    src.push_back(s.flatten(2).transpose(1, 2));
    pos.push_back(p.flatten(2).transpose(1, 2) + level_embed_[i].view({1, 1, -1}));
  }
  auto src_flat = at::cat(src, 1);
  auto pos_flat = at::cat(pos, 1);
  // Reference points: pixel centres normalised per level (all valid ratios are 1: no padding
  // masks are used upstream).
  std::vector<at::Tensor> refs;
  auto fopts = src_flat.options();
  for (const auto& [h, w] : shapes) {
    auto ry = at::linspace(0.5, h - 0.5, h, fopts);
    auto rx = at::linspace(0.5, w - 0.5, w, fopts);
    auto grid = at::meshgrid({ry, rx}, "ij");
    auto y = grid[0].reshape({-1}).unsqueeze(0) / static_cast<double>(h);
    auto x = grid[1].reshape({-1}).unsqueeze(0) / static_cast<double>(w);
    refs.push_back(at::stack({x, y}, -1));
  }
  auto ref =
      at::cat(refs, 1).unsqueeze(2).expand({bs, -1, static_cast<std::int64_t>(nl), 2}).contiguous();
  record(trace, "pixel_decoder.encoder.reference_points", ref);
  auto y = src_flat;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const auto& l = layers_[i];
    auto tag = fmt::format("pixel_decoder.encoder.layer{}.msda.", i);
    y = l.norm1(y + l.attn(y + pos_flat, ref, y, shapes, trace, tag));
    y = l.norm2(y + l.linear2(l.linear1(y).relu_()));
    record(trace, fmt::format("pixel_decoder.encoder.layer{}", i), y);
  }
  record(trace, "pixel_decoder.encoder.memory", y);
  if (trace) {
    std::vector<std::int64_t> flat, starts;
    std::int64_t start = 0;
    for (const auto& [h, w] : shapes) {
      flat.push_back(h);
      flat.push_back(w);
      starts.push_back(start);
      start += h * w;
    }
    record(trace, "pixel_decoder.encoder.spatial_shapes",
           at::tensor(flat, at::kLong).view({static_cast<std::int64_t>(nl), 2}));
    record(trace, "pixel_decoder.encoder.level_start_index", at::tensor(starts, at::kLong));
  }
  std::vector<at::Tensor> out;
  std::int64_t start = 0;
  for (const auto& [h, w] : shapes) {
    out.push_back(y.narrow(1, start, h * w).transpose(1, 2).reshape({bs, -1, h, w}));
    start += h * w;
  }
  for (std::size_t idx = 0; idx < lateral_.size(); ++idx) {
    auto cur = lateral_[idx](features[fpn_levels_[idx]]);
    auto up = at::upsample_bilinear2d(out.back(), {cur.size(2), cur.size(3)}, false, c10::nullopt,
                                      c10::nullopt);
    out.push_back(output_[idx](cur + up));
    record(trace, fmt::format("pixel_decoder.fpn.output_conv{}", idx), out.back());
  }
  PixelDecoderOutput r;
  for (std::size_t i = 0; i < out.size() && i < 3; ++i) {
    r.multi_scale_features.push_back(out[i]);
    record(trace, fmt::format("pixel_decoder.multi_scale_features.{}", i), out[i]);
  }
  r.transformer_encoder_features = out[0];
  r.mask_features = mask_features_(out.back());
  record(trace, "pixel_decoder.transformer_encoder_features", out[0]);
  record(trace, "pixel_decoder.mask_features", r.mask_features);
  return r;
}

std::unique_ptr<PixelDecoder> build_msdeformattn_pixel_decoder(
    const ModelConfig& config, const std::array<std::int64_t, 4>& channels, Weights& weights,
    const std::string& prefix) {
  return std::make_unique<MSDeformAttnPixelDecoder>(config.pixel_decoder, channels, weights,
                                                    prefix);
}

}  // namespace segx::model
