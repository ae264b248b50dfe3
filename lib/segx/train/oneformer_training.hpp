// OneFormer's training side, for the Trainer: the task prompt of each image ("the task is
// {task}", the task drawn by the data loader) as task tokens for the decoder, the image's text
// queries encoded by a TextEncoder trained from scratch, and the query-text contrastive loss with
// its learnable temperature (criterion.logit_scale). Its tensors, by upstream names
// (text_encoder.*, text_projector.*, prompt_ctx.weight, criterion.logit_scale), join the model's
// in the optimizer, the checkpoints and model_*.safetensors, as upstream checkpoints hold them;
// inference ignores them (model::Weights::finish).
//
// The contrastive loss contrasts every image of the step's batch with every other, as one
// process would. The Trainer splits the batch into chunks run in parallel threads (and processes);
// each chunk computes its own images' share, against the other chunks' rows, which it receives
// through an exchange as upstream's dist_collect receives other GPUs' rows: constants, gradients
// flow through the chunk's own rows only.
#pragma once
#include <torch/types.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "segx/model/clip_tokenizer.hpp"
#include "segx/model/model.hpp"
#include "segx/train/data_loader.hpp"
#include "segx/train/distributed.hpp"
#include "segx/train/text_encoder.hpp"
#include "segx/train/train_config.hpp"

namespace segx::train {

class OneFormerTraining {
 public:
  // Error(Config) naming the config when text_encoder.tokenizer is missing, unreadable or not a
  // CLIP vocabulary, or the text encoder does not fit the model (n_ctx >= num_queries, width).
  // Initialised seeded from scratch; text tensors present in config.weights are taken instead.
  OneFormerTraining(const TrainConfig& config, const model::ModelConfig& model,
                    const at::Device& device, DistributedContext& dist);

  // Every tensor (all trainable), in a fixed order.
  const std::vector<model::NamedTensor>& named_tensors() const { return tensors_; }
  // Whether the contrastive loss is trained (loss.contrastive_weight > 0). Without it the text
  // side has no loss to learn from: no text encoder forward, and it stays out of the optimizer
  // (whose weight decay would otherwise shrink it step by step).
  bool trains_text() const { return weight_ > 0; }
  // Texts per image the data loader makes (num_queries - n_ctx).
  int num_text_queries() const { return num_text_queries_; }
  // int64 [B, task_seq_len]: each image's task prompt, tokenized ([B, 1] task indices for a
  // learned task embedding: the model's task input).
  at::Tensor task_tokens(const TrainBatch& batch) const;
  // int64 [1, task_seq_len]: one task's prompt, tokenized (validation's forward; [1, 1] for a
  // learned task embedding).
  at::Tensor task_tokens(Task task) const;
  // The weighted loss_contrastive of a chunk of the step's batch (`global_batch` images over all
  // chunks and processes), its images' share of the batch mean. Blocks until every chunk of this
  // process has given its rows.
  at::Tensor contrastive_loss(const TrainBatch& chunk, const model::ModelOutput& output,
                              int global_batch);
  // Releases chunks waiting for rows that will not come (another chunk failed).
  void abort_step();

 private:
  struct Rows {
    at::Tensor images, texts;  // detached, normalised [global_batch, N]
  };
  Rows exchange(const TrainBatch& chunk, const at::Tensor& image_rows, const at::Tensor& text_rows,
                int global_batch);

  DistributedContext& dist_;
  double weight_ = 0;
  int num_text_queries_ = 0;
  int context_length_ = 0;
  model::ClipTokenizer tokenizer_;
  std::vector<std::vector<std::int64_t>> task_rows_;  // per Task value
  std::unique_ptr<model::Weights> weights_;
  TextEncoder encoder_;
  at::Tensor logit_scale_;
  std::vector<model::NamedTensor> tensors_;

  // The step's rows, gathered from its chunks (and processes).
  std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::int64_t iteration_ = -1;
  int deposited_ = 0;
  bool ready_ = false, aborted_ = false;
  Rows rows_;
};

}  // namespace segx::train
