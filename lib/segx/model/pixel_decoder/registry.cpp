// The pixel decoder table: one row per pixel decoder, chosen by pixel_decoder.name.
#include "segx/core/error.hpp"
#include "segx/model/pixel_decoder/fpn.hpp"
#include "segx/model/pixel_decoder/msdeformattn.hpp"
#include "segx/model/pixel_decoder/pixel_decoder.hpp"
#include "segx/model/pixel_decoder/transformer_encoder.hpp"

namespace segx::model {

const std::vector<PixelDecoderEntry>& pixel_decoder_registry() {
  static const std::vector<PixelDecoderEntry> table = {
      {"msdeformattn", "MSDeformAttnPixelDecoder",
       "Mask2Former's multi-scale deformable-attention encoder with an FPN (Mask2Former, "
       "OneFormer)",
       &build_msdeformattn_pixel_decoder},
      {"fpn", "BasePixelDecoder",
       "the original MaskFormer's FPN over res2..res5 (GroupNorm or none, nearest upsampling)",
       &build_fpn_pixel_decoder},
      {"transformer_encoder", "TransformerEncoderPixelDecoder",
       "the original MaskFormer's FPN whose res5 level first runs a DETR transformer encoder",
       &build_transformer_encoder_pixel_decoder},
  };
  return table;
}

std::unique_ptr<PixelDecoder> build_pixel_decoder(const ModelConfig& config,
                                                  const std::array<std::int64_t, 4>& channels,
                                                  Weights& weights, const std::string& prefix) {
  for (const auto& entry : pixel_decoder_registry())
    if (config.pixel_decoder.name == entry.name)
      return entry.build(config, channels, weights, prefix);
  fail(ErrorKind::Config, "model config: pixel_decoder.name '{}' is not one of segx's",
       config.pixel_decoder.name);
}

}  // namespace segx::model
