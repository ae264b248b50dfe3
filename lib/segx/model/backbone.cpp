// detectron2 ResNet: BasicStem, BasicBlock (depth 18/34), BottleneckBlock (50/101).
#include "segx/model/backbone.hpp"

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
}  // namespace

ResNet::ResNet(const ResNetConfig& c, Weights& w, const std::string& prefix) {
  const Norm norm = c.norm == "GN" ? Norm::GroupNorm : Norm::FrozenBN;
  const std::int64_t g = c.norm_groups;
  stem_ = conv(w, prefix + "stem.conv1.", 3, c.stem_out_channels, 7, norm, g, 2, 3);
  stem_.relu = true;
  const bool basic = c.depth < 50;
  std::array<int, 4> blocks{};
  switch (c.depth) {
    case 18: blocks = {2, 2, 2, 2}; break;
    case 34:
    case 50: blocks = {3, 4, 6, 3}; break;
    default: blocks = {3, 4, 23, 3}; break;
  }
  std::int64_t in = c.stem_out_channels, out = c.res2_out_channels;
  std::int64_t bneck = c.num_groups * c.width_per_group;
  for (int s = 0; s < 4; ++s) {
    const std::int64_t dilation = s == 3 ? c.res5_dilation : 1;
    const std::int64_t first_stride = (s == 0 || (s == 3 && dilation == 2)) ? 1 : 2;
    for (int i = 0; i < blocks[s]; ++i) {
      const std::string p = fmt::format("{}res{}.{}.", prefix, s + 2, i);
      const std::int64_t stride = i == 0 ? first_stride : 1;
      ResNetBlock b;
      b.bottleneck = !basic;
      b.has_shortcut = in != out;
      if (b.has_shortcut)
        b.shortcut = conv(w, p + "shortcut.", in, out, 1, norm, g, stride);
      if (basic) {
        b.conv1 = conv(w, p + "conv1.", in, out, 3, norm, g, stride, 1);
        b.conv2 = conv(w, p + "conv2.", out, out, 3, norm, g, 1, 1);
        b.conv1.relu = true;
      } else {
        const std::int64_t s1 = c.stride_in_1x1 ? stride : 1, s3 = c.stride_in_1x1 ? 1 : stride;
        b.conv1 = conv(w, p + "conv1.", in, bneck, 1, norm, g, s1);
        b.conv2 = conv(w, p + "conv2.", bneck, bneck, 3, norm, g, s3, dilation, dilation,
                       c.num_groups);
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

std::array<at::Tensor, 4> ResNet::operator()(const at::Tensor& x, Trace* trace) const {
  auto y = at::max_pool2d(stem_(x), {3, 3}, {2, 2}, {1, 1});
  record(trace, "backbone.stem", y);
  std::array<at::Tensor, 4> out;
  for (int s = 0; s < 4; ++s) {
    for (const auto& b : stages_[s]) y = b(y);
    out[s] = y;
    record(trace, fmt::format("backbone.res{}", s + 2), y);
  }
  return out;
}

}  // namespace segx::model
