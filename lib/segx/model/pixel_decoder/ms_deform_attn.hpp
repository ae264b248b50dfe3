// Multi-scale deformable attention (Deformable DETR's MSDeformAttn, as Mask2Former's
// ops/modules/ms_deform_attn.py): projections, sampling locations and attention weights, and the
// sampling itself (ms_deform_attn_core).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "segx/model/nn.hpp"

namespace segx::model {

using SpatialShapes = std::vector<std::pair<std::int64_t, std::int64_t>>;

// The sampling of MSDeformAttn as the official ms_deform_attn_core_pytorch (grid_sample per
// level; differentiable, any device): value [N, S, M, D], sampling_locations [N, Lq, M, L, P, 2]
// in [0, 1], attention_weights [N, Lq, M, L, P] -> [N, Lq, M*D].
at::Tensor ms_deform_attn_core(const at::Tensor& value, const SpatialShapes& shapes,
                               const at::Tensor& sampling_locations,
                               const at::Tensor& attention_weights);

// The same sums in one threaded pass (ms_deform_attn_cpu.cpp), for float32 CPU tensors without
// autograd, from reference_points [N, Lq, L, 2] and sampling_offsets [N, Lq, M, L, P, 2] (in
// pixels of each level), the locations computed on the fly as upstream computes them.
at::Tensor ms_deform_attn_sample_cpu(const at::Tensor& value, const SpatialShapes& shapes,
                                     const at::Tensor& reference_points,
                                     const at::Tensor& sampling_offsets,
                                     const at::Tensor& attention_weights);

struct MSDeformAttn {
  Linear sampling_offsets, attention_weights, value_proj, output_proj;
  std::int64_t heads = 8, levels = 3, points = 4;
  MSDeformAttn() = default;
  MSDeformAttn(Weights& w, const std::string& prefix, std::int64_t dim, std::int64_t levels,
               std::int64_t heads, std::int64_t points);
  // `tag` prefixes the trace names (value, sampling_locations, attention_weights, output).
  at::Tensor operator()(const at::Tensor& query, const at::Tensor& reference_points,
                        const at::Tensor& input, const SpatialShapes& shapes, Trace* trace,
                        const std::string& tag) const;
};

}  // namespace segx::model
