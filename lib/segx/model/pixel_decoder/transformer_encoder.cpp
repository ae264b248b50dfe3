// TransformerEncoderPixelDecoder, operation for operation as MaskFormer's heads/pixel_decoder.py
// (its TransformerEncoderOnly is the DETR encoder of detr_transformer.hpp).
#include "segx/model/pixel_decoder/transformer_encoder.hpp"

namespace segx::model {

namespace {

DetrShape encoder_shape(const PixelDecoderConfig& c) {
  DetrShape s;
  s.dim = c.conv_dim;
  s.heads = c.transformer_nheads;
  s.dim_feedforward = c.transformer_dim_feedforward;
  s.pre_norm = c.transformer_pre_norm;
  return s;
}

}  // namespace

TransformerEncoderPixelDecoder::TransformerEncoderPixelDecoder(
    const PixelDecoderConfig& c, const std::array<std::int64_t, 4>& ch, Weights& w,
    const std::string& prefix)
    : FpnPixelDecoder(c, ch, c.conv_dim, w, prefix),
      input_proj_(w, prefix + "input_proj.", ch[3], c.conv_dim, 1, Conv2d::Norm::None, true),
      encoder_(w, prefix + "transformer.encoder.", encoder_shape(c), c.transformer_enc_layers) {}

PixelDecoderOutput TransformerEncoderPixelDecoder::operator()(const BackboneFeatures& features,
                                                              Trace* trace) const {
  const auto& x = features[3];
  const auto b = x.size(0), c = input_proj_.weight.size(0), h = x.size(2), w = x.size(3);
  auto src = input_proj_(x);
  auto pos = position_embedding_sine(b, h, w, c / 2, x.options());
  record(trace, "pixel_decoder.input_proj", src);
  record(trace, "pixel_decoder.pos", pos);
  auto memory = encoder_(src.flatten(2).transpose(1, 2), pos.flatten(2).transpose(1, 2), trace,
                         "pixel_decoder.encoder");
  auto encoded = memory.transpose(1, 2).reshape({b, c, h, w});
  record(trace, "pixel_decoder.transformer_encoder_features", encoded);
  auto out = top_down(encoded, features, trace);
  out.transformer_encoder_features = encoded;
  return out;
}

std::unique_ptr<PixelDecoder> build_transformer_encoder_pixel_decoder(
    const ModelConfig& config, const std::array<std::int64_t, 4>& channels, Weights& weights,
    const std::string& prefix) {
  return std::make_unique<TransformerEncoderPixelDecoder>(config.pixel_decoder, channels, weights,
                                                          prefix);
}

}  // namespace segx::model
