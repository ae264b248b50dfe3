// detectron2's ResNet backbone (build_resnet_backbone): stem and res2..res5 with FrozenBN,
// parameter names backbone.stem.conv1.*, backbone.resN.i.{conv1,conv2,conv3,shortcut}.*
#pragma once
#include <array>

#include "segx/model/config.hpp"
#include "segx/model/nn.hpp"

namespace segx::model {

struct ResNetBlock {
  Conv2d conv1, conv2, conv3, shortcut;  // conv3 unused for basic blocks
  bool bottleneck = true, has_shortcut = false;
  at::Tensor operator()(const at::Tensor& x) const;
};

class ResNet {
 public:
  ResNet(const ResNetConfig& config, Weights& w, const std::string& prefix = "backbone.");
  // res2..res5 features; records backbone.stem and backbone.res2..5 in the trace.
  std::array<at::Tensor, 4> operator()(const at::Tensor& x, Trace* trace = nullptr) const;
  // Output channels of res2..res5.
  std::array<std::int64_t, 4> channels() const { return channels_; }

 private:
  Conv2d stem_;
  std::array<std::vector<ResNetBlock>, 4> stages_;
  std::array<std::int64_t, 4> channels_{};
};

}  // namespace segx::model
