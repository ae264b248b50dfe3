// The original MaskFormer's TransformerEncoderPixelDecoder: BasePixelDecoder (fpn.hpp) whose
// coarsest level first runs a DETR transformer encoder over res5 (1x1 input projection, sine
// position embedding); the encoder's output is also what the transformer decoder reads when
// decoder.transformer_in_feature is "transformer_encoder".
#pragma once
#include <array>
#include <memory>
#include <string>

#include "segx/model/detr_transformer.hpp"
#include "segx/model/pixel_decoder/fpn.hpp"

namespace segx::model {

class TransformerEncoderPixelDecoder : public FpnPixelDecoder {
 public:
  TransformerEncoderPixelDecoder(const PixelDecoderConfig& config,
                                 const std::array<std::int64_t, 4>& channels, Weights& w,
                                 const std::string& prefix = "sem_seg_head.pixel_decoder.");
  PixelDecoderOutput operator()(const BackboneFeatures& features,
                                Trace* trace = nullptr) const override;

 private:
  Conv2d input_proj_;
  DetrEncoder encoder_;
};

std::unique_ptr<PixelDecoder> build_transformer_encoder_pixel_decoder(
    const ModelConfig& config, const std::array<std::int64_t, 4>& channels, Weights& weights,
    const std::string& prefix);

}  // namespace segx::model
