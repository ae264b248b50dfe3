// Training batches: one dataset per iteration drawn by rate, images in a per-epoch shuffled
// order, decoded and augmented (large-scale jitter, flip, fixed-size crop) in worker threads,
// targets per task. Every batch is a pure function of (seed, iteration), so a resumed run sees
// the same data; a rank takes its slice of the global batch. A bounded queue holds at most
// `prefetch` batches ahead of the trainer.
#pragma once
#include <torch/types.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "segx/train/augment.hpp"
#include "segx/train/set_criterion.hpp"
#include "segx/train/task_targets.hpp"
#include "segx/train/train_data.hpp"

namespace segx::train {

struct LoaderOptions {
  int batch_size = 1;  // global: images per iteration over all ranks
  int rank = 0, world_size = 1;
  std::uint64_t seed = 0;
  JitterOptions jitter;
  int workers = 1;   // decoding threads
  int prefetch = 2;  // batches ready ahead of the trainer
  // OneFormer: texts per image ("a photo with a {class}" padded; num_queries - n_ctx); 0: none.
  int num_text_queries = 0;
  // Keep each image's unlabelled pixels (InstanceTargets::unlabeled) for loss.unlabeled_ignore:
  // those no target covers; for instance-task images (stuff not annotated) only where the model
  // has no task prompt to say "instances only", boxes-only images' pixels outside their boxes.
  bool unlabeled_regions = false;
  bool task_conditioned = false;  // OneFormer: its instance prompt is taught "no object" on stuff
};

struct TrainBatch {
  std::int64_t iteration = 0;
  int dataset = 0;    // index of the dataset drawn for this iteration
  at::Tensor images;  // uint8 [B_rank, 3, H, W] RGB
  std::vector<InstanceTargets> targets;
  std::vector<Task> tasks;
  std::vector<std::vector<std::string>> texts;  // per image (OneFormer text queries)
  std::vector<std::uint64_t> slots;  // global slot of each image in the iteration's batch
};

// Images [first, first + count) of a batch (views of its tensors), e.g. for parallel chunks.
TrainBatch slice_batch(const TrainBatch& batch, int first, int count);

// The images [first, first + count) of the global batch this rank loads.
std::pair<int, int> rank_slice(int batch_size, int rank, int world_size);

// The task of slot `slot` of iteration `iteration`: uniform over `tasks` (OneFormer's draw), a
// pure function of (seed, iteration, slot) like the other draws, so a resumed run repeats it.
Task draw_task(const std::vector<Task>& tasks, std::uint64_t seed, std::int64_t iteration,
               std::uint64_t slot);

// Builds one batch (what a worker does).
TrainBatch load_batch(const std::vector<TrainDataset>& datasets, const LoaderOptions& options,
                      const std::vector<std::string>& class_names, std::int64_t iteration);

class DataLoader {
 public:
  DataLoader(std::vector<TrainDataset> datasets, std::vector<std::string> class_names,
             LoaderOptions options, std::int64_t first_iteration);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // The next iteration's batch (waits for the workers; rethrows their errors).
  TrainBatch next();

 private:
  void work();
  std::vector<TrainDataset> datasets_;
  std::vector<std::string> class_names_;
  LoaderOptions options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::int64_t next_to_load_, next_to_return_;
  std::map<std::int64_t, TrainBatch> ready_;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace segx::train
