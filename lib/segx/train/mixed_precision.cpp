// CUDA autocast scope and float32 outputs; the autocast API changed names in LibTorch 2.4.
#include "segx/train/mixed_precision.hpp"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace segx::train {

namespace {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool cuda_autocast_enabled() { return at::autocast::is_autocast_enabled(at::kCUDA); }
void set_cuda_autocast(bool on) { at::autocast::set_autocast_enabled(at::kCUDA, on); }
at::ScalarType cuda_autocast_dtype() { return at::autocast::get_autocast_dtype(at::kCUDA); }
void set_cuda_autocast_dtype(at::ScalarType t) { at::autocast::set_autocast_dtype(at::kCUDA, t); }
#else
bool cuda_autocast_enabled() { return at::autocast::is_enabled(); }
void set_cuda_autocast(bool on) { at::autocast::set_enabled(on); }
at::ScalarType cuda_autocast_dtype() { return at::autocast::get_autocast_gpu_dtype(); }
void set_cuda_autocast_dtype(at::ScalarType t) { at::autocast::set_autocast_gpu_dtype(t); }
#endif
}  // namespace

bool cuda_autocast_active() {
  return cuda_autocast_enabled();
}

CudaAutocast::CudaAutocast(bool enabled) : enabled_(enabled) {
  if (!enabled_) return;
  previous_ = cuda_autocast_enabled();
  previous_dtype_ = cuda_autocast_dtype();
  set_cuda_autocast_dtype(at::kBFloat16);
  set_cuda_autocast(true);
  at::autocast::increment_nesting();
}

CudaAutocast::~CudaAutocast() {
  if (!enabled_) return;
  // Leaving the outermost scope drops autocast's cache of casted weights, as torch.autocast does.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_cuda_autocast(previous_);
  set_cuda_autocast_dtype(previous_dtype_);
}

void to_float32(model::ModelOutput& output) {
  auto cast = [](at::Tensor& t) {
    if (t.defined() && t.scalar_type() != at::kFloat) t = t.to(at::kFloat);
  };
  cast(output.pred_logits);
  cast(output.pred_masks);
  for (auto& t : output.all.logits) cast(t);
  for (auto& t : output.all.masks) cast(t);
  cast(output.all.queries);
}

}  // namespace segx::train
