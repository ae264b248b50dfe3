// OneFormer's ConvNeXt backbone (D2ConvNeXt): a 4x4 patch stem, three 2x2 downsampling layers and
// four stages of blocks (depthwise 7x7 convolution, layer norm, pointwise MLP, layer scale), and a
// channels-first layer norm per output. Parameter names as upstream:
// backbone.downsample_layers.i.{0,1}.*, backbone.stages.i.j.{dwconv,norm,pwconv1,pwconv2}.*,
// backbone.stages.i.j.gamma, backbone.normI.*.
#pragma once
#include "segx/model/backbone/backbone.hpp"

namespace segx::model {

// ConvNeXt's LayerNorm with eps 1e-6: channels-last (F.layer_norm over the last dimension) or
// channels-first ([B, C, H, W], normalised over C by upstream's explicit mean and variance).
struct ConvNeXtNorm {
  at::Tensor weight, bias;
  ConvNeXtNorm() = default;
  ConvNeXtNorm(Weights& w, const std::string& prefix, std::int64_t dim);
  at::Tensor channels_last(const at::Tensor& x) const;
  at::Tensor channels_first(const at::Tensor& x) const;
};

// ConvNeXt Block: x + drop_path(gamma * pwconv2(gelu(pwconv1(norm(dwconv(x)))))).
struct ConvNeXtBlock {
  Conv2d dwconv;
  ConvNeXtNorm norm;
  Linear pwconv1, pwconv2;
  at::Tensor gamma;  // layer scale [C]; undefined when layer_scale_init_value is 0
  double drop_path_rate = 0;
  at::Tensor operator()(const at::Tensor& x, bool training) const;
};

class ConvNeXt : public Backbone {
 public:
  ConvNeXt(const ConvNeXtConfig& config, Weights& w, const std::string& prefix = "backbone.");
  // Records backbone.downsample_layers.i, backbone.stages.i.j and backbone.res2..5 in the trace.
  BackboneFeatures operator()(const at::Tensor& x, Trace* trace = nullptr) const override;
  std::array<std::int64_t, 4> channels() const override { return channels_; }
  std::int64_t size_divisibility() const override { return 32; }

 private:
  // downsample_layers: the stem's convolution then norm; later, norm then convolution.
  std::array<Conv2d, 4> down_convs_;
  std::array<ConvNeXtNorm, 4> down_norms_;
  std::array<std::vector<ConvNeXtBlock>, 4> stages_;
  std::array<ConvNeXtNorm, 4> out_norms_;
  std::array<std::int64_t, 4> channels_{};
};

std::unique_ptr<Backbone> build_convnext(const ModelConfig& config, Weights& weights,
                                         const std::string& prefix);

}  // namespace segx::model
