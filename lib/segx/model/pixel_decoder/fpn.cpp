// BasePixelDecoder, operation for operation as MaskFormer's heads/pixel_decoder.py.
#include "segx/model/pixel_decoder/fpn.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace segx::model {

using Norm = Conv2d::Norm;

FpnPixelDecoder::FpnPixelDecoder(const PixelDecoderConfig& c, const std::array<std::int64_t, 4>& ch,
                                 Weights& w, const std::string& prefix)
    : FpnPixelDecoder(c, ch, ch[3], w, prefix) {}

FpnPixelDecoder::FpnPixelDecoder(const PixelDecoderConfig& c, const std::array<std::int64_t, 4>& ch,
                                 std::int64_t coarsest_in, Weights& w, const std::string& prefix) {
  const bool gn = c.norm == "GN";
  const auto norm = gn ? Norm::GroupNorm : Norm::None;
  const auto dim = c.conv_dim;
  // Upstream's construction order (adapter_1, layer_1, ..., layer_4), res2 first.
  for (int idx = 0; idx < 4; ++idx) {
    Conv2d lateral;
    if (idx < 3) {
      lateral =
          Conv2d(w, fmt::format("{}adapter_{}.", prefix, idx + 1), ch[idx], dim, 1, norm, !gn);
      lateral.gn_groups = c.norm_groups;
    }
    const auto in = idx < 3 ? dim : coarsest_in;
    Conv2d output(w, fmt::format("{}layer_{}.", prefix, idx + 1), in, dim, 3, norm, !gn, 1, 1);
    output.gn_groups = c.norm_groups;
    output.relu = true;
    lateral_.push_back(std::move(lateral));
    output_.push_back(std::move(output));
  }
  std::reverse(lateral_.begin(), lateral_.end());
  std::reverse(output_.begin(), output_.end());
  mask_features_ = Conv2d(w, prefix + "mask_features.", dim, c.mask_dim, 3, Norm::None, true, 1, 1);
}

PixelDecoderOutput FpnPixelDecoder::top_down(const at::Tensor& coarsest,
                                             const BackboneFeatures& features, Trace* trace) const {
  auto y = output_[0](coarsest);
  record(trace, "pixel_decoder.fpn.output_conv0", y);
  for (std::size_t idx = 1; idx < output_.size(); ++idx) {
    auto cur = lateral_[idx](features[3 - idx]);
    // Nearest upsampling, following the FPN implementation (as upstream says).
    y = cur + at::upsample_nearest2d(y, {cur.size(2), cur.size(3)}, c10::nullopt, c10::nullopt);
    y = output_[idx](y);
    record(trace, fmt::format("pixel_decoder.fpn.output_conv{}", idx), y);
  }
  PixelDecoderOutput out;
  out.mask_features = mask_features_(y);
  record(trace, "pixel_decoder.mask_features", out.mask_features);
  return out;
}

PixelDecoderOutput FpnPixelDecoder::operator()(const BackboneFeatures& features,
                                               Trace* trace) const {
  return top_down(features[3], features, trace);
}

std::unique_ptr<PixelDecoder> build_fpn_pixel_decoder(const ModelConfig& config,
                                                      const std::array<std::int64_t, 4>& channels,
                                                      Weights& weights, const std::string& prefix) {
  return std::make_unique<FpnPixelDecoder>(config.pixel_decoder, channels, weights, prefix);
}

}  // namespace segx::model
