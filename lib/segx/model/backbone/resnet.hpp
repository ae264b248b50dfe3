// detectron2's ResNet backbone (build_resnet_backbone, and build_resnet_deeplab_backbone with
// the DeepLab stem and res5 multi-grid of MaskFormer's R101c): stem and res2..res5 with FrozenBN
// or GroupNorm, parameter names backbone.stem.conv1.* (deeplab: conv1..conv3),
// backbone.resN.i.{conv1,conv2,conv3,shortcut}.*
#pragma once
#include "segx/model/backbone/backbone.hpp"

namespace segx::model {

struct ResNetBlock {
  Conv2d conv1, conv2, conv3, shortcut;  // conv3 unused for basic blocks
  bool bottleneck = true, has_shortcut = false;
  at::Tensor operator()(const at::Tensor& x) const;
};

class ResNet : public Backbone {
 public:
  ResNet(const ResNetConfig& config, Weights& w, const std::string& prefix = "backbone.");
  // Records backbone.stem and backbone.res2..5 in the trace.
  BackboneFeatures operator()(const at::Tensor& x, Trace* trace = nullptr) const override;
  std::array<std::int64_t, 4> channels() const override { return channels_; }

 private:
  std::vector<Conv2d> stem_;  // basic: conv1 (7x7); deeplab: conv1..conv3 (3x3)
  std::array<std::vector<ResNetBlock>, 4> stages_;
  std::array<std::int64_t, 4> channels_{};
};

std::unique_ptr<Backbone> build_resnet(const ModelConfig& config, Weights& weights,
                                       const std::string& prefix);

}  // namespace segx::model
