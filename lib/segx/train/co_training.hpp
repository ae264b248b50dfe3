// DaTaSeg co-training wiring for the trainer: each iteration's class logits restricted to the
// label space of the dataset drawn for it, and the classifier over the vocabulary's class-name
// embeddings (a shared learnable background embedding stays the no-object class).
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "segx/model/config.hpp"
#include "segx/train/trainer.hpp"

namespace segx::train {

// Restricts the logits of a batch to its dataset's label space (label_space.hpp); an empty
// function when every dataset annotates every class (nothing to restrict).
LogitsTransform label_space_transform(const std::vector<TrainDataset>& datasets);

struct ClassEmbeddingSource {
  at::Tensor embeddings;  // [K, D] rows in class order; undefined: none (linear classifier)
  std::string file;       // where they were read from
};

// With model classifier.type "embedding" and classifier.embeddings (`segx vocab embed`'s
// safetensors, resolved against the model config's folder, else the training config's): the
// embeddings, checked against the label space (rows = classes, by class_ids when the file has
// them). Without a file the config falls back to a linear head, said in a log line when the label
// space is a vocabulary's. Error(Config) when the rows do not fit.
ClassEmbeddingSource load_class_embeddings(model::ModelConfig& model, const TrainConfig& config,
                                           const TrainClasses& classes);

}  // namespace segx::train
