// Text encoder, projector and prompt context, as OneFormer's text_transformer.py (TextTransformer,
// ResidualAttentionBlock with QuickGELU) and OneFormer.encode_text.
#include "segx/train/text_encoder.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include <cmath>
#include <map>

#include "segx/core/error.hpp"

namespace segx::train {

void validate(const TextEncoderConfig& c) {
  if (c.context_length <= 0 || c.layers <= 0 || c.vocab_size <= 0 || c.proj_num_layers <= 0 ||
      c.hidden_dim <= 0 || c.n_ctx < 0)
    fail(ErrorKind::Config,
         "text encoder: context_length, layers, vocab_size, proj_num_layers and hidden_dim must be "
         "positive and n_ctx not negative");
  if (c.width < 64 || c.width % 64 != 0)
    fail(ErrorKind::Config, "text encoder: width {} is not a positive multiple of 64 (heads = width / 64)",
         c.width);
  // Upstream concatenates projected texts (hidden_dim) with prompt_ctx rows (width).
  if (c.n_ctx > 0 && c.width != c.hidden_dim)
    fail(ErrorKind::Config,
         "text encoder: a prompt context (n_ctx {}) needs width ({}) equal to the decoder's hidden_dim ({})",
         c.n_ctx, c.width, c.hidden_dim);
}

TextEncoder::TextEncoder(const TextEncoderConfig& c, model::Weights& w) : config_(c) {
  validate(c);
  const std::int64_t width = c.width;
  token_embedding_ = w.take("text_encoder.token_embedding.weight", {c.vocab_size, width});
  positional_embedding_ = w.take("text_encoder.positional_embedding", {c.context_length, width});
  for (int i = 0; i < c.layers; ++i) {
    const auto p = fmt::format("text_encoder.transformer.resblocks.{}.", i);
    Block b;
    b.attn = model::MultiheadAttention(w, p + "attn.", width, width / 64);
    b.ln_1 = model::LayerNorm(w, p + "ln_1.", width);
    b.c_fc = model::Linear(w, p + "mlp.c_fc.", width, 4 * width);
    b.c_proj = model::Linear(w, p + "mlp.c_proj.", 4 * width, width);
    b.ln_2 = model::LayerNorm(w, p + "ln_2.", width);
    blocks_.push_back(std::move(b));
  }
  ln_final_ = model::LayerNorm(w, "text_encoder.ln_final.", width);
  projector_ = model::Mlp(w, "text_projector.", width, c.hidden_dim, c.hidden_dim, c.proj_num_layers);
  if (c.n_ctx > 0) prompt_ctx_ = w.take("prompt_ctx.weight", {c.n_ctx, width});
}

at::Tensor TextEncoder::transformer(const at::Tensor& tokens) const {
  const auto len = tokens.size(1);
  auto x = at::embedding(token_embedding_, tokens) + positional_embedding_.narrow(0, 0, len);
  // build_attention_mask: -inf above the diagonal, i.e. a token sees itself and earlier ones.
  auto causal = at::ones({len, len}, tokens.options().dtype(at::kBool)).triu(1).unsqueeze(0);
  for (const auto& b : blocks_) {
    auto h = b.ln_1(x);
    x = x + b.attn(h, h, h, causal);
    auto m = b.c_fc(b.ln_2(x));
    x = x + b.c_proj(m * at::sigmoid(1.702 * m));  // QuickGELU
  }
  return ln_final_(x);
}

at::Tensor TextEncoder::encode(const at::Tensor& tokens) const {
  if (tokens.dim() != 2 || tokens.size(1) != config_.context_length)
    fail(ErrorKind::Internal, "text encoder: expected tokens [N, {}]", config_.context_length);
  auto t = tokens.to(token_embedding_.device(), at::kLong);
  // Padding texts repeat ("a panoptic photo" fills most rows): encode each distinct row once;
  // index_select below routes the gradients of every copy back to it.
  auto [rows, inverse, counts] = at::unique_dim(t, 0, /*sorted=*/true, /*return_inverse=*/true);
  (void)counts;
  auto eot = rows.argmax(-1);
  // Attention is causal, so positions after the last end-of-text token cannot reach any feature
  // read below: dropping them changes nothing but the cost (texts are ~8 of 77 tokens).
  const auto len = eot.max().item<std::int64_t>() + 1;
  auto x = transformer(rows.narrow(1, 0, len));
  auto feats = x.index({at::arange(rows.size(0), eot.options()), eot});
  return feats.index_select(0, inverse.reshape(-1));
}

at::Tensor TextEncoder::operator()(const at::Tensor& tokens) const {
  if (tokens.dim() != 3) fail(ErrorKind::Internal, "text encoder: expected tokens [B, T, L]");
  const auto b = tokens.size(0), t = tokens.size(1);
  auto text_x = projector_(encode(tokens.reshape({b * t, tokens.size(2)}))).view({b, t, -1});
  if (config_.n_ctx > 0)
    text_x = at::cat({text_x, prompt_ctx_.unsqueeze(0).expand({b, config_.n_ctx, prompt_ctx_.size(1)})}, 1);
  return text_x;
}

std::vector<std::pair<std::string, at::Tensor>> TextEncoder::named_parameters() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  out.emplace_back("text_encoder.token_embedding.weight", token_embedding_);
  out.emplace_back("text_encoder.positional_embedding", positional_embedding_);
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const auto p = fmt::format("text_encoder.transformer.resblocks.{}.", i);
    const auto& b = blocks_[i];
    out.emplace_back(p + "attn.in_proj_weight", b.attn.in_weight);
    out.emplace_back(p + "attn.in_proj_bias", b.attn.in_bias);
    out.emplace_back(p + "attn.out_proj.weight", b.attn.out.weight);
    out.emplace_back(p + "attn.out_proj.bias", b.attn.out.bias);
    out.emplace_back(p + "ln_1.weight", b.ln_1.weight);
    out.emplace_back(p + "ln_1.bias", b.ln_1.bias);
    out.emplace_back(p + "mlp.c_fc.weight", b.c_fc.weight);
    out.emplace_back(p + "mlp.c_fc.bias", b.c_fc.bias);
    out.emplace_back(p + "mlp.c_proj.weight", b.c_proj.weight);
    out.emplace_back(p + "mlp.c_proj.bias", b.c_proj.bias);
    out.emplace_back(p + "ln_2.weight", b.ln_2.weight);
    out.emplace_back(p + "ln_2.bias", b.ln_2.bias);
  }
  out.emplace_back("text_encoder.ln_final.weight", ln_final_.weight);
  out.emplace_back("text_encoder.ln_final.bias", ln_final_.bias);
  for (std::size_t i = 0; i < projector_.layers.size(); ++i) {
    const auto p = fmt::format("text_projector.layers.{}.", i);
    out.emplace_back(p + "weight", projector_.layers[i].weight);
    out.emplace_back(p + "bias", projector_.layers[i].bias);
  }
  if (prompt_ctx_.defined()) out.emplace_back("prompt_ctx.weight", prompt_ctx_);
  return out;
}

