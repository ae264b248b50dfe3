// The Mask2Former / OneFormer meta-architecture: normalise and pad images, backbone, pixel
// decoder, masked-attention decoder (OneFormer: conditioned on the task token). LibTorch header:
// include only from model, infer and their tests.
#pragma once
#include <array>
#include <memory>

#include "segx/model/backbone.hpp"
#include "segx/model/config.hpp"
#include "segx/model/nn.hpp"
#include "segx/model/pixel_decoder.hpp"
#include "segx/model/transformer_decoder.hpp"

namespace segx::model {

struct ImageBatch {
  at::Tensor tensor;  // [B, 3, Hp, Wp] normalised, zero padded to size_divisibility
  std::vector<std::array<std::int64_t, 2>> sizes;  // each image's (h, w) before padding
};

struct ModelOutput {
  at::Tensor pred_logits;  // [B, Q, K+1] of the last decoder layer
  at::Tensor pred_masks;   // [B, Q, Hp/4, Wp/4]
  DecoderPredictions all;  // every head, for deep supervision / parity
};

// Per-stage wall time of the last forward (seconds), for benchmarks.
struct StageTimes {
  double backbone = 0, pixel_decoder = 0, decoder = 0;
};

class MaskFormer {
 public:
  // Builds the model taking every parameter from `weights` (call weights.finish() after).
  // class_embeddings: [K, D] for an embedding classifier (else from the weights).
  MaskFormer(const ModelConfig& config, Weights& weights, const at::Tensor& class_embeddings = {});

  const ModelConfig& config() const { return config_; }
  // images: uint8 [3, H, W] RGB on any device; returns them normalised and padded.
  ImageBatch preprocess(const std::vector<at::Tensor>& images) const;
  // task_tokens: OneFormer only, [B, task_seq_len] token ids (any integer or float dtype).
  ModelOutput forward(const at::Tensor& images, const at::Tensor& task_tokens = {},
                      Trace* trace = nullptr, StageTimes* times = nullptr) const;

 private:
  ModelConfig config_;
  at::Tensor pixel_mean_, pixel_std_;
  ResNet backbone_;
  PixelDecoder pixel_decoder_;
  MaskedTransformerDecoder decoder_;
  Mlp task_mlp_;
};

// Loads a checkpoint for `config` on `device` ("cpu" or "cuda"), reporting every missing,
// unexpected or mis-shaped tensor (Error(Config), exit 78).
std::unique_ptr<MaskFormer> load_maskformer(const ModelConfig& config,
                                            const std::string& weights_path,
                                            const at::Device& device = at::kCPU);

}  // namespace segx::model
