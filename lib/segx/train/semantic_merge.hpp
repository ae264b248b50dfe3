// DaTaSeg's MERGE for semantic targets: instead of matching one query to each class (which
// teaches a single query to cover every instance of a class and fights instance separation), the
// queries' masks are merged per class, weighted by each query's probability of that class,
//   S_c(x) = sum_q p_q(c) * sigmoid(m_q(x)),
// the same map Mask2Former's semantic inference takes the argmax of, and that map is what the
// semantic labels supervise. Any number of queries may share a class; the labels only say where
// each class is.
#pragma once
#include <torch/types.h>

namespace segx::train {

struct MergedSemanticLosses {
  torch::Tensor cross_entropy;  // loss_merge_ce, not yet divided by num_masks
  torch::Tensor dice;           // loss_merge_dice, likewise
};

// One image. class_logits [Q, K + 1] (classes outside the image's label space already -inf),
// mask_logits [Q, h, w]; labels int64 [N], distinct classes, with their masks float [N, Ht, Wt].
// At `num_points` uniform points (from `generator`, or the default one when null):
// - cross_entropy: the per-point cross-entropy of the class distribution S_c / sum_c' S_c'
//   against the labels (bilinear samples of the masks, so soft at edges), mean over the labelled
//   points, times N: it weighs like N per-mask losses, so the caller divides by num_masks as it
//   does the matched mask losses. Unlabelled points are left out.
// - dice: the dice loss of min(S_c, 1) against each labelled class's mask, summed over the N.
MergedSemanticLosses merged_semantic_losses(const torch::Tensor& class_logits,
                                            const torch::Tensor& mask_logits,
                                            const torch::Tensor& labels, const torch::Tensor& masks,
                                            int num_points, at::Generator* generator);

}  // namespace segx::train
