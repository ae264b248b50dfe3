// The NCCL backend of DistributedContext, for training on CUDA. Built only where LibTorch has
// NCCL (lib/CMakeLists.txt compiles this file as its check, with USE_C10D_NCCL defined, which
// ProcessGroupNCCL.hpp needs); elsewhere it is empty and the Gloo backend serves.
#if defined(SEGX_HAVE_NCCL)
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include "segx/train/collective_group.hpp"

namespace segx::train::detail {

std::unique_ptr<CollectiveGroup> make_nccl_group(const c10::intrusive_ptr<c10d::Store>& store,
                                                 int rank, int world_size, int device_index) {
  // NCCL works on the current device; each process trains on cuda:LOCAL_RANK.
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(device_index));
  auto options = c10d::ProcessGroupNCCL::Options::create();
  auto group = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world_size, options);
  return std::make_unique<C10dGroup<c10d::ProcessGroupNCCL>>(std::move(group));
}

}  // namespace segx::train::detail
#endif
