// The Swin Transformer and ConvNeXt backbones against the official code (fixtures made by
// scripts/gen_model_fixtures.py into tests/parity/model/data): every block's output on the padded
// input and on one that is no multiple of 4 or 32 (Swin pads inside), then the whole Mask2Former
// and OneFormer models on them and their post-processed results.
//   m2f_swin_w7      Mask2Former, Swin window 7: windows padded at every stage
//   m2f_swin_w12     window 12, absolute position embedding resized from a 384 pre-training grid
//   oneformer_swin   OneFormer, Swin window 7
//   oneformer_convnext  OneFormer, ConvNeXt with layer scale
#include "parity/model/model_parity.hpp"

namespace segx::model::parity {
namespace {

TEST(SwinParity, Window7BackboneEveryBlockOutput) {
  check_backbone("m2f_swin_w7");
}

TEST(SwinParity, Mask2FormerWindow7EveryIntermediate) {
  check_model("m2f_swin_w7");
}

TEST(SwinParity, Mask2FormerWindow7EndToEnd) {
  check_end_to_end("m2f_swin_w7");
}

TEST(SwinParity, Window12AbsolutePositionBackboneEveryBlockOutput) {
  check_backbone("m2f_swin_w12");
}

TEST(SwinParity, Mask2FormerWindow12EveryIntermediate) {
  check_model("m2f_swin_w12");
}

TEST(SwinParity, Mask2FormerWindow12EndToEnd) {
  check_end_to_end("m2f_swin_w12");
}

TEST(SwinParity, OneFormerBackboneEveryBlockOutput) {
  check_backbone("oneformer_swin");
}

TEST(SwinParity, OneFormerEveryIntermediate) {
  check_model("oneformer_swin");
}

TEST(SwinParity, OneFormerEndToEnd) {
  check_end_to_end("oneformer_swin");
}

TEST(ConvNeXtParity, BackboneEveryBlockOutput) {
  check_backbone("oneformer_convnext");
}

TEST(ConvNeXtParity, OneFormerEveryIntermediate) {
  check_model("oneformer_convnext");
}

TEST(ConvNeXtParity, OneFormerEndToEnd) {
  check_end_to_end("oneformer_convnext");
}

}  // namespace
}  // namespace segx::model::parity
