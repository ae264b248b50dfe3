// Building blocks: weights by name, conv/norm/attention/MLP, sine position embedding.
#include "segx/model/nn.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include <cmath>

#include "segx/core/error.hpp"
#include "segx/model/init.hpp"

namespace segx::model {
namespace {

// Training-only tensors that official checkpoints carry and inference does not use.
bool ignorable(const std::string& name) {
  for (const char* p : {"criterion.", "text_encoder.", "text_projector.", "prompt_ctx."})
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

std::string shape_text(at::IntArrayRef s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string list_some(const std::vector<std::string>& items) {
  std::string out;
  const std::size_t shown = std::min<std::size_t>(items.size(), 4);
  for (std::size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > shown) out += fmt::format(" (+{} more)", items.size() - shown);
  return out;
}

bool ends_with(const std::string& s, const char* suffix) {
  const std::string x(suffix);
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

at::Generator& random_generator(std::uint64_t seed, bool reset) {
  static at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(0);
  if (reset) gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return gen;
}

}  // namespace

Weights::Weights(io::TensorMap tensors, std::string source)
    : tensors_(std::move(tensors)), source_(std::move(source)) {}

Weights Weights::random(std::uint64_t seed) {
  Weights w({}, "<random>");
  w.random_ = true;
  random_generator(seed, true);
  return w;
}

Weights Weights::scratch(std::uint64_t seed) {
  Weights w({}, "<scratch>");
  w.scratch_ = true;
  w.generator_ = at::make_generator<at::CPUGeneratorImpl>(seed);
  return w;
}

at::Tensor Weights::take(const std::string& name, at::IntArrayRef shape) {
  return take_as(name, shape, true);
}

at::Tensor Weights::take_buffer(const std::string& name, at::IntArrayRef shape) {
  return take_as(name, shape, false);
}

at::Tensor Weights::take_as(const std::string& name, at::IntArrayRef shape, bool trainable) {
  auto t = take_cpu(name, shape).to(device_);
  // A leaf of its own: loaded tensors may share storage with the map they came from.
  if (trainable_ && trainable) t = t.detach().requires_grad_(true);
  taken_list_.push_back({name, t, trainable});
  return t;
}

std::vector<NamedTensor> Weights::named_parameters() const {
  std::vector<NamedTensor> out;
  for (const auto& t : taken_list_)
    if (t.trainable) out.push_back(t);
  return out;
}

at::Tensor Weights::take_cpu(const std::string& name, at::IntArrayRef shape) {
  taken_.insert(name);
  if (scratch_) return scratch_init(name, shape, generator_);
  if (random_) {
    auto opts = at::TensorOptions().dtype(at::kFloat);
    // Norm weights and variances 1, biases and means 0, other tensors scaled by fan-in so
    // that activations stay finite through deep stacks.
    if (ends_with(name, "running_var") || (shape.size() == 1 && ends_with(name, "weight")))
      return at::ones(shape, opts);
    if (ends_with(name, "bias") || ends_with(name, "running_mean")) return at::zeros(shape, opts);
    std::int64_t fan_in = 1;
    for (std::size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
    return at::randn(shape, random_generator(0, false), opts) / std::sqrt(double(fan_in));
  }
  auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    missing_.push_back(name);
    return at::zeros(shape, at::kFloat);
  }
  if (it->second.sizes() != shape) {
    misshaped_.push_back(fmt::format("{} {} (expected {})", name, shape_text(it->second.sizes()),
                                     shape_text(shape)));
    return at::zeros(shape, at::kFloat);
  }
  return it->second.to(at::kFloat).contiguous();
}

void Weights::finish() {
  std::vector<std::string> unexpected;
  for (const auto& [name, t] : tensors_)
    if (!taken_.count(name) && !ignorable(name)) unexpected.push_back(name);
  if (missing_.empty() && misshaped_.empty() && unexpected.empty()) {
    tensors_.clear();
    return;
  }
  std::string parts;
  if (!missing_.empty())
    parts += fmt::format("; {} missing: {}", missing_.size(), list_some(missing_));
  if (!misshaped_.empty())
    parts += fmt::format("; {} mis-shaped: {}", misshaped_.size(), list_some(misshaped_));
  if (!unexpected.empty())
    parts += fmt::format("; {} unexpected: {}", unexpected.size(), list_some(unexpected));
  fail(ErrorKind::Config, "'{}': weights do not match the model config{}", source_, parts);
}

Linear::Linear(Weights& w, const std::string& prefix, std::int64_t in, std::int64_t out,
               bool with_bias) {
  weight = w.take(prefix + "weight", {out, in});
  if (with_bias) bias = w.take(prefix + "bias", {out});
}

LayerNorm::LayerNorm(Weights& w, const std::string& prefix, std::int64_t dim) {
  weight = w.take(prefix + "weight", {dim});
  bias = w.take(prefix + "bias", {dim});
}

Conv2d::Conv2d(Weights& w, const std::string& prefix, std::int64_t in, std::int64_t out,
               std::int64_t kernel, Norm norm_kind, bool with_bias, std::int64_t stride_,
               std::int64_t padding_, std::int64_t dilation_, std::int64_t groups_)
    : stride(stride_), padding(padding_), dilation(dilation_), groups(groups_), norm(norm_kind) {
  weight = w.take(prefix + "weight", {out, in / groups, kernel, kernel});
  if (with_bias) bias = w.take(prefix + "bias", {out});
  if (norm == Norm::FrozenBN) {
    // FrozenBatchNorm2d (eps 1e-5) as an affine map applied after the convolution, computed
    // as upstream does. (Folding it into the weights reorders float rounding enough to drift
    // past 1e-4 by res5.)
    auto g = w.take_buffer(prefix + "norm.weight", {out});
    auto b = w.take_buffer(prefix + "norm.bias", {out});
    auto mean = w.take_buffer(prefix + "norm.running_mean", {out});
    auto var = w.take_buffer(prefix + "norm.running_var", {out});
    bn_scale = g * (var + 1e-5).rsqrt();
    bn_shift = (b - mean * bn_scale).view({1, -1, 1, 1});
    bn_scale = bn_scale.view({1, -1, 1, 1});
  } else if (norm == Norm::GroupNorm) {
    gn_weight = w.take(prefix + "norm.weight", {out});
    gn_bias = w.take(prefix + "norm.bias", {out});
  }
}

at::Tensor Conv2d::operator()(const at::Tensor& x) const {
  auto y = at::conv2d(x, weight, bias, {stride, stride}, {padding, padding}, {dilation, dilation},
                      groups);
  if (norm == Norm::GroupNorm) y = at::group_norm(y, gn_groups, gn_weight, gn_bias, 1e-5);
  // In place on the convolution's fresh output (which its backward does not keep): the same
  // arithmetic as y * scale + shift without two more activation-sized allocations. (Under
  // autocast y may be half precision, and y * scale promotes it to float32 as upstream does.)
  if (norm == Norm::FrozenBN && y.scalar_type() == bn_scale.scalar_type())
    y.mul_(bn_scale).add_(bn_shift);
  else if (norm == Norm::FrozenBN)
    y = y * bn_scale + bn_shift;
  if (relu) y.relu_();
  return y;
}

MultiheadAttention::MultiheadAttention(Weights& w, const std::string& prefix, std::int64_t dim,
                                       std::int64_t heads_)
    : heads(heads_) {
  in_weight = w.take(prefix + "in_proj_weight", {3 * dim, dim});
  in_bias = w.take(prefix + "in_proj_bias", {3 * dim});
  out = Linear(w, prefix + "out_proj.", dim, dim);
}

at::Tensor MultiheadAttention::operator()(const at::Tensor& q, const at::Tensor& k,
                                          const at::Tensor& v, const at::Tensor& mask) const {
  const auto b = q.size(0), lq = q.size(1), lk = k.size(1), c = q.size(2), d = c / heads;
  auto proj = [&](const at::Tensor& x, std::int64_t i, std::int64_t len) {
    return at::linear(x, in_weight.narrow(0, i * c, c), in_bias.narrow(0, i * c, c))
        .view({b, len, heads, d})
        .transpose(1, 2);
  };
  // As in F.multi_head_attention_forward: q scaled by 1/sqrt(head_dim) before q k^T.
  auto qh = proj(q, 0, lq) / std::sqrt(static_cast<double>(d));
  auto scores = at::matmul(qh, proj(k, 1, lk).transpose(-2, -1));  // [B, h, Lq, Lk]
  if (mask.defined())
    scores.masked_fill_(mask.unsqueeze(1), -std::numeric_limits<float>::infinity());
  auto attn = at::softmax(scores, -1);
  auto o = at::matmul(attn, proj(v, 2, lk)).transpose(1, 2).reshape({b, lq, c});
  return out(o);
}

Mlp::Mlp(Weights& w, const std::string& prefix, std::int64_t in, std::int64_t hidden,
         std::int64_t out, int num_layers) {
  for (int i = 0; i < num_layers; ++i) {
    const auto a = i == 0 ? in : hidden;
    const auto z = i == num_layers - 1 ? out : hidden;
    layers.emplace_back(w, fmt::format("{}layers.{}.", prefix, i), a, z);
  }
}

at::Tensor Mlp::operator()(at::Tensor x) const {
  for (std::size_t i = 0; i < layers.size(); ++i) {
    x = layers[i](x);
    if (i + 1 < layers.size()) x = x.relu();
  }
  return x;
}

at::Tensor position_embedding_sine(std::int64_t batch, std::int64_t h, std::int64_t w,
                                   std::int64_t npf, const at::TensorOptions& options) {
  // The same float32 operations as PositionEmbeddingSine.forward, so values match bit for bit;
  // but each half depends on one axis only (rows: y, columns: x), so its sines and cosines are
  // computed once per row or column and broadcast, not once per pixel.
  const double scale = 2 * M_PI, eps = 1e-6;
  auto opts = options.dtype(at::kFloat);
  auto dim_t = at::arange(npf, opts);
  dim_t = at::pow(10000, 2 * at::div(dim_t, 2, "floor") / static_cast<double>(npf));
  auto axis = [&](std::int64_t n) {       // [npf, n]: the features of positions 1..n of one axis
    auto e = at::arange(1, n + 1, opts);  // upstream's cumsum of the (all-ones) not_mask
    e = e / (e.narrow(0, n - 1, 1) + eps) * scale;
    auto p = e.unsqueeze(-1) / dim_t;
    auto every_other = [&](std::int64_t start) { return p.slice(1, start, c10::nullopt, 2); };
    return at::stack({every_other(0).sin(), every_other(1).cos()}, 2).flatten(1).t();
  };
  auto py = axis(h).view({1, npf, h, 1}).expand({batch, npf, h, w});
  auto px = axis(w).view({1, npf, 1, w}).expand({batch, npf, h, w});
  return at::cat({py, px}, 1);
}

}  // namespace segx::model
