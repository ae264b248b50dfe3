// Linear or class-name-embedding classification of decoder queries.
#include "segx/model/transformer_decoder/classifier.hpp"

#include "segx/core/error.hpp"

namespace segx::model {

Classifier::Classifier(const ModelConfig& c, Weights& w, const std::string& prefix,
                       const at::Tensor& class_embeddings) {
  const auto hidden = c.decoder.hidden_dim;
  if (c.classifier.type == "linear") {
    class_embed_ = Linear(w, prefix + "class_embed.", hidden, c.num_classes + 1);
    return;
  }
  linear_ = false;
  const auto d = c.classifier.embedding_dim;
  class_embed_ = Linear(w, prefix + "class_proj.", hidden, d);
  background_ = w.take(prefix + "background_embed", {1, d});
  logit_scale_ = w.take(prefix + "logit_scale", {});
  at::Tensor names = class_embeddings;
  if (!names.defined()) names = w.take(prefix + "class_embeddings", {c.num_classes, d});
  if (names.dim() != 2 || names.size(0) != c.num_classes || names.size(1) != d)
    fail(ErrorKind::Config,
         "class embeddings of shape [{}, {}] do not fit the model: expected [{}, {}] "
         "(num_classes x embedding_dim)",
         names.dim() > 0 ? names.size(0) : 0, names.dim() > 1 ? names.size(1) : 0, c.num_classes,
         d);
  // Rows are normalised one by one, so normalising the fixed names here and the learned
  // background at each forward gives the same values as normalising the concatenation.
  names = names.to(at::kFloat);
  embeddings_ = names / names.norm(2, -1, true).clamp_min(1e-12);
}

at::Tensor Classifier::operator()(const at::Tensor& q) const {
  if (linear_) return class_embed_(q);
  auto z = class_embed_(q);
  z = z / z.norm(2, -1, true).clamp_min(1e-12);
  auto background = background_ / background_.norm(2, -1, true).clamp_min(1e-12);
  return at::matmul(z, at::cat({embeddings_, background}, 0).t()) * logit_scale_.exp();
}

}  // namespace segx::model
