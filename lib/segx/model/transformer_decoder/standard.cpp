// TransformerPredictor, operation for operation as MaskFormer's transformer_predictor.py and
// transformer.py (batch-first here; the trace records decoder layers sequence-first as upstream).
#include "segx/model/transformer_decoder/standard.hpp"

#include <ATen/core/grad_mode.h>
#include <fmt/format.h>

namespace segx::model {

namespace {

DetrShape decoder_shape(const DecoderConfig& d) {
  DetrShape s;
  s.dim = d.hidden_dim;
  s.heads = d.nheads;
  s.dim_feedforward = d.dim_feedforward;
  s.pre_norm = d.pre_norm;
  return s;
}

}  // namespace

StandardTransformerDecoder::StandardTransformerDecoder(const ModelConfig& c,
                                                       std::int64_t in_channels, Weights& w,
                                                       const at::Tensor& class_embeddings,
                                                       const std::string& prefix)
    : config_(c.decoder) {
  const auto& d = c.decoder;
  const auto shape = decoder_shape(d);
  encoder_ = DetrEncoder(w, prefix + "transformer.encoder.", shape, d.enc_layers);
  for (int i = 0; i < d.dec_layers; ++i)
    layers_.emplace_back(w, fmt::format("{}transformer.decoder.layers.{}.", prefix, i), shape);
  norm_ = LayerNorm(w, prefix + "transformer.decoder.norm.", d.hidden_dim);
  query_embed_ = w.take(prefix + "query_embed.weight", {d.num_queries, d.hidden_dim});
  if (in_channels != d.hidden_dim || d.enforce_input_proj)
    input_proj_ =
        Conv2d(w, prefix + "input_proj.", in_channels, d.hidden_dim, 1, Conv2d::Norm::None, true);
  classifier_ = Classifier(c, w, prefix, class_embeddings);
  mask_embed_ =
      Mlp(w, prefix + "mask_embed.", d.hidden_dim, d.hidden_dim, c.pixel_decoder.mask_dim, 3);
}

DecoderPredictions StandardTransformerDecoder::operator()(const at::Tensor& x,
                                                          const at::Tensor& mask_features,
                                                          Trace* trace) const {
  const std::int64_t b = x.size(0), h = config_.hidden_dim, nq = config_.num_queries;
  auto pos = position_embedding_sine(b, x.size(2), x.size(3), h / 2, x.options())
                 .flatten(2)
                 .transpose(1, 2);
  auto src = x;
  if (input_proj_.weight.defined()) {
    src = input_proj_(x);
    record(trace, "predictor.input_proj", src);
  }
  auto memory = encoder_(src.flatten(2).transpose(1, 2), pos, trace, "predictor.encoder");
  auto query_pos = query_embed_.unsqueeze(0).expand({b, nq, h});
  auto tgt = at::zeros({b, nq, h}, memory.options());
  const auto mb = mask_features.size(0), mh = mask_features.size(2), mw = mask_features.size(3);
  auto pixels = mask_features.flatten(2);
  // In inference no output reads the intermediate heads' masks (DecoderPredictions); training
  // (deep supervision) and the parity trace need every head's.
  const bool every_mask = trace || at::GradMode::is_enabled();
  DecoderPredictions out;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    tgt = layers_[i](tgt, memory, pos, query_pos, config_.pre_norm);
    record(trace, fmt::format("predictor.decoder.layer{}", i), tgt.transpose(0, 1));
    // Upstream stacks norm(output) of every layer (return_intermediate) and predicts from each.
    auto hs = norm_(tgt);
    out.logits.push_back(classifier_(hs));
    record(trace, fmt::format("predictor.pred{}.logits", i), out.logits.back());
    if (!every_mask && i + 1 < layers_.size()) {
      out.masks.emplace_back();
      continue;
    }
    out.masks.push_back(at::bmm(mask_embed_(hs), pixels).view({mb, nq, mh, mw}));
    record(trace, fmt::format("predictor.pred{}.masks", i), out.masks.back());
  }
  return out;
}

}  // namespace segx::model
