// What a transformer decoder returns: every prediction head's class logits and mask logits
// (deep supervision), and OneFormer's task-conditioned queries.
#pragma once
#include <ATen/ATen.h>

#include <vector>

namespace segx::model {

struct DecoderPredictions {
  std::vector<at::Tensor> logits;  // per head (DEC_LAYERS entries): [B, Q, K+1]
  // per head: [B, Q, H/4, W/4]; in inference only the last head's (the others are undefined)
  std::vector<at::Tensor> masks;
  // OneFormer: the task-conditioned queries entering the first head ([B, Q, C], class transformer
  // output then the task query), upstream's `contrastive_logits` for the query-text loss.
  at::Tensor queries;
};

}  // namespace segx::model
