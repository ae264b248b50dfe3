// Classification of decoder queries, linear (official checkpoints) or by class-name embeddings
// (DaTaSeg); shared by every transformer decoder.
#pragma once
#include "segx/model/config.hpp"
#include "segx/model/nn.hpp"

namespace segx::model {

// Classification of decoder queries into K classes + "no object".
class Classifier {
 public:
  Classifier() = default;
  Classifier(const ModelConfig& config, Weights& w, const std::string& prefix,
             const at::Tensor& class_embeddings);
  at::Tensor operator()(const at::Tensor& queries) const;  // [B, Q, C] -> [B, Q, K+1]

 private:
  bool linear_ = true;
  Linear class_embed_;     // linear: hidden -> K+1; embedding: hidden -> D projection
  at::Tensor embeddings_;  // embedding: normalised class names [K, D]
  at::Tensor background_, logit_scale_;
};

}  // namespace segx::model
