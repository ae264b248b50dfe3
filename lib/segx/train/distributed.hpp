// Data-parallel training over processes and machines with LibTorch's c10d (Gloo over TCP; NCCL
// between CUDA devices where LibTorch has it), configured by the environment that torchrun, Slurm
// wrappers and mpirun set: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (LOCAL_RANK optional).
// Without WORLD_SIZE > 1 it is a no-op.
#pragma once
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace segx::train {

namespace detail {
class CollectiveGroup;
}

enum class CollectiveBackend {
  Auto,  // NCCL when training on CUDA and segx was built with it, else Gloo
  Gloo,  // CPU tensors, and CUDA tensors too (slower than NCCL)
  Nccl,  // CUDA tensors only
};
CollectiveBackend parse_collective_backend(const std::string& name);  // auto, gloo, nccl
// Whether this build of segx can use NCCL (LibTorch built with it, found at build time).
bool nccl_available();

class DistributedContext {
 public:
  // Single-process context.
  DistributedContext();
  ~DistributedContext();
  DistributedContext(DistributedContext&&) noexcept;
  DistributedContext& operator=(DistributedContext&&) noexcept;

  // Reads RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT/LOCAL_RANK; Error(Config) when they are
  // inconsistent, Error(Unavailable) when the rendezvous fails or NCCL is asked for and this
  // build has none. `cuda`: the tensors live on cuda:LOCAL_RANK.
  static DistributedContext from_environment(bool cuda = false,
                                             CollectiveBackend backend = CollectiveBackend::Auto);
  static DistributedContext connect(const std::string& master_addr, int master_port, int rank,
                                    int world_size, CollectiveBackend backend = CollectiveBackend::Gloo,
                                    int cuda_device = -1);

  int rank() const { return rank_; }
  int local_rank() const { return local_rank_; }
  int world_size() const { return world_size_; }
  bool is_main() const { return rank_ == 0; }
  const char* backend_name() const;  // "gloo", "nccl", or "none" for a single process

  // Averages the tensors (gradients) over all processes, in place, in one flattened buffer.
  void all_reduce_mean(const std::vector<torch::Tensor>& tensors);
  // Sum of a scalar over all processes (e.g. the number of target masks).
  double all_reduce_sum(double value);
  // Copies rank 0's tensors (initial weights) to every process, in place.
  void broadcast_from_main(const std::vector<torch::Tensor>& tensors);
  void barrier();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0, local_rank_ = 0, world_size_ = 1;
  torch::Device device_ = torch::kCPU;  // where the collectives' own tensors are made
};

}  // namespace segx::train
