// The Swin Transformer backbone of Mask2Former, OneFormer and MaskFormer (D2SwinTransformer):
// patch embedding, four stages of shifted-window attention blocks joined by patch merging, and a
// layer norm per output. Parameter names as upstream: backbone.patch_embed.{proj,norm}.*,
// backbone.absolute_pos_embed, backbone.layers.i.blocks.j.{norm1,attn.qkv,attn.proj,
// attn.relative_position_bias_table,norm2,mlp.fc1,mlp.fc2}.*, backbone.layers.i.downsample.
// {norm,reduction}.*, backbone.normI.*.
#pragma once
#include "segx/model/backbone/backbone.hpp"

namespace segx::model {

// SwinTransformerBlock: (shifted) window attention with a relative position bias, then an MLP,
// each a residual branch under stochastic depth.
struct SwinBlock {
  LayerNorm norm1, norm2;
  Linear qkv, proj, fc1, fc2;
  at::Tensor bias_table;  // relative_position_bias_table [(2w-1)^2, heads]
  at::Tensor bias_index;  // [w^2 * w^2] rows of bias_table: upstream's relative_position_index
  std::int64_t heads = 1, window = 7, shift = 0;
  double scale = 1, drop_path_rate = 0;

  // x: [B, h*w, C] tokens of an h x w grid; mask: the stage's shifted-window mask (used when
  // shift > 0).
  at::Tensor operator()(const at::Tensor& x, std::int64_t h, std::int64_t w, const at::Tensor& mask,
                        bool training) const;
  // WindowAttention on [windows*B, w*w, C].
  at::Tensor attention(const at::Tensor& windows, const at::Tensor& mask) const;
};

// PatchMerging: each 2x2 neighbourhood concatenated (odd sides zero padded), layer norm, and a
// linear map 4C -> 2C.
struct PatchMerging {
  LayerNorm norm;
  Linear reduction;
  at::Tensor operator()(const at::Tensor& x, std::int64_t h, std::int64_t w) const;
};

class SwinTransformer : public Backbone {
 public:
  SwinTransformer(const SwinConfig& config, Weights& w, const std::string& prefix = "backbone.");
  // Records backbone.patch_embed, backbone.layers.i.blocks.j, backbone.layers.i.downsample and
  // backbone.res2..5 in the trace.
  BackboneFeatures operator()(const at::Tensor& x, Trace* trace = nullptr) const override;
  std::array<std::int64_t, 4> channels() const override { return channels_; }
  std::int64_t size_divisibility() const override { return 32; }

 private:
  // PatchEmbed (and the absolute position embedding): [B, C, H/p, W/p].
  at::Tensor embed(const at::Tensor& images, Trace* trace) const;

  Conv2d patch_proj_;
  LayerNorm patch_norm_;
  at::Tensor absolute_pos_embed_;  // [1, C, P, P] when ape
  std::array<std::vector<SwinBlock>, 4> stages_;
  std::array<PatchMerging, 3> merges_;
  std::array<LayerNorm, 4> out_norms_;
  std::array<std::int64_t, 4> channels_{};
  std::int64_t patch_size_ = 4, window_ = 7;
  bool patch_norm_on_ = true;
};

std::unique_ptr<Backbone> build_swin(const ModelConfig& config, Weights& weights,
                                     const std::string& prefix);

}  // namespace segx::model
