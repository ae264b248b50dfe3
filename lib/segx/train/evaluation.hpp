// Evaluation during training: the model's predictions on a validation dataset, made with the
// inference post-processing (segx infer's), scored with segx's own metrics: PQ of the panoptic
// prediction, mIoU of its semantic map (panoptic2semantic on both sides, detectron2's averaging
// over classes with GT pixels) and COCO mask AP of the instance prediction on the thing classes.
#pragma once
#include <ATen/ATen.h>

#include "segx/metrics/panoptic_quality.hpp"
#include "segx/model/model.hpp"
#include "segx/train/train_data.hpp"

namespace segx::train {

struct PanopticEvaluation {
  metrics::PqSummary summary;
  double miou = 0;        // percent
  // percent, COCO AP@[.5:.95]; -1: the set has no thing instances or the model no instance
  // inference (maskformer)
  double mask_ap = -1;
  double mask_ap50 = -1;  // percent
  std::size_t images = 0;
  double seconds = 0;
};

// `task_tokens`: OneFormer's panoptic prompt [1, L] (the one forward serves all three metrics,
// as `segx infer --task panoptic` would); undefined for Mask2Former.
PanopticEvaluation evaluate_panoptic(const model::SegmentationModel& model,
                                     const model::ModelConfig& config, const TrainClasses& classes,
                                     const TrainDataset& dataset,
                                     const at::Tensor& task_tokens = {});

}  // namespace segx::train
