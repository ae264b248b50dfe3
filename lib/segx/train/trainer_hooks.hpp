// The trainer's standard hooks (detectron2's PeriodicWriter, PeriodicCheckpointer, EvalHook):
// metrics.jsonl lines and progress on stderr, checkpoints every period, validation PQ/mIoU/AP.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "segx/train/trainer.hpp"

namespace segx::train {

// The loss terms of the iterations in one log window: each term's mean over the iterations that
// had it (loss_proj only on boxes-only batches, loss_merge_* only on merged semantic ones) and the
// mean total.
class LossWindow {
 public:
  void add(const LossTerms& losses);
  int iterations() const { return iterations_; }
  double mean_total() const { return iterations_ ? total_ / iterations_ : 0.0; }
  // {"iterations": n, "total_loss": ..., "loss_ce": ..., ...}
  nlohmann::ordered_json summary() const;

 private:
  std::map<std::string, std::pair<double, int>> sums_;  // term -> (sum, iterations that had it)
  double total_ = 0;
  int iterations_ = 0;
};

// Every log period (and the last iteration): one metrics.jsonl object with the window's mean of
// each loss term and the total, lr, time, data_time, memory, and when several datasets train
// together, the same loss means per dataset over the iterations drawn from it
// ("datasets": {"name": {"iterations", "total_loss", "loss_ce", ...}}). When the run trains
// several tasks, per task the images of the window that drew it (on this process) and their mean
// loss, each image's share of its batch's loss times the batch's images (what a batch of such
// images would total; LossTerms::image_losses): "tasks": {"semantic": {"images", "loss"}}. One
// progress line on stderr.
class MetricsWriter : public TrainHook {
 public:
  void before_train(Trainer& trainer) override;
  void after_step(Trainer& trainer, const StepContext& ctx) override;

 private:
  bool several_tasks_ = false;  // the datasets train more than one task between them
  LossWindow window_;
  std::map<int, LossWindow> per_dataset_;
  std::map<std::string, std::pair<int, double>> per_task_;  // task -> (images, loss sum)
  double time_ = 0, data_time_ = 0;
  double elapsed_ = 0;
  std::int64_t timed_ = 0;
};

// Checkpoint every solver.checkpoint_period iterations (keep-last-N, atomic).
class PeriodicCheckpointer : public TrainHook {
 public:
  void after_step(Trainer& trainer, const StepContext& ctx) override;
};

// Validation PQ, mIoU and mask AP every solver.eval_period iterations and after the last one.
class PanopticEvalHook : public TrainHook {
 public:
  explicit PanopticEvalHook(TrainDataset validation) : validation_(std::move(validation)) {}
  void after_step(Trainer& trainer, const StepContext& ctx) override;
  void after_train(Trainer& trainer) override;

 private:
  void evaluate(Trainer& trainer);
  TrainDataset validation_;
  std::int64_t last_ = -1;
};

}  // namespace segx::train
