// Masked-attention transformer decoder, operation for operation as Mask2Former's
// mask2former_transformer_decoder.py and OneFormer's oneformer_transformer_decoder.py
// (batch-first here; the reference is sequence-first).
#include "segx/model/transformer_decoder/masked.hpp"

#include <ATen/core/grad_mode.h>
#include <fmt/format.h>

#include "segx/core/error.hpp"

namespace segx::model {

using Norm = Conv2d::Norm;

MaskedTransformerDecoder::MaskedTransformerDecoder(const ModelConfig& c, std::int64_t in_channels,
                                                   Weights& w, const at::Tensor& class_embeddings,
                                                   const std::string& prefix)
    : config_(c.decoder), oneformer_(c.is_oneformer()), use_task_norm_(c.oneformer.use_task_norm) {
  const auto& d = c.decoder;
  const auto h = d.hidden_dim;
  const int layers = d.dec_layers - 1;
  for (int i = 0; i < layers; ++i) {
    auto sp = fmt::format("{}transformer_self_attention_layers.{}.", prefix, i);
    auto cp = fmt::format("{}transformer_cross_attention_layers.{}.", prefix, i);
    auto fp = fmt::format("{}transformer_ffn_layers.{}.", prefix, i);
    self_attn_.emplace_back(w, sp + "self_attn.", h, d.nheads);
    self_norm_.emplace_back(w, sp + "norm.", h);
    cross_attn_.emplace_back(w, cp + "multihead_attn.", h, d.nheads);
    cross_norm_.emplace_back(w, cp + "norm.", h);
    ffn1_.emplace_back(w, fp + "linear1.", h, d.dim_feedforward);
    ffn2_.emplace_back(w, fp + "linear2.", d.dim_feedforward, h);
    ffn_norm_.emplace_back(w, fp + "norm.", h);
  }
  decoder_norm_ = LayerNorm(w, prefix + "decoder_norm.", h);
  if (!oneformer_ || c.oneformer.query_feat)
    query_feat_ = w.take(prefix + "query_feat.weight", {d.num_queries, h});
  query_embed_ = w.take(prefix + "query_embed.weight", {d.num_queries, h});
  level_embed_ = w.take(prefix + "level_embed.weight", {3, h});
  for (int i = 0; i < 3; ++i) {
    if (in_channels != h || d.enforce_input_proj)
      input_proj_.emplace_back(w, fmt::format("{}input_proj.{}.", prefix, i), in_channels, h, 1,
                               Norm::None, true);
    else
      input_proj_.emplace_back();
  }
  classifier_ = Classifier(c, w, prefix, class_embeddings);
  mask_embed_ = Mlp(w, prefix + "mask_embed.", h, h, c.pixel_decoder.mask_dim, 3);
  if (oneformer_) {
    class_input_proj_ =
        Conv2d(w, prefix + "class_input_proj.", c.pixel_decoder.mask_dim, h, 1, Norm::None, true);
    for (int i = 0; i < c.oneformer.class_dec_layers; ++i) {
      auto p = fmt::format("{}class_transformer.decoder.layers.{}.", prefix, i);
      ClassLayer l;
      l.self_attn = MultiheadAttention(w, p + "self_attn.", h, d.nheads);
      l.cross_attn = MultiheadAttention(w, p + "multihead_attn.", h, d.nheads);
      l.linear1 = Linear(w, p + "linear1.", h, d.dim_feedforward);
      l.linear2 = Linear(w, p + "linear2.", d.dim_feedforward, h);
      l.norm1 = LayerNorm(w, p + "norm1.", h);
      l.norm2 = LayerNorm(w, p + "norm2.", h);
      l.norm3 = LayerNorm(w, p + "norm3.", h);
      class_layers_.push_back(std::move(l));
    }
    class_norm_ = LayerNorm(w, prefix + "class_transformer.decoder.norm.", h);
  }
}

at::Tensor MaskedTransformerDecoder::heads(const at::Tensor& output,
                                           const at::Tensor& mask_features, at::IntArrayRef target,
                                           const at::Tensor& features_at_target, int index,
                                           at::Tensor* attn_mask, DecoderPredictions& out,
                                           Trace* trace) const {
  auto x = decoder_norm_(output);
  auto logits = classifier_(x);
  auto emb = mask_embed_(x);
  if (attn_mask && features_at_target.defined()) {
    // Only the next layer's attention mask is wanted: the masks resized to `target` are the mask
    // embeddings times the mask features resized to `target` (a bilinear resize is linear).
    auto prob = at::bmm(emb, features_at_target.flatten(2)).sigmoid();
    *attn_mask = prob < 0.5;  // [B, Q, HW], true = not attended
    out.logits.push_back(logits);
    out.masks.emplace_back();  // not computed: no output reads an intermediate head's masks
    return logits;
  }
  const auto b = mask_features.size(0), q = emb.size(1);
  auto masks = at::bmm(emb, mask_features.flatten(2))
                   .view({b, q, mask_features.size(2), mask_features.size(3)});
  out.logits.push_back(logits);
  out.masks.push_back(masks);
  record(trace, fmt::format("predictor.pred{}.logits", index), logits);
  record(trace, fmt::format("predictor.pred{}.masks", index), masks);
  if (attn_mask) {
    auto m = at::upsample_bilinear2d(masks, target, false, c10::nullopt, c10::nullopt);
    auto prob = m.sigmoid().flatten(2);
    *attn_mask = prob < 0.5;  // [B, Q, HW], true = not attended
    record(trace, fmt::format("predictor.pred{}.attn_prob", index), prob);
    record(trace, fmt::format("predictor.pred{}.attn_mask", index), attn_mask->to(at::kByte));
  }
  return logits;
}

at::Tensor MaskedTransformerDecoder::class_transformer(const at::Tensor& mask_features,
                                                       const at::Tensor& task, Trace* trace) const {
  const std::int64_t b = mask_features.size(0), h = config_.hidden_dim;
  const auto nq = config_.num_queries - 1;
  // Upstream passes the position embedding as the memory and the projected mask features as
  // its positional term (class_transformer(feats, None, query_embed[:-1], proj, tasks)).
  auto feats = position_embedding_sine(b, mask_features.size(2), mask_features.size(3), h / 2,
                                       mask_features.options());
  record(trace, "predictor.pos.3", feats);
  auto memory = feats.flatten(2).transpose(1, 2);
  auto pos = class_input_proj_(mask_features).flatten(2).transpose(1, 2);
  auto memory_pos = memory + pos;
  auto query_pos = query_embed_.narrow(0, 0, nq).unsqueeze(0).expand({b, nq, h});
  auto tgt = use_task_norm_ ? task.unsqueeze(1).expand({b, nq, h}).contiguous()
                            : at::zeros({b, nq, h}, mask_features.options());
  for (const auto& l : class_layers_) {
    if (config_.pre_norm) {
      auto t2 = l.norm1(tgt);
      tgt = tgt + l.self_attn(t2 + query_pos, t2 + query_pos, t2);
      t2 = l.norm2(tgt);
      tgt = tgt + l.cross_attn(t2 + query_pos, memory_pos, memory);
      t2 = l.norm3(tgt);
      tgt = tgt + l.linear2(l.linear1(t2).relu_());
    } else {
      auto q = tgt + query_pos;
      tgt = l.norm1(tgt + l.self_attn(q, q, tgt));
      tgt = l.norm2(tgt + l.cross_attn(tgt + query_pos, memory_pos, memory));
      tgt = l.norm3(tgt + l.linear2(l.linear1(tgt).relu_()));
    }
  }
  auto hs = class_norm_(tgt);
  record(trace, "predictor.class_transformer.hs", hs.unsqueeze(0));
  return hs;
}

DecoderPredictions MaskedTransformerDecoder::operator()(const std::vector<at::Tensor>& features,
                                                        const at::Tensor& mask_features,
                                                        const at::Tensor& task,
                                                        Trace* trace) const {
  const std::int64_t b = mask_features.size(0), h = config_.hidden_dim, nq = config_.num_queries;
  std::vector<at::Tensor> src, pos;
  std::vector<std::vector<std::int64_t>> sizes;
  for (int i = 0; i < 3; ++i) {
    const auto& x = features[i];
    sizes.push_back({x.size(2), x.size(3)});
    pos.push_back(position_embedding_sine(b, x.size(2), x.size(3), h / 2, x.options())
                      .flatten(2)
                      .transpose(1, 2));
    auto s = input_proj_[i].weight.defined() ? input_proj_[i](x) : x;
    src.push_back(s.flatten(2).transpose(1, 2) + level_embed_[i].view({1, 1, -1}));
  }
  auto query_embed = query_embed_.unsqueeze(0).expand({b, nq, h});
  at::Tensor output;
  if (oneformer_) {
    if (!task.defined()) fail(ErrorKind::Internal, "a OneFormer decoder needs the task embedding");
    auto t = use_task_norm_ ? decoder_norm_(task) : task;
    output = at::cat({class_transformer(mask_features, t, trace), t.unsqueeze(1)}, 1);
    if (query_feat_.defined()) output = output + query_feat_.unsqueeze(0);
  } else {
    output = query_feat_.unsqueeze(0).expand({b, nq, h}).contiguous();
  }
  DecoderPredictions out;
  if (oneformer_) out.queries = output;
  // In inference no output reads the intermediate heads' masks, only their attention masks: those
  // heads work on the mask features resized to each level (three resizes of C channels instead of
  // a resize of Q masks per layer, and products at the level's size instead of at 1/4). Training
  // (deep supervision) and the parity trace need every head's masks.
  const bool every_mask = trace || at::GradMode::is_enabled();
  std::vector<at::Tensor> at_level(3);
  if (!every_mask)
    for (int i = 0; i < 3; ++i)
      at_level[i] =
          at::upsample_bilinear2d(mask_features, sizes[i], false, c10::nullopt, c10::nullopt);
  at::Tensor attn_mask;
  const auto nlayers = static_cast<int>(self_attn_.size());
  heads(output, mask_features, sizes[0], at_level[0], 0, &attn_mask, out, trace);
  for (int i = 0; i < nlayers; ++i) {
    const int level = i % 3;
    // Rows masked everywhere attend everywhere instead (upstream: attn_mask[where(all)] = False).
    attn_mask = attn_mask & ~attn_mask.all(-1, true);
    const auto& mem = src[level];
    auto mem_pos = mem + pos[level];
    if (config_.pre_norm) {
      auto t2 = cross_norm_[i](output);
      output = output + cross_attn_[i](t2 + query_embed, mem_pos, mem, attn_mask);
    } else {
      output =
          cross_norm_[i](output + cross_attn_[i](output + query_embed, mem_pos, mem, attn_mask));
    }
    record(trace, fmt::format("predictor.layer{}.cross_attn", i), output.transpose(0, 1));
    if (config_.pre_norm) {
      auto t2 = self_norm_[i](output);
      output = output + self_attn_[i](t2 + query_embed, t2 + query_embed, t2);
    } else {
      auto q = output + query_embed;
      output = self_norm_[i](output + self_attn_[i](q, q, output));
    }
    record(trace, fmt::format("predictor.layer{}.self_attn", i), output.transpose(0, 1));
    if (config_.pre_norm) {
      auto t2 = ffn_norm_[i](output);
      output = output + ffn2_[i](ffn1_[i](t2).relu_());
    } else {
      output = ffn_norm_[i](output + ffn2_[i](ffn1_[i](output).relu_()));
    }
    record(trace, fmt::format("predictor.layer{}.ffn", i), output.transpose(0, 1));
    const bool last = i + 1 == nlayers;
    const int next = (i + 1) % 3;
    heads(output, mask_features, sizes[next], at_level[next], i + 1,
          last && !trace ? nullptr : &attn_mask, out, trace);
  }
  return out;
}

}  // namespace segx::model
