// Learning-rate schedule of Mask2Former's recipes: detectron2's WarmupPolyLR (linear warmup, then
// poly decay), evaluated as a pure function of the iteration so that a resumed run continues
// exactly where it stopped.
#pragma once

namespace segx::train {

struct PolySchedule {
  double base_lr = 1e-4;
  long max_iter = 1;
  double power = 0.9;
  long warmup_iters = 0;
  double warmup_factor = 1.0;  // lr multiplier at iteration 0 (linear warmup up to 1)
  double constant_ending = 0.0;

  // The learning rate for iteration `iter` (0-based), before per-group multipliers.
  double lr_at(long iter) const;
};

}  // namespace segx::train
