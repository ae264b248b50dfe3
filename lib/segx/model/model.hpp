// The segmentation models segx runs and trains, behind one interface: Mask2Former and OneFormer
// (mask2former.hpp) and the original MaskFormer, chosen by the model config's "architecture".
// LibTorch header: include only from model, infer, train and their tests.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "segx/model/backbone/backbone.hpp"
#include "segx/model/config.hpp"
#include "segx/model/nn.hpp"
#include "segx/model/transformer_decoder/predictions.hpp"

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

class SegmentationModel {
 public:
  // Builds the backbone of config.backbone from `weights` (parameters "backbone.*").
  SegmentationModel(const ModelConfig& config, Weights& weights);
  virtual ~SegmentationModel() = default;

  const ModelConfig& config() const { return config_; }
  // images: uint8 [3, H, W] RGB on any device; returns them normalised and padded as
  // detectron2's ImageList.from_tensors.
  ImageBatch preprocess(const std::vector<at::Tensor>& images) const;
  // task_tokens: OneFormer only, [B, task_seq_len] token ids (any integer or float dtype).
  virtual ModelOutput forward(const at::Tensor& images, const at::Tensor& task_tokens = {},
                              Trace* trace = nullptr, StageTimes* times = nullptr) const = 0;
  // Training mode: stochastic depth where the backbone has it (inference is the default).
  void set_training(bool training) { backbone_->set_training(training); }
  const Backbone& backbone() const { return *backbone_; }

 protected:
  ModelConfig config_;
  at::Tensor pixel_mean_, pixel_std_;
  std::unique_ptr<Backbone> backbone_;
};

// Builds the model of config.architecture taking every parameter from `weights` (call
// weights.finish() after). class_embeddings: [K, D] for an embedding classifier.
std::unique_ptr<SegmentationModel> build_model(const ModelConfig& config, Weights& weights,
                                               const at::Tensor& class_embeddings = {});

// Loads a checkpoint for `config` on `device` ("cpu" or "cuda"), reporting every missing,
// unexpected or mis-shaped tensor (Error(Config), exit 78).
std::unique_ptr<SegmentationModel> load_model(const ModelConfig& config,
                                              const std::string& weights_path,
                                              const at::Device& device = at::kCPU);

}  // namespace segx::model
