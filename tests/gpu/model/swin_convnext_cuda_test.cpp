// The Swin Transformer and ConvNeXt parity checks of tests/parity/model on a CUDA device (the
// repository's fixtures, so no SEGX_FIXTURES needed), TF32 off as in model_parity_cuda_test.cpp.
// Label gpu: skipped without a CUDA device.
#include <ATen/Context.h>

#include "parity/model/model_parity.hpp"

namespace segx::model::parity {
namespace {

class BackboneParityCuda : public testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device (LibTorch without CUDA, or no GPU)";
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
};

TEST_P(BackboneParityCuda, BackboneEveryBlockOutput) {
  check_backbone(GetParam(), at::kCUDA);
}

TEST_P(BackboneParityCuda, ModelEveryIntermediate) {
  check_model(GetParam(), at::kCUDA);
}

TEST_P(BackboneParityCuda, EndToEnd) {
  check_end_to_end(GetParam(), at::kCUDA);
}

INSTANTIATE_TEST_SUITE_P(SwinAndConvNeXt, BackboneParityCuda,
                         testing::Values("m2f_swin_w7", "m2f_swin_w12", "oneformer_swin",
                                         "oneformer_convnext"));

}  // namespace
}  // namespace segx::model::parity
