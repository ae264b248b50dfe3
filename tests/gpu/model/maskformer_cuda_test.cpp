// The original MaskFormer's parity checks of tests/parity/model on a CUDA device (the
// repository's fixtures, so no SEGX_FIXTURES needed), TF32 off as in model_parity_cuda_test.cpp.
// Label gpu: skipped without a CUDA device.
#include <ATen/Context.h>

#include "parity/model/model_parity.hpp"

namespace segx::model::parity {
namespace {

class MaskFormerParityCuda : public testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device (LibTorch without CUDA, or no GPU)";
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
};

TEST_P(MaskFormerParityCuda, EveryIntermediate) {
  check_model(GetParam(), at::kCUDA);
}

TEST_P(MaskFormerParityCuda, EndToEnd) {
  check_end_to_end(GetParam(), at::kCUDA);
}

INSTANTIATE_TEST_SUITE_P(MaskFormer, MaskFormerParityCuda,
                         testing::Values("maskformer_r50_fpn", "maskformer_r50_transformer_encoder",
                                         "maskformer_r50_prenorm", "maskformer_r101c"));

}  // namespace
}  // namespace segx::model::parity
