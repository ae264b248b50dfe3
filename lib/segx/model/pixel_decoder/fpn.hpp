// The original MaskFormer's BasePixelDecoder: a top-down FPN over res2..res5 (1x1 lateral and
// 3x3 output convolutions, GroupNorm or none, nearest upsampling) and a 3x3 mask_features
// convolution at stride 4. The coarsest level has no lateral: its output convolution reads res5
// itself, which TransformerEncoderPixelDecoder (transformer_encoder.hpp) replaces by an encoder.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "segx/model/pixel_decoder/pixel_decoder.hpp"

namespace segx::model {

class FpnPixelDecoder : public PixelDecoder {
 public:
  FpnPixelDecoder(const PixelDecoderConfig& config, const std::array<std::int64_t, 4>& channels,
                  Weights& w, const std::string& prefix = "sem_seg_head.pixel_decoder.");
  PixelDecoderOutput operator()(const BackboneFeatures& features,
                                Trace* trace = nullptr) const override;

 protected:
  // For subclasses: the coarsest output convolution reads `coarsest_in` channels (upstream's
  // layer_4, rebuilt by TransformerEncoderPixelDecoder over its encoder's conv_dim channels).
  FpnPixelDecoder(const PixelDecoderConfig& config, const std::array<std::int64_t, 4>& channels,
                  std::int64_t coarsest_in, Weights& w, const std::string& prefix);
  // The output convolution of res5's level over `coarsest` ("pixel_decoder.fpn.output_conv0"),
  // then the top-down path through res4..res2 and mask_features.
  PixelDecoderOutput top_down(const at::Tensor& coarsest, const BackboneFeatures& features,
                              Trace* trace) const;

 private:
  // Top-down order (res5 first), as upstream keeps them: lateral_[0] is empty (res5 has none).
  std::vector<Conv2d> lateral_, output_;
  Conv2d mask_features_;
};

std::unique_ptr<PixelDecoder> build_fpn_pixel_decoder(const ModelConfig& config,
                                                      const std::array<std::int64_t, 4>& channels,
                                                      Weights& weights, const std::string& prefix);

}  // namespace segx::model
