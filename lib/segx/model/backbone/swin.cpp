// Swin Transformer (D2SwinTransformer of Mask2Former's swin.py): the same operations in the same
// order as upstream, so that float32 results agree with it to rounding.
#include "segx/model/backbone/swin.hpp"

#include <fmt/format.h>

#include <cmath>

#include "segx/core/error.hpp"

namespace segx::model {
namespace {

// window_partition: [B, H, W, C] (H, W multiples of `window`) -> [B*windows, window, window, C].
at::Tensor window_partition(const at::Tensor& x, std::int64_t window) {
  const auto b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
  return x.view({b, h / window, window, w / window, window, c})
      .permute({0, 1, 3, 2, 4, 5})
      .contiguous()
      .view({-1, window, window, c});
}

// window_reverse: the inverse of window_partition for an h x w grid.
at::Tensor window_reverse(const at::Tensor& windows, std::int64_t window, std::int64_t h,
                          std::int64_t w) {
  const auto c = windows.size(3);
  return windows.view({-1, h / window, w / window, window, window, c})
      .permute({0, 1, 3, 2, 4, 5})
      .contiguous()
      .view({-1, h, w, c});
}

std::int64_t round_up(std::int64_t n, std::int64_t multiple) {
  return (n + multiple - 1) / multiple * multiple;
}

// The attention mask of the shifted blocks (BasicLayer.forward): after the cyclic shift, a window
// at the bottom or right edge holds tokens from up to three regions of the padded grid that were
// not neighbours; a query may attend only within its own region (-100 elsewhere, as upstream, not
// -inf). [windows, w*w, w*w].
at::Tensor shifted_window_mask(std::int64_t h, std::int64_t w, std::int64_t window,
                               std::int64_t shift, const at::Device& device) {
  const auto hp = round_up(h, window), wp = round_up(w, window);
  // Upstream's slices (0, -window), (-window, -shift), (-shift, None) along each side: regions
  // 0, 1, 2; the region of a token is 3 * row region + column region.
  auto regions = [&](std::int64_t n) {
    auto i = at::arange(n, at::TensorOptions().dtype(at::kLong).device(device));
    return (i >= n - window).to(at::kLong) + (i >= n - shift).to(at::kLong);
  };
  auto region = (regions(hp).view({hp, 1}) * 3 + regions(wp).view({1, wp})).to(at::kFloat);
  auto windows = window_partition(region.view({1, hp, wp, 1}), window).view({-1, window * window});
  auto differ = windows.unsqueeze(1) - windows.unsqueeze(2);
  return at::zeros_like(differ).masked_fill_(differ != 0, -100.0);
}

// WindowAttention's relative_position_index: for query token a and key token b of a window
// (row-major), the row of relative_position_bias_table for their offset (dy, dx).
at::Tensor relative_position_index(std::int64_t window) {
  const std::int64_t n = window * window, side = 2 * window - 1;
  auto index = at::empty({n * n}, at::kLong);
  auto* p = index.data_ptr<std::int64_t>();
  for (std::int64_t a = 0; a < n; ++a)
    for (std::int64_t b = 0; b < n; ++b) {
      const auto dy = a / window - b / window + window - 1;
      const auto dx = a % window - b % window + window - 1;
      p[a * n + b] = dy * side + dx;
    }
  return index;
}

// Stochastic depth per block: torch.linspace(0, rate, blocks) in float32, as upstream's dpr.
std::vector<double> drop_path_rates(double rate, std::int64_t blocks) {
  auto rates = at::linspace(0, rate, blocks, at::kFloat);
  std::vector<double> out;
  for (std::int64_t i = 0; i < blocks; ++i) out.push_back(rates[i].item<double>());
  return out;
}

SwinBlock make_block(Weights& w, const std::string& p, std::int64_t dim, const SwinConfig& c,
                     std::int64_t heads, bool shifted, double drop_path_rate) {
  SwinBlock b;
  b.heads = heads;
  b.window = c.window_size;
  b.shift = shifted ? c.window_size / 2 : 0;
  // qk_scale or head_dim ** -0.5 (0, like None, is falsy upstream).
  b.scale = c.qk_scale != 0 ? c.qk_scale : std::pow(static_cast<double>(dim / heads), -0.5);
  b.drop_path_rate = drop_path_rate;
  b.norm1 = LayerNorm(w, p + "norm1.", dim);
  const std::int64_t side = 2 * b.window - 1;
  b.bias_table = w.take(p + "attn.relative_position_bias_table", {side * side, heads});
  b.bias_index = relative_position_index(b.window);
  // Upstream keeps the index as a buffer, so official checkpoints carry it: take it (so that
  // it is not reported as unexpected) and check it is the one computed.
  const std::string index_name = p + "attn.relative_position_index";
  if (w.has(index_name)) {
    const auto n = b.window * b.window;
    auto stored = w.take_buffer(index_name, {n, n}).cpu().to(at::kLong).view({-1});
    if (!at::equal(stored, b.bias_index))
      fail(ErrorKind::Config, "'{}': {} is not Swin's relative position index for window {}",
           w.source(), index_name, b.window);
  }
  b.bias_index = b.bias_index.to(w.device());
  b.qkv = Linear(w, p + "attn.qkv.", dim, 3 * dim, c.qkv_bias);
  b.proj = Linear(w, p + "attn.proj.", dim, dim);
  b.norm2 = LayerNorm(w, p + "norm2.", dim);
  const auto hidden = static_cast<std::int64_t>(static_cast<double>(dim) * c.mlp_ratio);
  b.fc1 = Linear(w, p + "mlp.fc1.", dim, hidden);
  b.fc2 = Linear(w, p + "mlp.fc2.", hidden, dim);
  return b;
}

}  // namespace

at::Tensor SwinBlock::attention(const at::Tensor& x, const at::Tensor& mask) const {
  const auto bw = x.size(0), n = x.size(1), c = x.size(2);
  auto qkv_ = qkv(x).reshape({bw, n, 3, heads, c / heads}).permute({2, 0, 3, 1, 4});
  auto q = qkv_[0] * scale;
  auto attn = at::matmul(q, qkv_[1].transpose(-2, -1));  // [B*windows, heads, n, n]
  auto bias = bias_table.index_select(0, bias_index).view({n, n, -1}).permute({2, 0, 1});
  attn = attn + bias.contiguous().unsqueeze(0);
  if (mask.defined()) {
    const auto windows = mask.size(0);
    attn = attn.view({bw / windows, windows, heads, n, n}) + mask.unsqueeze(1).unsqueeze(0);
    attn = attn.view({-1, heads, n, n});
  }
  attn = at::softmax(attn, -1);
  return proj(at::matmul(attn, qkv_[2]).transpose(1, 2).reshape({bw, n, c}));
}

at::Tensor SwinBlock::operator()(const at::Tensor& x, std::int64_t h, std::int64_t w,
                                 const at::Tensor& mask, bool training) const {
  const auto b = x.size(0), c = x.size(2);
  // Upstream pads after norm1, so padded tokens are zeros that the unshifted windows attend to.
  auto y = norm1(x).view({b, h, w, c});
  const auto pad_r = (window - w % window) % window, pad_b = (window - h % window) % window;
  if (pad_r > 0 || pad_b > 0) y = at::constant_pad_nd(y, {0, 0, 0, pad_r, 0, pad_b});
  const auto hp = y.size(1), wp = y.size(2);
  if (shift > 0) y = at::roll(y, {-shift, -shift}, {1, 2});
  auto windows = window_partition(y, window).view({-1, window * window, c});
  windows = attention(windows, shift > 0 ? mask : at::Tensor());
  y = window_reverse(windows.view({-1, window, window, c}), window, hp, wp);
  if (shift > 0) y = at::roll(y, {shift, shift}, {1, 2});
  if (pad_r > 0 || pad_b > 0) y = y.slice(1, 0, h).slice(2, 0, w).contiguous();
  auto out = x + drop_path(y.view({b, h * w, c}), drop_path_rate, training);
  return out + drop_path(fc2(at::gelu(fc1(norm2(out)))), drop_path_rate, training);
}

at::Tensor PatchMerging::operator()(const at::Tensor& x, std::int64_t h, std::int64_t w) const {
  const auto b = x.size(0), c = x.size(2);
  auto y = x.reshape({b, h, w, c});
  if (h % 2 == 1 || w % 2 == 1) y = at::constant_pad_nd(y, {0, 0, 0, w % 2, 0, h % 2});
  auto every_other = [&](std::int64_t row, std::int64_t col) {
    return y.slice(1, row, c10::nullopt, 2).slice(2, col, c10::nullopt, 2);
  };
  // Upstream's order: (0, 0), (1, 0), (0, 1), (1, 1) as (row, column) offsets.
  y = at::cat({every_other(0, 0), every_other(1, 0), every_other(0, 1), every_other(1, 1)}, -1);
  return reduction(norm(y.view({b, -1, 4 * c})));
}

SwinTransformer::SwinTransformer(const SwinConfig& c, Weights& w, const std::string& prefix)
    : patch_size_(c.patch_size), window_(c.window_size), patch_norm_on_(c.patch_norm) {
  const std::int64_t dim = c.embed_dim;
  patch_proj_ = Conv2d(w, prefix + "patch_embed.proj.", 3, dim, c.patch_size, Conv2d::Norm::None,
                       true, c.patch_size);
  if (c.patch_norm) patch_norm_ = LayerNorm(w, prefix + "patch_embed.norm.", dim);
  if (c.ape) {
    const std::int64_t grid = c.pretrain_img_size / c.patch_size;
    absolute_pos_embed_ = w.take(prefix + "absolute_pos_embed", {1, dim, grid, grid});
  }
  std::int64_t blocks = 0;
  for (int d : c.depths) blocks += d;
  const auto rates = drop_path_rates(c.drop_path_rate, blocks);
  std::size_t block = 0;
  for (std::size_t s = 0; s < 4; ++s) {
    const std::int64_t channels = dim << s;
    for (int j = 0; j < c.depths[s]; ++j)
      stages_[s].push_back(make_block(w, fmt::format("{}layers.{}.blocks.{}.", prefix, s, j),
                                      channels, c, c.num_heads[s], j % 2 == 1, rates[block++]));
    if (s < 3) {
      const auto p = fmt::format("{}layers.{}.downsample.", prefix, s);
      merges_[s].norm = LayerNorm(w, p + "norm.", 4 * channels);
      merges_[s].reduction = Linear(w, p + "reduction.", 4 * channels, 2 * channels, false);
    }
    out_norms_[s] = LayerNorm(w, fmt::format("{}norm{}.", prefix, s), channels);
    channels_[s] = channels;
  }
}

at::Tensor SwinTransformer::embed(const at::Tensor& images, Trace* trace) const {
  // PatchEmbed pads the right and bottom to a multiple of the patch size.
  const auto pad_w = (patch_size_ - images.size(3) % patch_size_) % patch_size_;
  const auto pad_h = (patch_size_ - images.size(2) % patch_size_) % patch_size_;
  auto x = pad_w > 0 || pad_h > 0 ? at::constant_pad_nd(images, {0, pad_w, 0, pad_h}) : images;
  x = patch_proj_(x);
  const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  if (patch_norm_on_)
    x = patch_norm_(x.flatten(2).transpose(1, 2)).transpose(1, 2).view({b, c, h, w});
  record(trace, "backbone.patch_embed", x);
  if (absolute_pos_embed_.defined())
    x = x + at::upsample_bicubic2d(absolute_pos_embed_, {h, w}, false, c10::nullopt, c10::nullopt);
  return x;
}

BackboneFeatures SwinTransformer::operator()(const at::Tensor& images, Trace* trace) const {
  auto grid = embed(images, trace);
  std::int64_t h = grid.size(2), w = grid.size(3);
  auto x = grid.flatten(2).transpose(1, 2);  // [B, h*w, C]
  BackboneFeatures out;
  for (std::size_t s = 0; s < 4; ++s) {
    // One mask for the stage's shifted blocks, from its padded grid (as BasicLayer.forward).
    at::Tensor mask;
    if (stages_[s].size() > 1 && window_ / 2 > 0)
      mask = shifted_window_mask(h, w, window_, window_ / 2, images.device());
    for (std::size_t j = 0; j < stages_[s].size(); ++j) {
      x = stages_[s][j](x, h, w, mask, training());
      record(trace, fmt::format("backbone.layers.{}.blocks.{}", s, j), x);
    }
    // [B, C, H, W] in channels-last memory (the tokens as they are): the pixel decoder's
    // convolutions take that layout without a reorder, and flatten it back to tokens for free.
    out[s] = out_norms_[s](x).view({-1, h, w, channels_[s]}).permute({0, 3, 1, 2});
    record(trace, fmt::format("backbone.res{}", s + 2), out[s]);
    if (s < 3) {
      x = merges_[s](x, h, w);
      record(trace, fmt::format("backbone.layers.{}.downsample", s), x);
      h = (h + 1) / 2;
      w = (w + 1) / 2;
    }
  }
  return out;
}

std::unique_ptr<Backbone> build_swin(const ModelConfig& config, Weights& weights,
                                     const std::string& prefix) {
  return std::make_unique<SwinTransformer>(config.swin, weights, prefix);
}

}  // namespace segx::model
