// Mask2Former's MSDeformAttnPixelDecoder: multi-scale deformable-attention encoder over
// res3..res5, FPN lateral/output convolutions for the higher resolutions, and mask_features.
// Deformable attention is ms_deform_attn_core_pytorch (grid_sample), so it runs on CPU and GPU.
#pragma once
#include <array>
#include <utility>

#include "segx/model/config.hpp"
#include "segx/model/nn.hpp"

namespace segx::model {

using SpatialShapes = std::vector<std::pair<std::int64_t, std::int64_t>>;

// The official ms_deform_attn_core_pytorch: value [N, S, M, D], sampling_locations
// [N, Lq, M, L, P, 2] in [0, 1], attention_weights [N, Lq, M, L, P] -> [N, Lq, M*D].
at::Tensor ms_deform_attn_core(const at::Tensor& value, const SpatialShapes& shapes,
                               const at::Tensor& sampling_locations,
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

struct PixelDecoderOutput {
  at::Tensor mask_features;                  // [B, mask_dim, H/4, W/4]
  at::Tensor transformer_encoder_features;   // lowest resolution level
  std::vector<at::Tensor> multi_scale_features;  // 3 levels, low to high resolution
};

class PixelDecoder {
 public:
  PixelDecoder(const PixelDecoderConfig& config, const std::array<std::int64_t, 4>& channels,
               Weights& w, const std::string& prefix = "sem_seg_head.pixel_decoder.");
  PixelDecoderOutput operator()(const std::array<at::Tensor, 4>& features,
                                Trace* trace = nullptr) const;

 private:
  struct EncoderLayer {
    MSDeformAttn attn;
    LayerNorm norm1, norm2;
    Linear linear1, linear2;
  };
  PixelDecoderConfig config_;
  std::vector<int> transformer_levels_;  // backbone indices (0 = res2), low to high resolution
  std::vector<Conv2d> input_proj_;       // per transformer level, low to high resolution
  at::Tensor level_embed_;
  std::vector<EncoderLayer> layers_;
  std::vector<int> fpn_levels_;  // backbone indices, low to high resolution
  std::vector<Conv2d> lateral_, output_;
  Conv2d mask_features_;
};

}  // namespace segx::model
