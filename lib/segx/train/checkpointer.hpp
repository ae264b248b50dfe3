// Training checkpoints: model parameters and buffers, optimizer state (AdamW moments, step
// counts), the iteration and the CPU random generator state, in one LibTorch archive per
// checkpoint. Writes are atomic (temporary file + rename) and the newest checkpoint is recorded
// in `last_checkpoint`, so a crash or a full disk leaves the previous checkpoint usable.
#pragma once
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

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

  // Saves `model_<iteration>.pt`, points last_checkpoint at it, and prunes older ones.
  std::filesystem::path save(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                             const TrainProgress& progress);

  // The checkpoint named by last_checkpoint, if any.
  std::optional<std::filesystem::path> latest() const;

  // Restores everything save() wrote; Error(Config) when the model does not fit the checkpoint.
  static TrainProgress load(const std::filesystem::path& file, torch::nn::Module& model,
                            torch::optim::Optimizer& optimizer);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  void prune();
  std::filesystem::path dir_;
  int keep_last_;
};

}  // namespace segx::train
