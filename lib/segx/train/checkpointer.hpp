// Training checkpoints: model parameters and buffers, AdamW's state (moments, step counts, the
// param groups' options), the iteration and the CPU random generator state, in one safetensors
// file per checkpoint (tensors) whose header metadata holds the rest as JSON. Resuming reads
// nothing but checked tensors and plain JSON: a checkpoint passed between people cannot run code,
// unlike a pickle or a LibTorch archive. Writes are atomic (temporary file + rename) and the
// newest checkpoint is recorded in `last_checkpoint`, so a crash, kill -9 or a full disk leaves
// the previous checkpoint usable. Checkpoints of earlier segx versions (LibTorch archives,
// model_NNNNNNN.pt) are still read, as trusted input, to finish runs started with them.
#pragma once
#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace segx::train {

struct TrainProgress {
  std::int64_t iteration = 0;  // iterations completed
};

class Checkpointer {
 public:
  // keep_last <= 0 keeps every checkpoint.
  Checkpointer(std::filesystem::path dir, int keep_last);

  // Saves `model_<iteration>.safetensors`, points last_checkpoint at it, and prunes older ones.
  std::filesystem::path save(torch::nn::Module& model, torch::optim::AdamW& optimizer,
                             const TrainProgress& progress);

  // The checkpoint named by last_checkpoint, if any.
  std::optional<std::filesystem::path> latest() const;

  // Restores everything save() wrote: Error(DataError) for a malformed file, Error(Config)
  // naming the tensor or key when it does not fit this model and optimizer.
  static TrainProgress load(const std::filesystem::path& file, torch::nn::Module& model,
                            torch::optim::AdamW& optimizer);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  void prune();
  std::filesystem::path dir_;
  int keep_last_;
};

}  // namespace segx::train
