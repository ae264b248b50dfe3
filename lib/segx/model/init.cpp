// Initialisation rules by parameter name (Mask2Former / detectron2 from-scratch training).
#include "segx/model/init.hpp"

#include <cmath>

namespace segx::model {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}
bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

at::Tensor uniform(at::IntArrayRef shape, double bound, at::Generator& g) {
  return at::empty(shape, at::kFloat).uniform_(-bound, bound, g);
}

// fan_in / fan_out as torch.nn.init._calculate_fan_in_and_fan_out.
std::pair<double, double> fans(at::IntArrayRef shape) {
  double receptive = 1;
  for (std::size_t i = 2; i < shape.size(); ++i) receptive *= static_cast<double>(shape[i]);
  const double in = shape.size() > 1 ? static_cast<double>(shape[1]) * receptive : 1;
  const double out = static_cast<double>(shape[0]) * receptive;
  return {in, out};
}

at::Tensor xavier_uniform(at::IntArrayRef shape, at::Generator& g) {
  auto [in, out] = fans(shape);
  return uniform(shape, std::sqrt(6.0 / (in + out)), g);
}

// timm's trunc_normal_(std): N(0, std) cut at +-2 (absolute bounds, so at std 0.02 the cut never
// bites; the clamp only keeps the bounds).
at::Tensor trunc_normal(at::IntArrayRef shape, double std, at::Generator& g) {
  return (at::randn(shape, g, at::kFloat) * std).clamp_(-2, 2);
}

// PyTorch's default for nn.Linear and nn.Conv2d weights: kaiming_uniform_(a=sqrt(5)), i.e.
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
at::Tensor torch_default(at::IntArrayRef shape, at::Generator& g) {
  return uniform(shape, 1.0 / std::sqrt(fans(shape).first), g);
}

// The Swin Transformer's tensors under Swin's init: its linears, relative position bias tables
// and absolute position embedding. (The Swin authors' _init_weights: trunc_normal_(std=0.02) for
// nn.Linear. D2SwinTransformer defines it inside init_weights without applying it, and nothing
// calls init_weights, so detectron2 leaves the linears at PyTorch's default; segx follows the
// Swin authors, whose from-scratch training this init is for.)
bool swin_trunc_normal(const std::string& name) {
  return starts_with(name, "backbone.layers.") || ends_with(name, "absolute_pos_embed");
}

// Tensors left at PyTorch's default: Swin's patch embedding convolution and all of OneFormer's
// ConvNeXt (whose convnext.py, unlike the ConvNeXt authors' file, applies no init).
bool torch_default_init(const std::string& name) {
  return starts_with(name, "backbone.patch_embed.") ||
         starts_with(name, "backbone.downsample_layers.") || starts_with(name, "backbone.stages.");
}

// MSDeformAttn._reset_parameters: each head's points start on a ring around the reference point,
// the p-th point p+1 pixels away, in the head's direction.
}  // namespace

at::Tensor sampling_offsets_ring(std::int64_t heads, std::int64_t levels, std::int64_t points) {
  auto out = at::empty({heads, levels, points, 2}, at::kFloat);
  auto a = out.accessor<float, 4>();
  for (std::int64_t m = 0; m < heads; ++m) {
    const float theta = static_cast<float>(m) * (2.0f * static_cast<float>(M_PI) / heads);
    float x = std::cos(theta), y = std::sin(theta);
    const float scale = std::max(std::abs(x), std::abs(y));
    x /= scale;
    y /= scale;
    for (std::int64_t l = 0; l < levels; ++l)
      for (std::int64_t p = 0; p < points; ++p) {
        a[m][l][p][0] = x * static_cast<float>(p + 1);
        a[m][l][p][1] = y * static_cast<float>(p + 1);
      }
  }
  return out.view({-1});
}

at::Tensor scratch_init(const std::string& name, at::IntArrayRef shape, at::Generator& g) {
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  if (ends_with(name, "running_var")) return at::ones(shape, opts);
  if (ends_with(name, "running_mean")) return at::zeros(shape, opts);
  if (ends_with(name, "logit_scale")) return at::full(shape, std::log(1 / 0.07), opts);
  // Deformable attention: offsets start on the ring, attention weights uniform.
  // (The offsets' bias needs the head count: MSDeformAttn sets it with sampling_offsets_ring.)
  if (contains(name, "sampling_offsets.")) return at::zeros(shape, opts);
  if (contains(name, "attention_weights.")) return at::zeros(shape, opts);
  if (shape.size() == 1) {
    // Norm weights 1 (GroupNorm, LayerNorm, FrozenBN); every bias 0, also where upstream leaves
    // PyTorch's default U(+-1/sqrt(fan_in)) (ConvNeXt, Swin's patch embedding). ConvNeXt's layer
    // scale gamma: its constructor sets LSIT.
    if (ends_with(name, "weight")) return at::ones(shape, opts);
    return at::zeros(shape, opts);
  }
  if (swin_trunc_normal(name)) return trunc_normal(shape, 0.02, g);
  if (torch_default_init(name)) return torch_default(shape, g);
  // Embeddings (nn.Embedding and the encoder's level_embed): N(0, 1).
  if (ends_with(name, "query_feat.weight") || ends_with(name, "query_embed.weight") ||
      ends_with(name, "level_embed.weight") || ends_with(name, "level_embed") ||
      ends_with(name, "background_embed") || name == "task_embed.weight")
    return at::randn(shape, g, opts);
  if (shape.size() == 4) {
    auto [in, out] = fans(shape);
    // c2_msra_fill: kaiming_normal_(mode="fan_out", nonlinearity="relu").
    if (name.rfind("backbone.", 0) == 0) return at::randn(shape, g, opts) * std::sqrt(2.0 / out);
    // MSDeformAttnPixelDecoder's input projections (input_proj.N.0): xavier_uniform_(gain=1);
    // MaskFormer's TransformerEncoderPixelDecoder.input_proj is c2_xavier_filled below.
    if (contains(name, "pixel_decoder.input_proj.") &&
        !ends_with(name, "pixel_decoder.input_proj.weight"))
      return xavier_uniform(shape, g);
    // c2_xavier_fill: kaiming_uniform_(a=1).
    return uniform(shape, std::sqrt(3.0 / in), g);
  }
  // Linears inside the transformers: xavier_uniform_ (the modules' _reset_parameters).
  // (MaskFormer's DETR transformers: pixel_decoder.transformer., predictor.transformer.)
  if (contains(name, "pixel_decoder.transformer.") || contains(name, "transformer_") ||
      contains(name, "class_transformer.") || contains(name, "predictor.transformer."))
    return xavier_uniform(shape, g);
  // Other nn.Linear (class_embed, mask_embed, task_mlp, class_proj): PyTorch's default.
  return torch_default(shape, g);
}

}  // namespace segx::model
