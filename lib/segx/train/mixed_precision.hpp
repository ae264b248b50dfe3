// Mixed precision on CUDA for training: the model's forward pass runs under bfloat16 autocast
// and its outputs come back as float32 for the matcher and the losses (Mask2Former's matcher
// likewise leaves autocast and works in float32). detectron2's AMPTrainer uses float16 with a
// gradient scaler; bfloat16 has float32's exponent range, so gradients need no scaling. On the
// CPU it does nothing: LibTorch's CPU autocast would slow these small convolutions down.
#pragma once
#include <ATen/ATen.h>

#include "segx/model/model.hpp"

namespace segx::train {

// Enables CUDA autocast (bfloat16) for its lifetime on this thread when `enabled`; restores the
// previous state on destruction.
class CudaAutocast {
 public:
  explicit CudaAutocast(bool enabled);
  ~CudaAutocast();
  CudaAutocast(const CudaAutocast&) = delete;
  CudaAutocast& operator=(const CudaAutocast&) = delete;

 private:
  bool enabled_ = false;
  bool previous_ = false;
  at::ScalarType previous_dtype_ = at::kHalf;
};

// Whether CUDA autocast is on for this thread (LibTorch 1.x and 2.x spell it differently).
bool cuda_autocast_active();

// Every tensor of `output` as float32 (no copy when it is already).
void to_float32(model::ModelOutput& output);

}  // namespace segx::train
