// ConvNeXt (OneFormer's convnext.py): the same operations in the same order as upstream, so that
// float32 results agree with it to rounding.
#include "segx/model/backbone/convnext.hpp"

#include <fmt/format.h>

namespace segx::model {
namespace {

constexpr double kEps = 1e-6;  // every LayerNorm of ConvNeXt

// Stochastic depth per block: torch.linspace(0, rate, blocks) in float32, as upstream's dp_rates.
std::vector<double> drop_path_rates(double rate, std::int64_t blocks) {
  auto rates = at::linspace(0, rate, blocks, at::kFloat);
  std::vector<double> out;
  for (std::int64_t i = 0; i < blocks; ++i) out.push_back(rates[i].item<double>());
  return out;
}

ConvNeXtBlock make_block(Weights& w, const std::string& p, std::int64_t dim,
                         double layer_scale_init_value, double drop_path_rate) {
  ConvNeXtBlock b;
  b.dwconv = Conv2d(w, p + "dwconv.", dim, dim, 7, Conv2d::Norm::None, true, 1, 3, 1, dim);
  b.norm = ConvNeXtNorm(w, p + "norm.", dim);
  b.pwconv1 = Linear(w, p + "pwconv1.", dim, 4 * dim);
  b.pwconv2 = Linear(w, p + "pwconv2.", 4 * dim, dim);
  if (layer_scale_init_value > 0) {
    b.gamma = w.take(p + "gamma", {dim});
    // Upstream starts the layer scale at LSIT, a value init.cpp's rules by name cannot know.
    if (w.is_scratch()) {
      at::NoGradGuard no_grad;
      b.gamma.fill_(layer_scale_init_value);
    }
  }
  b.drop_path_rate = drop_path_rate;
  return b;
}

}  // namespace

ConvNeXtNorm::ConvNeXtNorm(Weights& w, const std::string& prefix, std::int64_t dim) {
  weight = w.take(prefix + "weight", {dim});
  bias = w.take(prefix + "bias", {dim});
}

at::Tensor ConvNeXtNorm::channels_last(const at::Tensor& x) const {
  return at::layer_norm(x, {weight.size(0)}, weight, bias, kEps);
}

at::Tensor ConvNeXtNorm::channels_first(const at::Tensor& x) const {
  auto u = x.mean(1, true);
  auto s = (x - u).pow(2).mean(1, true);
  auto y = (x - u) / at::sqrt(s + kEps);
  return weight.view({-1, 1, 1}) * y + bias.view({-1, 1, 1});
}

at::Tensor ConvNeXtBlock::operator()(const at::Tensor& x, bool training) const {
  auto y = norm.channels_last(dwconv(x).permute({0, 2, 3, 1}));  // [B, H, W, C]
  y = pwconv2(at::gelu(pwconv1(y)));
  if (gamma.defined()) y = gamma * y;
  return x + drop_path(y.permute({0, 3, 1, 2}), drop_path_rate, training);
}

ConvNeXt::ConvNeXt(const ConvNeXtConfig& c, Weights& w, const std::string& prefix) {
  using Norm = Conv2d::Norm;
  std::int64_t blocks = 0;
  for (int d : c.depths) blocks += d;
  const auto rates = drop_path_rates(c.drop_path_rate, blocks);
  std::size_t block = 0;
  for (std::size_t s = 0; s < 4; ++s) {
    const std::int64_t dim = c.dims[s];
    const auto down = fmt::format("{}downsample_layers.{}.", prefix, s);
    if (s == 0) {
      down_convs_[s] = Conv2d(w, down + "0.", 3, dim, 4, Norm::None, true, 4);
      down_norms_[s] = ConvNeXtNorm(w, down + "1.", dim);
    } else {
      down_norms_[s] = ConvNeXtNorm(w, down + "0.", c.dims[s - 1]);
      down_convs_[s] = Conv2d(w, down + "1.", c.dims[s - 1], dim, 2, Norm::None, true, 2);
    }
    for (int j = 0; j < c.depths[s]; ++j)
      stages_[s].push_back(make_block(w, fmt::format("{}stages.{}.{}.", prefix, s, j), dim,
                                      c.layer_scale_init_value, rates[block++]));
    out_norms_[s] = ConvNeXtNorm(w, fmt::format("{}norm{}.", prefix, s), dim);
    channels_[s] = dim;
  }
}

BackboneFeatures ConvNeXt::operator()(const at::Tensor& images, Trace* trace) const {
  at::Tensor x = images;
  BackboneFeatures out;
  for (std::size_t s = 0; s < 4; ++s) {
    x = s == 0 ? down_norms_[s].channels_first(down_convs_[s](x))
               : down_convs_[s](down_norms_[s].channels_first(x));
    record(trace, fmt::format("backbone.downsample_layers.{}", s), x);
    for (std::size_t j = 0; j < stages_[s].size(); ++j) {
      x = stages_[s][j](x, training());
      record(trace, fmt::format("backbone.stages.{}.{}", s, j), x);
    }
    out[s] = out_norms_[s].channels_first(x);
    record(trace, fmt::format("backbone.res{}", s + 2), out[s]);
  }
  return out;
}

std::unique_ptr<Backbone> build_convnext(const ModelConfig& config, Weights& weights,
                                         const std::string& prefix) {
  return std::make_unique<ConvNeXt>(config.convnext, weights, prefix);
}

}  // namespace segx::model
