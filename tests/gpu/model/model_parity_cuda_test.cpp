// The model parity checks of tests/parity/model run on a CUDA device: the same reference tensors
// of the official code, the same 1e-4 of each tensor's scale. TF32 is turned off first: cuDNN's
// convolutions and CUDA matrix products in TF32 keep 10 mantissa bits, which is not float32 and
// would not be the official code's float32 run either. Label gpu: skipped without a CUDA device.
#include <ATen/Context.h>

#include "parity/model/model_parity.hpp"

namespace segx::model::parity {
namespace {

class ModelParityCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    SEGX_REQUIRE_FIXTURES();
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device (LibTorch without CUDA, or no GPU)";
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
};

TEST_F(ModelParityCuda, Mask2FormerSmallEveryIntermediate) {
  check_model("small", at::kCUDA);
}

TEST_F(ModelParityCuda, OneFormerSmallEveryIntermediate) {
  check_model("oneformer_small", at::kCUDA);
}

TEST_F(ModelParityCuda, Mask2FormerSmallEndToEnd) {
  check_end_to_end("small", at::kCUDA);
}

TEST_F(ModelParityCuda, OneFormerSmallEndToEnd) {
  check_end_to_end("oneformer_small", at::kCUDA);
}

}  // namespace
}  // namespace segx::model::parity
