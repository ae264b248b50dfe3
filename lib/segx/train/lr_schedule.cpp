// WarmupPolyLR (detectron2 projects/DeepLab lr_scheduler.py) as a function of the iteration.
#include "segx/train/lr_schedule.hpp"

#include <cmath>

namespace segx::train {

double PolySchedule::lr_at(long iter) const {
  double warmup = 1.0;
  if (iter < warmup_iters && warmup_iters > 0) {
    double alpha = static_cast<double>(iter) / warmup_iters;
    warmup = warmup_factor * (1 - alpha) + alpha;
  }
  double decay = std::pow(1.0 - static_cast<double>(iter) / max_iter, power);
  if (constant_ending > 0 && warmup == 1.0 && decay < constant_ending) return base_lr * constant_ending;
  return base_lr * warmup * decay;
}

}  // namespace segx::train
