// Tensor-for-tensor parity of the LibTorch model with the official Mask2Former and OneFormer
// code on the reference fixtures, on the CPU: every intermediate the reference saved, within 1e-4
// (the checks are in model_parity.hpp; tests/gpu/model runs them on CUDA).
#include "parity/model/model_parity.hpp"

namespace segx::model::parity {
namespace {

TEST(ModelParity, Mask2FormerSmallEndToEnd) {
  SEGX_REQUIRE_FIXTURES();
  check_end_to_end("small");
}

TEST(ModelParity, OneFormerSmallEndToEnd) {
  SEGX_REQUIRE_FIXTURES();
  check_end_to_end("oneformer_small");
}

TEST(ModelParity, Mask2FormerSmallEveryIntermediate) {
  SEGX_REQUIRE_FIXTURES();
  check_model("small");
}

TEST(ModelParity, OneFormerSmallEveryIntermediate) {
  SEGX_REQUIRE_FIXTURES();
  check_model("oneformer_small");
}

}  // namespace
}  // namespace segx::model::parity
