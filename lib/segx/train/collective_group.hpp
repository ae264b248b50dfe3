// The collectives DistributedContext uses, behind one small interface over the c10d backends
// (Gloo, NCCL): the NCCL one lives in its own file (distributed_nccl.cpp), compiled only where
// LibTorch has NCCL, and the rest of segx does not depend on how a LibTorch version arranges its
// process-group classes.
#pragma once
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/types.h>

#include <memory>
#include <vector>

namespace segx::train::detail {

class CollectiveGroup {
 public:
  virtual ~CollectiveGroup() = default;
  virtual void allreduce_sum(std::vector<at::Tensor>& tensors) = 0;
  virtual void broadcast_from_rank0(std::vector<at::Tensor>& tensors) = 0;
  virtual void barrier() = 0;
};

// Any c10d process group class whose collectives return a work handle to wait on.
template <typename Group>
class C10dGroup final : public CollectiveGroup {
 public:
  explicit C10dGroup(c10::intrusive_ptr<Group> group) : group_(std::move(group)) {}
  void allreduce_sum(std::vector<at::Tensor>& tensors) override { group_->allreduce(tensors)->wait(); }
  void broadcast_from_rank0(std::vector<at::Tensor>& tensors) override {
    group_->broadcast(tensors)->wait();
  }
  void barrier() override { group_->barrier()->wait(); }

 private:
  c10::intrusive_ptr<Group> group_;
};

#if defined(SEGX_HAVE_NCCL)
// An NCCL group over CUDA device `device_index` (made the current device).
std::unique_ptr<CollectiveGroup> make_nccl_group(const c10::intrusive_ptr<c10d::Store>& store,
                                                 int rank, int world_size, int device_index);
#endif

}  // namespace segx::train::detail
