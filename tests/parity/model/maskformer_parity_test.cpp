// The original MaskFormer against the official code (fixtures made by
// scripts/gen_model_fixtures.py into tests/parity/model/data): BasePixelDecoder with the decoder
// on res5 (semantic inference on the padded masks), TransformerEncoderPixelDecoder with the
// decoder on its encoder output (panoptic, no padding), both pre-norm with the decoder's own
// encoder and convolutions without GroupNorm, and R101c (DeepLab stem, multi-grid).
#include "parity/model/model_parity.hpp"

namespace segx::model::parity {
namespace {

TEST(MaskFormerParity, FpnEveryIntermediate) {
  check_model("maskformer_r50_fpn");
}

TEST(MaskFormerParity, FpnEndToEnd) {
  check_end_to_end("maskformer_r50_fpn");
}

TEST(MaskFormerParity, TransformerEncoderEveryIntermediate) {
  check_model("maskformer_r50_transformer_encoder");
}

TEST(MaskFormerParity, TransformerEncoderPanopticEndToEnd) {
  check_end_to_end("maskformer_r50_transformer_encoder");
}

TEST(MaskFormerParity, PreNormWithDecoderEncoderEveryIntermediate) {
  check_model("maskformer_r50_prenorm");
}

TEST(MaskFormerParity, PreNormWithDecoderEncoderEndToEnd) {
  check_end_to_end("maskformer_r50_prenorm");
}

TEST(MaskFormerParity, R101cEveryIntermediate) {
  check_model("maskformer_r101c");
}

TEST(MaskFormerParity, R101cEndToEnd) {
  check_end_to_end("maskformer_r101c");
}

}  // namespace
}  // namespace segx::model::parity
