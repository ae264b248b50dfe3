// The pixel decoder table: one row per pixel decoder, chosen by pixel_decoder.name.
#include "segx/core/error.hpp"
#include "segx/model/pixel_decoder/msdeformattn.hpp"
#include "segx/model/pixel_decoder/pixel_decoder.hpp"

namespace segx::model {

const std::vector<PixelDecoderEntry>& pixel_decoder_registry() {
  static const std::vector<PixelDecoderEntry> table = {
      {"msdeformattn", "MSDeformAttnPixelDecoder",
       "Mask2Former's multi-scale deformable-attention encoder with an FPN (Mask2Former, "
       "OneFormer)",
       &build_msdeformattn_pixel_decoder},
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