io::TensorMap initial_text_encoder_parameters(const TextEncoderConfig& c, std::uint64_t seed) {
  validate(c);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto opts = at::TensorOptions().dtype(at::kFloat);
  const std::int64_t w = c.width;
  auto normal = [&](at::IntArrayRef shape, double std) { return at::randn(shape, gen, opts) * std; };
  auto uniform = [&](at::IntArrayRef shape, std::int64_t fan_in) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    return at::empty(shape, opts).uniform_(-bound, bound, gen);
  };
  const double attn_std = std::pow(w, -0.5);
  const double proj_std = attn_std * std::pow(2.0 * c.layers, -0.5);
  const double fc_std = std::pow(2.0 * w, -0.5);
  io::TensorMap m;
  m["text_encoder.token_embedding.weight"] = normal({c.vocab_size, w}, 0.02);
  m["text_encoder.positional_embedding"] = normal({c.context_length, w}, 0.01);
  for (int i = 0; i < c.layers; ++i) {
    const auto p = fmt::format("text_encoder.transformer.resblocks.{}.", i);
    m[p + "attn.in_proj_weight"] = normal({3 * w, w}, attn_std);
    m[p + "attn.in_proj_bias"] = at::zeros({3 * w}, opts);
    m[p + "attn.out_proj.weight"] = normal({w, w}, proj_std);
    m[p + "attn.out_proj.bias"] = at::zeros({w}, opts);
    m[p + "mlp.c_fc.weight"] = normal({4 * w, w}, fc_std);
    m[p + "mlp.c_fc.bias"] = uniform({4 * w}, w);
    m[p + "mlp.c_proj.weight"] = normal({w, 4 * w}, proj_std);
    m[p + "mlp.c_proj.bias"] = uniform({w}, 4 * w);
    for (const char* ln : {"ln_1.", "ln_2."}) {
      m[p + ln + "weight"] = at::ones({w}, opts);
      m[p + ln + "bias"] = at::zeros({w}, opts);
    }
  }
  m["text_encoder.ln_final.weight"] = at::ones({w}, opts);
  m["text_encoder.ln_final.bias"] = at::zeros({w}, opts);
  for (int i = 0; i < c.proj_num_layers; ++i) {
    const std::int64_t in = i == 0 ? w : c.hidden_dim;
    const auto p = fmt::format("text_projector.layers.{}.", i);
    m[p + "weight"] = uniform({c.hidden_dim, in}, in);
    m[p + "bias"] = uniform({c.hidden_dim}, in);
  }
  if (c.n_ctx > 0) m["prompt_ctx.weight"] = normal({c.n_ctx, w}, 1.0);
  return m;
}

at::Tensor tokenize_texts(const model::ClipTokenizer& tokenizer,
                          const std::vector<std::vector<std::string>>& texts, int context_length) {
  const auto b = static_cast<std::int64_t>(texts.size());
  const auto t = b ? static_cast<std::int64_t>(texts[0].size()) : 0;
  auto out = at::zeros({b, t, context_length}, at::kLong);
  auto* data = out.data_ptr<std::int64_t>();
  std::map<std::string, std::vector<std::int64_t>> cache;  // lists repeat a few strings
  for (std::int64_t i = 0; i < b; ++i) {
    if (static_cast<std::int64_t>(texts[i].size()) != t)
      fail(ErrorKind::Internal, "tokenize_texts: image {} has {} texts, image 0 has {}", i,
           texts[i].size(), t);
    for (std::int64_t j = 0; j < t; ++j) {
      const auto& s = texts[i][j];
      auto it = cache.find(s);
      if (it == cache.end()) it = cache.emplace(s, tokenizer.tokenize(s, context_length)).first;
      std::copy(it->second.begin(), it->second.end(), data + (i * t + j) * context_length);
    }
  }
  return out;
}

}  // namespace segx::train
