// Mask2Former's MSDeformAttnPixelDecoder: multi-scale deformable-attention encoder over
// res3..res5, FPN lateral/output convolutions for the higher resolutions, and mask_features.
#pragma once
#include <array>
#include <memory>

#include "segx/model/pixel_decoder/ms_deform_attn.hpp"
#include "segx/model/pixel_decoder/pixel_decoder.hpp"

namespace segx::model {

class MSDeformAttnPixelDecoder : public PixelDecoder {
 public:
  MSDeformAttnPixelDecoder(const PixelDecoderConfig& config,
                           const std::array<std::int64_t, 4>& channels, Weights& w,
                           const std::string& prefix = "sem_seg_head.pixel_decoder.");
  PixelDecoderOutput operator()(const BackboneFeatures& features,
                                Trace* trace = nullptr) const override;

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

std::unique_ptr<PixelDecoder> build_msdeformattn_pixel_decoder(
    const ModelConfig& config, const std::array<std::int64_t, 4>& channels, Weights& weights,
    const std::string& prefix);

}  // namespace segx::model
