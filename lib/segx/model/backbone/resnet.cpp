// detectron2 ResNet: BasicStem or DeepLabStem, BasicBlock (depth 18/34), BottleneckBlock
// (50/101/152).
#include "segx/model/backbone/resnet.hpp"

#include <fmt/format.h>

#include <numeric>

namespace segx::model {

using Norm = Conv2d::Norm;

at::Tensor ResNetBlock::operator()(const at::Tensor& x) const {
  auto out = conv2(conv1(x));
  if (bottleneck) out = conv3(out);
  out += has_shortcut ? shortcut(x) : x;
  return out.relu_();
}

namespace {
// detectron2's get_norm: FrozenBatchNorm2d or GroupNorm(norm_groups, C) (fewer groups for narrow
// layers).
Conv2d conv(Weights& w, const std::string& prefix, std::int64_t in, std::int64_t out,
            std::int64_t kernel, Norm norm, std::int64_t norm_groups, std::int64_t stride = 1,
            std::int64_t padding = 0, std::int64_t dilation = 1, std::int64_t groups = 1) {
  Conv2d c(w, prefix, in, out, kernel, norm, false, stride, padding, dilation, groups);
  c.gn_groups = std::gcd<std::int64_t>(norm_groups, out);
  return c;
}

std::array<int, 4> blocks_per_stage(int depth) {
  switch (depth) {
    case 18:
      return {2, 2, 2, 2};
    case 34:
    case 50:
      return {3, 4, 6, 3};
    case 101:
      return {3, 4, 23, 3};
    default:
      return {3, 8, 36, 3};  // 152
  }
}
}  // namespace

ResNet::ResNet(const ResNetConfig& c, Weights& w, const std::string& prefix) {
  const Norm norm = c.norm == "GN" ? Norm::GroupNorm : Norm::FrozenBN;
  const std::int64_t g = c.norm_groups;
  const std::int64_t stem = c.stem_out_channels;
  if (c.stem_type == "deeplab") {
    // DeepLabStem: three 3x3 convolutions (stride 2, 1, 1) to stem/2, stem/2, stem channels.
    stem_.push_back(conv(w, prefix + "stem.conv1.", 3, stem / 2, 3, norm, g, 2, 1));
    stem_.push_back(conv(w, prefix + "stem.conv2.", stem / 2, stem / 2, 3, norm, g, 1, 1));
    stem_.push_back(conv(w, prefix + "stem.conv3.", stem / 2, stem, 3, norm, g, 1, 1));
  } else {
    stem_.push_back(conv(w, prefix + "stem.conv1.", 3, stem, 7, norm, g, 2, 3));
  }
  for (auto& s : stem_) s.relu = true;
  const bool basic = c.depth < 50;
  const auto blocks = blocks_per_stage(c.depth);
  std::int64_t in = stem, out = c.res2_out_channels;
  std::int64_t bneck = c.num_groups * c.width_per_group;
  for (int s = 0; s < 4; ++s) {
    const std::int64_t dilation = s == 3 ? c.res5_dilation : 1;
    const std::int64_t first_stride = (s == 0 || dilation > 1) ? 1 : 2;
    for (int i = 0; i < blocks[s]; ++i) {
      const std::string p = fmt::format("{}res{}.{}.", prefix, s + 2, i);
      const std::int64_t stride = i == 0 ? first_stride : 1;
      // res5 multi-grid (DeepLab): block i of res5 dilates by res5_dilation * multi_grid[i].
      const std::int64_t d =
          s == 3 && !c.res5_multi_grid.empty() ? dilation * c.res5_multi_grid[i] : dilation;
      ResNetBlock b;
      b.bottleneck = !basic;
      b.has_shortcut = in != out;
      if (b.has_shortcut) b.shortcut = conv(w, p + "shortcut.", in, out, 1, norm, g, stride);
      if (basic) {
        b.conv1 = conv(w, p + "conv1.", in, out, 3, norm, g, stride, 1);
        b.conv2 = conv(w, p + "conv2.", out, out, 3, norm, g, 1, 1);
        b.conv1.relu = true;
      } else {
        const std::int64_t s1 = c.stride_in_1x1 ? stride : 1, s3 = c.stride_in_1x1 ? 1 : stride;
        b.conv1 = conv(w, p + "conv1.", in, bneck, 1, norm, g, s1);
        b.conv2 = conv(w, p + "conv2.", bneck, bneck, 3, norm, g, s3, d, d, c.num_groups);
        b.conv3 = conv(w, p + "conv3.", bneck, out, 1, norm, g);
        b.conv1.relu = b.conv2.relu = true;
      }
      stages_[s].push_back(std::move(b));
      in = out;
    }
    channels_[s] = out;
    out *= 2;
    bneck *= 2;
  }
}

BackboneFeatures ResNet::operator()(const at::Tensor& x, Trace* trace) const {
  // Channels last (NHWC): oneDNN's convolutions take it as it is, where NCHW input is reordered
  // to a blocked layout and back around every convolution; the features come out NHWC, which is
  // also the token layout ([B, HW, C]) the pixel decoder flattens them to.
  at::Tensor y = x.contiguous(at::MemoryFormat::ChannelsLast);
  for (const auto& s : stem_) y = s(y);
  y = at::max_pool2d(y, {3, 3}, {2, 2}, {1, 1});
  record(trace, "backbone.stem", y);
  BackboneFeatures out;
  for (int s = 0; s < 4; ++s) {
    for (const auto& b : stages_[s]) y = b(y);
    out[s] = y;
    record(trace, fmt::format("backbone.res{}", s + 2), y);
  }
  return out;
}

std::unique_ptr<Backbone> build_resnet(const ModelConfig& config, Weights& weights,
                                       const std::string& prefix) {
  return std::make_unique<ResNet>(config.resnet, weights, prefix);
}

}  // namespace segx::model
