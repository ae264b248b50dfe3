// MSDeformAttn, operation for operation as Mask2Former's ms_deform_attn.py (the sampling as its
// pure-PyTorch ms_deform_attn_core_pytorch, so it runs on CPU and GPU alike).
#include "segx/model/pixel_decoder/ms_deform_attn.hpp"

#include <ATen/core/grad_mode.h>

#include "segx/model/init.hpp"

namespace segx::model {

at::Tensor ms_deform_attn_core(const at::Tensor& value, const SpatialShapes& shapes,
                               const at::Tensor& loc, const at::Tensor& weights) {
  const auto n = value.size(0), m = value.size(2), d = value.size(3);
  const auto lq = loc.size(1), l = loc.size(3), p = loc.size(4);
  auto grids = 2 * loc - 1;
  std::vector<at::Tensor> sampled;
  std::int64_t start = 0;
  for (std::size_t lid = 0; lid < shapes.size(); ++lid) {
    const auto [h, w] = shapes[lid];
    auto v = value.narrow(1, start, h * w).flatten(2).transpose(1, 2).reshape({n * m, d, h, w});
    start += h * w;
    auto g = grids.select(3, static_cast<std::int64_t>(lid)).transpose(1, 2).flatten(0, 1);
    // bilinear, zeros padding, align_corners=False  ->  [N*M, D, Lq, P]
    sampled.push_back(at::grid_sampler(v, g, 0, 0, false));
  }
  auto a = weights.transpose(1, 2).reshape({n * m, 1, lq, l * p});
  auto out = (at::stack(sampled, -2).flatten(-2) * a).sum(-1).view({n, m * d, lq});
  return out.transpose(1, 2).contiguous();
}

MSDeformAttn::MSDeformAttn(Weights& w, const std::string& prefix, std::int64_t dim,
                           std::int64_t levels_, std::int64_t heads_, std::int64_t points_)
    : heads(heads_), levels(levels_), points(points_) {
  sampling_offsets = Linear(w, prefix + "sampling_offsets.", dim, heads * levels * points * 2);
  attention_weights = Linear(w, prefix + "attention_weights.", dim, heads * levels * points);
  value_proj = Linear(w, prefix + "value_proj.", dim, dim);
  output_proj = Linear(w, prefix + "output_proj.", dim, dim);
  if (w.is_scratch()) {
    at::NoGradGuard no_grad;
    sampling_offsets.bias.copy_(sampling_offsets_ring(heads, levels, points));
  }
}

namespace {

// Where the one-pass CPU sampling applies: float32 CPU tensors that need no gradient.
bool sample_on_cpu(const at::Tensor& value, const at::Tensor& offsets, const at::Tensor& weights) {
  const bool differentiable =
      at::GradMode::is_enabled() &&
      (value.requires_grad() || offsets.requires_grad() || weights.requires_grad());
  const bool all_float = value.scalar_type() == at::kFloat && offsets.scalar_type() == at::kFloat &&
                         weights.scalar_type() == at::kFloat;
  return value.is_cpu() && all_float && !differentiable;
}

}  // namespace

at::Tensor MSDeformAttn::operator()(const at::Tensor& query, const at::Tensor& ref,
                                    const at::Tensor& input, const SpatialShapes& shapes,
                                    Trace* trace, const std::string& tag) const {
  const auto n = query.size(0), lq = query.size(1), lin = input.size(1), c = input.size(2);
  auto value = value_proj(input).view({n, lin, heads, c / heads});
  auto offsets = sampling_offsets(query).view({n, lq, heads, levels, points, 2});
  auto aw = at::softmax(attention_weights(query).view({n, lq, heads, levels * points}), -1)
                .view({n, lq, heads, levels, points});
  // Upstream's sampling locations: reference point + offset / (level width, level height).
  auto locations = [&] {
    std::vector<float> norm;
    for (const auto& [h, w] : shapes) {
      norm.push_back(static_cast<float>(w));
      norm.push_back(static_cast<float>(h));
    }
    auto normalizer = at::tensor(norm, query.options()).view({1, 1, 1, levels, 1, 2});
    return ref.view({n, lq, 1, levels, 1, 2}) + offsets / normalizer;
  };
  // The one-pass sampling computes each location itself (the same float operations), which
  // saves a broadcast over [N, Lq, M, L, P, 2] that cost more than the sampling.
  const bool on_cpu = sample_on_cpu(value, offsets, aw);
  auto out = on_cpu ? ms_deform_attn_sample_cpu(value, shapes, ref, offsets, aw)
                    : ms_deform_attn_core(value, shapes, locations(), aw);
  record(trace, tag + "value", value);
  if (trace) record(trace, tag + "sampling_locations", locations());
  record(trace, tag + "attention_weights", aw);
  record(trace, tag + "output", out);
  return output_proj(out);
}

}  // namespace segx::model
