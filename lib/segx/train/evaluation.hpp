// Evaluation during training: the model's panoptic predictions on a validation dataset, made
// with the inference post-processing (segx infer's), scored with segx's own PQ.
#pragma once
#include <ATen/ATen.h>

#include "segx/metrics/panoptic_quality.hpp"
#include "segx/model/maskformer.hpp"
#include "segx/train/train_data.hpp"

namespace segx::train {

struct PanopticEvaluation {
  metrics::PqSummary summary;
  std::size_t images = 0;
  double seconds = 0;
};

PanopticEvaluation evaluate_panoptic(const model::MaskFormer& model,
                                     const model::ModelConfig& config, const TrainClasses& classes,
                                     const TrainDataset& dataset);

}  // namespace segx::train
