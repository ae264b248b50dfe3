// The training loop in detectron2's shape: a Trainer running iterations (load a batch, forward,
// SetCriterion + extra loss terms, backward, gradient all-reduce, full-model clipping, AdamW
// step under the warmup-poly schedule) and hooks around it (metrics.jsonl + progress, periodic
// checkpoints, periodic evaluation). LibTorch header: include from train and its tests only.
#pragma once
#include <torch/optim/adamw.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "segx/io/output_lock.hpp"
#include "segx/model/model.hpp"
#include "segx/train/checkpointer.hpp"
#include "segx/train/data_loader.hpp"
#include "segx/train/distributed.hpp"
#include "segx/train/lr_schedule.hpp"
#include "segx/train/set_criterion.hpp"
#include "segx/train/train_config.hpp"

namespace segx::train {
class OneFormerTraining;
}

namespace segx::train {

struct TrainerOptions {
  std::string output_dir;
  bool resume = false;
  std::int64_t stop_at =
      0;  // --max-iter: stop (with a checkpoint) after this many; 0: schedule end
  std::string device = "cpu";
  // CPU: the local batch is split into this many chunks whose forward and backward passes run
  // in parallel threads (one LibTorch thread each), gradients summed in chunk order; 0: one
  // chunk per LibTorch thread. Small models use two cores far better this way than through
  // intra-op parallelism. The result does not depend on the split beyond float rounding.
  int chunks = 0;
};

// What one iteration computed, for hooks and extra loss terms. Extra loss terms are computed
// per chunk of the batch (`batch`, `output`) and summed: a mean over images should divide by
// `global_batch`, as the mask losses divide by the global mask count.
struct StepContext {
  std::int64_t iteration = 0;      // 0-based index of the iteration just run
  int global_batch = 0;            // images in the iteration over all chunks and processes
  double time = 0, data_time = 0;  // seconds: the whole iteration, waiting for its batch
  const TrainBatch* batch = nullptr;
  const model::ModelOutput* output = nullptr;
  LossTerms* losses = nullptr;  // extra terms add themselves (name -> weighted value)
};

// An extra loss term (e.g. OneFormer's query-text contrastive loss, DaTaSeg's box projection):
// returns named, already weighted terms that join the total.
using ExtraLoss = std::function<std::map<std::string, torch::Tensor>(const StepContext&)>;

// Rewrites one decoder layer's class logits [B, Q, K+1] before matching and losses (e.g.
// DaTaSeg's restriction to the label space of the iteration's dataset).
using LogitsTransform = std::function<torch::Tensor(const TrainBatch&, const torch::Tensor&)>;

class Trainer;

class TrainHook {
 public:
  virtual ~TrainHook() = default;
  virtual void before_train(Trainer&) {}
  virtual void after_step(Trainer&, const StepContext&) {}
  virtual void after_train(Trainer&) {}
};

enum class TrainStatus { Finished, Stopped, Interrupted };

class Trainer {
 public:
  struct Data;
  Trainer(TrainConfig config, TrainClasses classes, std::vector<TrainDataset> datasets,
          TrainerOptions options, DistributedContext& dist);
  ~Trainer();

  void add_hook(std::unique_ptr<TrainHook> hook) { hooks_.push_back(std::move(hook)); }
  void add_loss(ExtraLoss loss) { extra_losses_.push_back(std::move(loss)); }
  void set_logits_transform(LogitsTransform transform) { logits_transform_ = std::move(transform); }

  TrainStatus train();

  // Appends one JSON object (a line) to metrics.jsonl (rank 0 only).
  void write_metrics(const std::string& json_object);
  // Saves a checkpoint of the current state (rank 0 only) and the weights as model_last.
  std::filesystem::path save_checkpoint();
  // Writes `file` (safetensors, detectron2 names) and model_config.json beside it.
  void save_weights(const std::string& file) const;

  std::int64_t iteration() const { return iteration_; }  // iterations completed
  std::int64_t max_iter() const { return config_.solver.max_iter; }
  double current_lr() const { return lr_; }
  const TrainConfig& config() const { return config_; }
  const model::ModelConfig& model_config() const { return model_config_; }
  const TrainClasses& classes() const { return classes_; }
  const std::vector<TrainDataset>& datasets() const { return datasets_; }
  model::SegmentationModel& model() { return *model_; }
  const model::Weights& weights() const { return *weights_; }
  DistributedContext& dist() { return dist_; }
  // OneFormer: the task prompt "the task is {task}" as the decoder's task tokens [1, L];
  // undefined for Mask2Former.
  at::Tensor task_tokens(Task task) const;
  const TrainerOptions& options() const { return options_; }
  std::filesystem::path output_dir() const { return options_.output_dir; }
  at::Device device() const { return device_; }

  // Asks the loop to checkpoint and stop after the current iteration (async-signal-safe).
  static void request_stop(int signal);
  static int stop_signal();

 private:
  void run_step(StepContext& ctx);
  // Whether an image of the batch trains on merged per-class masks (loss.semantic_merge).
  bool merges_classes(const TrainBatch& batch, std::size_t image) const;
  struct ChunkResult;
  void run_chunk(const TrainBatch& chunk, const StepContext& step, double num_masks,
                 double class_normalizer, ChunkResult& result);
  void build_optimizer();
  // The model's tensors and OneFormer's text side: what is trained, checkpointed and saved.
  std::vector<model::NamedTensor> all_tensors() const;
  void set_learning_rate();
  bool should_stop();

  TrainConfig config_;
  TrainerOptions options_;
  DistributedContext& dist_;
  at::Device device_ = at::kCPU;
  TrainClasses classes_;
  std::vector<TrainDataset> datasets_;
  model::ModelConfig model_config_;
  std::unique_ptr<model::Weights> weights_;
  std::unique_ptr<model::SegmentationModel> model_;
  std::unique_ptr<OneFormerTraining> oneformer_;  // OneFormer only
  std::shared_ptr<torch::nn::Module> module_;     // the parameters by name, for checkpoints
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::vector<double> group_lr_multiplier_;
  std::vector<torch::Tensor> params_;  // in optimizer order
  int chunks_ = 1;
  std::unique_ptr<SetCriterion> criterion_;
  std::unique_ptr<Checkpointer> checkpointer_;
  // The main process holds the output folder for the whole run: a second `segx train` into it
  // (a --resume while this one runs) is refused instead of interleaving checkpoints.
  std::unique_ptr<io::OutputDirLock> output_lock_;
  PolySchedule schedule_;
  std::vector<std::unique_ptr<TrainHook>> hooks_;
  std::vector<ExtraLoss> extra_losses_;
  LogitsTransform logits_transform_;
  std::int64_t iteration_ = 0;
  double lr_ = 0;
  std::unique_ptr<std::ofstream> metrics_;
  static std::atomic<int> stop_signal_;
};

// Set up from the environment for `segx train`: the label space (from the first dataset, or the
// vocabulary's classes when `vocab` is given) and the datasets mapped onto it.
struct TrainData {
  TrainClasses classes;
  std::vector<TrainDataset> datasets;
  std::optional<TrainDataset> validation;
};
TrainData load_train_data(const TrainConfig& config, const std::string& vocab_path);

}  // namespace segx::train
