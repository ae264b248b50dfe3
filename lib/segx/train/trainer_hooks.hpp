// The trainer's standard hooks (detectron2's PeriodicWriter, PeriodicCheckpointer, EvalHook):
// metrics.jsonl lines and progress on stderr, checkpoints every period, validation PQ/mIoU/AP.
#pragma once
#include <map>
#include <memory>
#include <optional>

#include "segx/train/trainer.hpp"

namespace segx::train {

// Every log period (and the last iteration): one metrics.jsonl object with the window's mean of
// each loss term (over the iterations that had it) and the total, lr, time, data_time, memory, and
// when several datasets train together, per dataset the window's iterations drawn from it and their
// mean total loss
// ("datasets": {"name": {"iterations", "total_loss"}}); one progress line on stderr.
class MetricsWriter : public TrainHook {
 public:
  void after_step(Trainer& trainer, const StepContext& ctx) override;

 private:
  // Each term's sum and the iterations that had it (loss_proj only on boxes-only batches).
  std::map<std::string, std::pair<double, int>> sums_;
  std::map<int, std::pair<int, double>> per_dataset_;  // dataset -> (iterations, loss sum)
  double total_ = 0, time_ = 0, data_time_ = 0;
  int count_ = 0;
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
