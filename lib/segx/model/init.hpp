// From-scratch initialisation of the model's parameters by their detectron2 names, following
// the upstream constructors: c2_msra_fill for backbone convolutions, c2_xavier_fill for the
// pixel decoder's and predictor's convolutions, xavier_uniform for transformer linears, the
// deformable attention's own offsets grid, N(0, 1) embeddings, unit norm weights, zero biases;
// trunc_normal(0.02) for Swin's linears, bias tables and position embedding, PyTorch's default for
// Swin's patch embedding and OneFormer's ConvNeXt.
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace segx::model {

// A float CPU tensor of `shape` for parameter `name`, drawn from `generator`.
at::Tensor scratch_init(const std::string& name, at::IntArrayRef shape, at::Generator& generator);

// MSDeformAttn's initial sampling_offsets bias for heads x levels x points (flattened).
at::Tensor sampling_offsets_ring(std::int64_t heads, std::int64_t levels, std::int64_t points);

}  // namespace segx::model
