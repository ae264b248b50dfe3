// Query-text contrastive loss, operation for operation as OneFormer's criterion.py.
#include "segx/train/contrastive_loss.hpp"

#include <torch/nn/functional.h>

#include <cmath>

#include "segx/core/error.hpp"

namespace segx::train {
namespace F = torch::nn::functional;

torch::Tensor initial_logit_scale(double temperature) {
  if (!(temperature > 0)) fail(ErrorKind::Config, "contrastive temperature must be positive, not {}", temperature);
  return torch::full({}, std::log(1.0 / temperature), torch::kFloat);
}

torch::Tensor normalized_rows(const torch::Tensor& x) {
  return F::normalize(x.to(torch::kFloat).flatten(1), F::NormalizeFuncOptions().dim(-1));
}

torch::Tensor contrastive_loss_from_rows(const torch::Tensor& image_rows, const torch::Tensor& text_rows,
                                         const torch::Tensor& all_image_rows,
                                         const torch::Tensor& all_text_rows, std::int64_t offset,
                                         const torch::Tensor& logit_scale) {
  const auto b = image_rows.size(0);
  if (text_rows.size(0) != b || image_rows.size(1) != text_rows.size(1))
    fail(ErrorKind::Internal, "contrastive loss: image rows [{}, {}] and text rows [{}, {}] differ", b,
         image_rows.size(1), text_rows.size(0), text_rows.size(1));
  auto labels = torch::arange(b, torch::TensorOptions().dtype(torch::kLong).device(image_rows.device())) + offset;
  auto scale = logit_scale.to(image_rows.device()).exp().clamp_max(100);
  auto logits_per_img = image_rows.matmul(all_text_rows.t());
  auto logits_per_text = text_rows.matmul(all_image_rows.t());
  return F::cross_entropy(logits_per_img * scale, labels) + F::cross_entropy(logits_per_text * scale, labels);
}

torch::Tensor query_text_contrastive_loss(const torch::Tensor& queries, const torch::Tensor& texts,
                                          const torch::Tensor& logit_scale) {
  if (!queries.defined() || !texts.defined())
    fail(ErrorKind::Internal, "contrastive loss: needs the decoder's queries and the text features");
  auto image_x = normalized_rows(queries);
  auto text_x = normalized_rows(texts.to(queries.device()));
  return contrastive_loss_from_rows(image_x, text_x, image_x, text_x, 0, logit_scale);
}

}  // namespace segx::train
