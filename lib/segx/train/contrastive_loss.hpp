// OneFormer's query-text contrastive loss (SetCriterion.loss_contrastive): each image's
// task-conditioned queries (flattened [Q * C]) against its text features (flattened the same way),
// L2-normalised, image-to-text and text-to-image cross-entropy over the images of the batch with
// a learnable temperature: logit_scale (criterion.logit_scale, log space, initially log(1/0.07)),
// used as min(exp(logit_scale), 100).
//
//   auto loss = query_text_contrastive_loss(out.all.queries, text_encoder(tokens), logit_scale);
//
// Data-parallel training (upstream's dist_collect): normalise locally, all-gather both sides across
// processes, and pass the gathered rows with this process's offset into them.
#pragma once
#include <torch/types.h>

#include <cstdint>

namespace segx::train {

// log(1 / temperature): the initial value of criterion.logit_scale (a float scalar tensor).
torch::Tensor initial_logit_scale(double temperature = 0.07);

// [B, ...] -> [B, N] rows of unit L2 norm (F.normalize(x.flatten(1), dim=-1), eps 1e-12).
torch::Tensor normalized_rows(const torch::Tensor& x);

// queries [B, Q, C] and texts [B, Q', C'] with Q * C == Q' * C'; logit_scale scalar -> scalar loss
// (loss_img + loss_text, each a mean over the batch).
torch::Tensor query_text_contrastive_loss(const torch::Tensor& queries, const torch::Tensor& texts,
                                          const torch::Tensor& logit_scale);

// The same from normalised rows: local image/text rows [B, N], the gathered ones [G, N] (G >= B,
// this process's rows at [offset, offset + B)).
torch::Tensor contrastive_loss_from_rows(const torch::Tensor& image_rows, const torch::Tensor& text_rows,
                                         const torch::Tensor& all_image_rows,
                                         const torch::Tensor& all_text_rows, std::int64_t offset,
                                         const torch::Tensor& logit_scale);

}  // namespace segx::train
