// OneFormer's text side for the query-text contrastive loss (training only): CLIP-style
// TextTransformer (token + positional embedding, causal pre-LN blocks with QuickGELU, ln_final,
// feature at the end-of-text token) trained from scratch, the text projector MLP and the learnable
// prompt context, with upstream's parameter names (text_encoder.*, text_projector.*,
// prompt_ctx.weight) so checkpoints map one to one.
//
//   TextEncoder enc(config, weights);                 // takes its tensors from model::Weights
//   auto tokens = tokenize_texts(tokenizer, texts, config.context_length);  // [B, T, L]
//   auto text_x = enc(tokens);                        // [B, T + n_ctx, hidden_dim]
//
// With T = num_queries - n_ctx (make_task_targets' num_text_queries) the text features line up
// with the decoder's queries (DecoderPredictions::queries, [B, num_queries, hidden_dim]).
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "segx/io/safetensors_torch.hpp"
#include "segx/model/clip_tokenizer.hpp"
#include "segx/model/nn.hpp"

namespace segx::train {

// MODEL.TEXT_ENCODER.* of OneFormer's config, plus the decoder width the projector maps to.
struct TextEncoderConfig {
  int context_length = 77;  // CONTEXT_LENGTH (= INPUT.MAX_SEQ_LEN)
  int width = 256;          // WIDTH; heads = width / 64 as upstream
  int layers = 6;           // NUM_LAYERS
  int vocab_size = 49408;   // VOCAB_SIZE (CLIP BPE)
  int proj_num_layers = 2;  // PROJ_NUM_LAYERS of text_projector
  int n_ctx = 16;           // N_CTX: learnable prompt context vectors (0: none)
  int hidden_dim = 256;     // MODEL.ONE_FORMER.HIDDEN_DIM: projector output
};

// Error(Config) on a configuration upstream could not build (width not a multiple of 64, prompt
// context whose width differs from hidden_dim, non-positive sizes).
void validate(const TextEncoderConfig& config);

class TextEncoder {
 public:
  TextEncoder() = default;
  TextEncoder(const TextEncoderConfig& config, model::Weights& weights);

  // TextTransformer.forward: tokens int64 [N, L] -> [N, width], the ln_final feature at each
  // row's end-of-text token (the row's largest id, as upstream's argmax).
  at::Tensor encode(const at::Tensor& tokens) const;
  // OneFormer.encode_text: tokens [B, T, L] -> [B, T + n_ctx, hidden_dim] (projected texts, then
  // the prompt context repeated per image).
  at::Tensor operator()(const at::Tensor& tokens) const;

  // Every parameter with its checkpoint name (handles share storage: setting requires_grad or
  // updating them in place acts on the encoder).
  std::vector<std::pair<std::string, at::Tensor>> named_parameters() const;
  const TextEncoderConfig& config() const { return config_; }

 private:
  struct Block {  // ResidualAttentionBlock
    model::LayerNorm ln_1, ln_2;
    model::MultiheadAttention attn;
    model::Linear c_fc, c_proj;
  };
  at::Tensor transformer(const at::Tensor& tokens) const;

  TextEncoderConfig config_;
  at::Tensor token_embedding_, positional_embedding_, prompt_ctx_;
  std::vector<Block> blocks_;
  model::LayerNorm ln_final_;
  model::Mlp projector_;
};

// Upstream's initialisation for training from scratch, by checkpoint name: token embedding
// N(0, 0.02), positional N(0, 0.01), attention in-proj N(0, width^-1/2), out-proj and c_proj
// N(0, width^-1/2 (2 layers)^-1/2), c_fc N(0, (2 width)^-1/2), zero attention biases,
// nn.Linear's default U(+-1/sqrt(fan_in)) for the MLP biases and the projector, N(0, 1) for the
// prompt context (nn.Embedding), LayerNorms 1/0. Seeded: same seed, same tensors.
io::TensorMap initial_text_encoder_parameters(const TextEncoderConfig& config, std::uint64_t seed);

// Tokenizes per-image text lists (each of the same length T) -> int64 [B, T, context_length].
at::Tensor tokenize_texts(const model::ClipTokenizer& tokenizer,
                          const std::vector<std::vector<std::string>>& texts, int context_length);

}  // namespace segx::train
