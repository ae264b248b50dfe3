// The ResNet depths and stems beside R50 against the official code (fixtures made by
// scripts/gen_model_fixtures.py into tests/parity/model/data): Mask2Former R101 whole, the
// ResNet-152 backbone, and MaskFormer R101c's backbone (DeepLab stem, res5 multi-grid).
#include "parity/model/model_parity.hpp"

namespace segx::model::parity {
namespace {

TEST(ResNetParity, R101BackboneEveryBlockOutput) {
  check_backbone("m2f_r101");
}

TEST(ResNetParity, Mask2FormerR101EveryIntermediate) {
  check_model("m2f_r101");
}

TEST(ResNetParity, Mask2FormerR101EndToEnd) {
  check_end_to_end("m2f_r101");
}

TEST(ResNetParity, R152Backbone) {
  check_backbone("backbone_r152");
}

TEST(ResNetParity, R101cDeepLabStemAndMultiGridBackbone) {
  check_backbone("maskformer_r101c");
}

}  // namespace
}  // namespace segx::model::parity
