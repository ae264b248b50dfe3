// The backbone interface and the one table that names every backbone (as detectron2's
// BACKBONE_REGISTRY and timm's model table do): a new backbone is one file under
// lib/segx/model/backbone/ and one row in registry.cpp. The checkpoint importers read the same
// table.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "segx/model/config.hpp"
#include "segx/model/nn.hpp"

namespace segx::model {

// res2..res5 (strides 4, 8, 16, 32), as detectron2 backbones return them.
using BackboneFeatures = std::array<at::Tensor, 4>;

class Backbone {
 public:
  virtual ~Backbone() = default;
  // Records its intermediates in `trace` by the official module names ("backbone.res2", ...).
  virtual BackboneFeatures operator()(const at::Tensor& images, Trace* trace) const = 0;
  // Output channels of res2..res5.
  virtual std::array<std::int64_t, 4> channels() const = 0;
  // The input size must be a multiple of this (detectron2's Backbone.size_divisibility; 0: any).
  virtual std::int64_t size_divisibility() const { return 0; }
  // Training mode turns on stochastic depth where upstream has it (off: inference).
  void set_training(bool training) { training_ = training; }
  bool training() const { return training_; }

 private:
  bool training_ = false;
};

struct BackboneEntry {
  const char* name;         // the model config's "backbone" value
  const char* detectron2;   // MODEL.BACKBONE.NAME upstream
  const char* description;  // for segx-config(5) and the README model table
  std::unique_ptr<Backbone> (*build)(const ModelConfig& config, Weights& weights,
                                     const std::string& prefix);
};

// Every backbone segx builds, in table order.
const std::vector<BackboneEntry>& backbone_registry();
// The backbone named by config.backbone; parameters under `prefix` ("backbone.").
std::unique_ptr<Backbone> build_backbone(const ModelConfig& config, Weights& weights,
                                         const std::string& prefix = "backbone.");

// Stochastic depth (timm's drop_path): in training, zeroes whole samples of a residual branch
// with probability `rate` and scales the rest by 1/(1 - rate); identity otherwise.
at::Tensor drop_path(const at::Tensor& x, double rate, bool training);

}  // namespace segx::model
