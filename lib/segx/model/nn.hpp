// Building blocks of the model (LibTorch; internal to lib/segx/model and lib/segx/infer):
// weights taken by detectron2 parameter name, convolutions, norms, attention, MLPs, the sine
// position embedding, and the trace that records intermediates for the parity tests.
#pragma once
#include <ATen/ATen.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "segx/io/safetensors_torch.hpp"

namespace segx::model {

// Intermediate tensors by the names the reference fixtures use (null: not recorded).
using Trace = std::map<std::string, at::Tensor>;
inline void record(Trace* trace, const std::string& name, const at::Tensor& t) {
  if (trace) (*trace)[name] = t.detach().clone();
}

// One tensor handed to the model: parameters are trained, buffers (FrozenBN statistics) not.
struct NamedTensor {
  std::string name;
  at::Tensor tensor;
  bool trainable = true;
};

// Hands out parameters by name while the model is built, collecting every missing,
// mis-shaped and (at finish()) unexpected tensor so that one error lists them all. Every tensor
// handed out is recorded, so that a trainer can collect the model's parameters by their
// detectron2 names (named_parameters()) and write them back (named_tensors()).
class Weights {
 public:
  Weights(io::TensorMap tensors, std::string source);
  // Random parameters (benchmarks, tests): every take() succeeds with seeded values.
  static Weights random(std::uint64_t seed);
  // From-scratch training initialisation (init.hpp: detectron2/Mask2Former rules by name),
  // seeded, independent of any global generator.
  static Weights scratch(std::uint64_t seed);

  // A parameter (requires_grad when set_trainable(true) was called).
  at::Tensor take(const std::string& name, at::IntArrayRef shape);
  // A buffer: loaded and saved like a parameter, never trained.
  at::Tensor take_buffer(const std::string& name, at::IntArrayRef shape);
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  bool is_scratch() const { return scratch_; }
  // Parameters taken from now on require gradients.
  void set_trainable(bool trainable) { trainable_ = trainable; }
  // Every tensor taken, in the order the model took them.
  const std::vector<NamedTensor>& named_tensors() const { return taken_list_; }
  // The trainable ones.
  std::vector<NamedTensor> named_parameters() const;
  // Error(Config) listing problems; training-only tensors (criterion.*, text encoder) are
  // ignored.
  void finish();
  const std::string& source() const { return source_; }
  // Device the taken parameters are placed on.
  void set_device(const at::Device& device) { device_ = device; }
  const at::Device& device() const { return device_; }

 private:
  at::Tensor take_cpu(const std::string& name, at::IntArrayRef shape);
  at::Tensor take_as(const std::string& name, at::IntArrayRef shape, bool trainable);
  io::TensorMap tensors_;
  std::string source_;
  bool random_ = false, scratch_ = false, trainable_ = false;
  at::Generator generator_;
  std::vector<NamedTensor> taken_list_;
  at::Device device_ = at::kCPU;
  std::set<std::string> taken_;
  std::vector<std::string> missing_, misshaped_;
};

struct Linear {
  at::Tensor weight, bias;
  Linear() = default;
  Linear(Weights& w, const std::string& prefix, std::int64_t in, std::int64_t out,
         bool with_bias = true);
  at::Tensor operator()(const at::Tensor& x) const { return at::linear(x, weight, bias); }
};

struct LayerNorm {
  at::Tensor weight, bias;
  LayerNorm() = default;
  LayerNorm(Weights& w, const std::string& prefix, std::int64_t dim);
  at::Tensor operator()(const at::Tensor& x) const {
    return at::layer_norm(x, {weight.size(0)}, weight, bias, 1e-5);
  }
};

// detectron2 Conv2d: convolution, optional norm (FrozenBN or GroupNorm), optional ReLU.
struct Conv2d {
  enum class Norm { None, FrozenBN, GroupNorm };
  at::Tensor weight, bias, gn_weight, gn_bias, bn_scale, bn_shift;
  std::int64_t stride = 1, padding = 0, dilation = 1, groups = 1;
  std::int64_t gn_groups = 32;  // detectron2's get_norm("GN"): GroupNorm(32, C)
  bool relu = false;
  Norm norm = Norm::None;
  Conv2d() = default;
  Conv2d(Weights& w, const std::string& prefix, std::int64_t in, std::int64_t out,
         std::int64_t kernel, Norm norm, bool with_bias, std::int64_t stride = 1,
         std::int64_t padding = 0, std::int64_t dilation = 1, std::int64_t groups = 1);
  at::Tensor operator()(const at::Tensor& x) const;
};

// nn.MultiheadAttention (batch-first here: [B, L, C]); mask: bool [B, Lq, Lk], true = blocked.
struct MultiheadAttention {
  at::Tensor in_weight, in_bias;
  Linear out;
  std::int64_t heads = 1;
  MultiheadAttention() = default;
  MultiheadAttention(Weights& w, const std::string& prefix, std::int64_t dim, std::int64_t heads);
  at::Tensor operator()(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                        const at::Tensor& mask = {}) const;
};

// Mask2Former MLP: Linear layers with ReLU between them.
struct Mlp {
  std::vector<Linear> layers;
  Mlp() = default;
  Mlp(Weights& w, const std::string& prefix, std::int64_t in, std::int64_t hidden,
      std::int64_t out, int num_layers);
  at::Tensor operator()(at::Tensor x) const;
};

// PositionEmbeddingSine(num_pos_feats, normalize=True) of Mask2Former for a B x H x W map:
// [B, 2*num_pos_feats, H, W].
at::Tensor position_embedding_sine(std::int64_t batch, std::int64_t h, std::int64_t w,
                                   std::int64_t num_pos_feats, const at::TensorOptions& options);

}  // namespace segx::model
