// The pixel decoder interface and the one table that names every pixel decoder (detectron2's
// SEM_SEG_HEADS_REGISTRY, chosen by MODEL.SEM_SEG_HEAD.PIXEL_DECODER_NAME upstream): a new pixel
// decoder is one file under lib/segx/model/pixel_decoder/ and one row in registry.cpp.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "segx/model/backbone/backbone.hpp"
#include "segx/model/config.hpp"
#include "segx/model/nn.hpp"

namespace segx::model {

struct PixelDecoderOutput {
  at::Tensor mask_features;                      // [B, mask_dim, H/4, W/4]
  at::Tensor transformer_encoder_features;       // the encoder's output (undefined: none)
  std::vector<at::Tensor> multi_scale_features;  // low to high resolution (may be empty)
};

class PixelDecoder {
 public:
  virtual ~PixelDecoder() = default;
  // Records its intermediates in `trace` ("pixel_decoder.*", as the reference fixtures name
  // them).
  virtual PixelDecoderOutput operator()(const BackboneFeatures& features,
                                        Trace* trace = nullptr) const = 0;
};

struct PixelDecoderEntry {
  const char* name;         // the model config's pixel_decoder.name
  const char* detectron2;   // MODEL.SEM_SEG_HEAD.PIXEL_DECODER_NAME upstream
  const char* description;  // for segx-config(5) and the README model table
  std::unique_ptr<PixelDecoder> (*build)(const ModelConfig& config,
                                         const std::array<std::int64_t, 4>& channels,
                                         Weights& weights, const std::string& prefix);
};

// Every pixel decoder segx builds, in table order.
const std::vector<PixelDecoderEntry>& pixel_decoder_registry();
// The pixel decoder named by config.pixel_decoder.name over backbone channels res2..res5;
// parameters under `prefix`.
std::unique_ptr<PixelDecoder> build_pixel_decoder(
    const ModelConfig& config, const std::array<std::int64_t, 4>& channels, Weights& weights,
    const std::string& prefix = "sem_seg_head.pixel_decoder.");

}  // namespace segx::model
