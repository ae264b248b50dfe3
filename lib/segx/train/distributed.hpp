// Data-parallel training over processes and machines with LibTorch's c10d (Gloo over TCP),
// configured by the environment that torchrun, Slurm wrappers and mpirun set: RANK, WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT (LOCAL_RANK optional). Without WORLD_SIZE > 1 it is a no-op.
#pragma once
#include <torch/types.h>

#include <memory>
#include <vector>

namespace segx::train {

class DistributedContext {
 public:
  // Single-process context.
  DistributedContext();
  ~DistributedContext();
  DistributedContext(DistributedContext&&) noexcept;
  DistributedContext& operator=(DistributedContext&&) noexcept;

  // Reads RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT; Error(Config) when they are inconsistent,
  // Error(Unavailable) when the rendezvous fails.
  static DistributedContext from_environment();
  static DistributedContext connect(const std::string& master_addr, int master_port, int rank,
                                    int world_size);

  int rank() const { return rank_; }
  int local_rank() const { return local_rank_; }
  int world_size() const { return world_size_; }
  bool is_main() const { return rank_ == 0; }

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
};

}  // namespace segx::train
