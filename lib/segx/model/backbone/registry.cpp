// The backbone table: one row per backbone, chosen by the model config's "backbone" key.
#include "segx/core/error.hpp"
#include "segx/model/backbone/backbone.hpp"
#include "segx/model/backbone/convnext.hpp"
#include "segx/model/backbone/resnet.hpp"
#include "segx/model/backbone/swin.hpp"

namespace segx::model {

const std::vector<BackboneEntry>& backbone_registry() {
  static const std::vector<BackboneEntry> table = {
      {"resnet", "build_resnet_backbone / build_resnet_deeplab_backbone",
       "detectron2 ResNet-18/34/50/101/152, basic or DeepLab stem (R101c)", &build_resnet},
      {"swin", "D2SwinTransformer",
       "Swin Transformer (Mask2Former/OneFormer/MaskFormer's D2SwinTransformer), T/S/B/L",
       &build_swin},
      {"convnext", "D2ConvNeXt", "ConvNeXt (OneFormer's D2ConvNeXt)", &build_convnext},
  };
  return table;
}

std::unique_ptr<Backbone> build_backbone(const ModelConfig& config, Weights& weights,
                                         const std::string& prefix) {
  for (const auto& entry : backbone_registry())
    if (config.backbone == entry.name) return entry.build(config, weights, prefix);
  fail(ErrorKind::Config, "model config: backbone '{}' is not one of segx's backbones",
       config.backbone);
}

at::Tensor drop_path(const at::Tensor& x, double rate, bool training) {
  if (!training || rate <= 0) return x;
  const double keep = 1 - rate;
  std::vector<std::int64_t> shape(static_cast<std::size_t>(x.dim()), 1);
  shape[0] = x.size(0);
  auto mask = at::empty(shape, x.options()).bernoulli_(keep);
  return x * mask / keep;
}

}  // namespace segx::model
