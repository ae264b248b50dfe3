// MaskFormer.forward in inference mode (mask_former_model.py, sem_seg_head of
// mask_former_head.py).
#include "segx/model/maskformer.hpp"

#include <chrono>

#include "segx/core/error.hpp"

namespace segx::model {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The backbone level ("res2".."res5" -> 0..3) the decoder reads; -1 for "transformer_encoder".
int in_feature_level(const std::string& name) {
  if (name == "transformer_encoder") return -1;
  return name[3] - '2';
}

// What MaskFormerHead gives TransformerPredictor as in_channels.
std::int64_t predictor_in_channels(const ModelConfig& c, const std::array<std::int64_t, 4>& ch) {
  const int level = in_feature_level(c.decoder.transformer_in_feature);
  return level < 0 ? c.pixel_decoder.conv_dim : ch[static_cast<std::size_t>(level)];
}

}  // namespace

MaskFormer::MaskFormer(const ModelConfig& c, Weights& w, const at::Tensor& class_embeddings)
    : SegmentationModel(c, w),
      pixel_decoder_(build_pixel_decoder(c, backbone_->channels(), w)),
      in_feature_(in_feature_level(c.decoder.transformer_in_feature)),
      predictor_(c, predictor_in_channels(c, backbone_->channels()), w, class_embeddings) {}

ModelOutput MaskFormer::forward(const at::Tensor& images, const at::Tensor& /*task_tokens*/,
                                Trace* trace, StageTimes* times) const {
  record(trace, "input.normalized", images);
  auto t0 = std::chrono::steady_clock::now();
  auto features = (*backbone_)(images, trace);
  if (times) times->backbone = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  auto pd = (*pixel_decoder_)(features, trace);
  if (times) times->pixel_decoder = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  const auto& x = in_feature_ < 0 ? pd.transformer_encoder_features
                                  : features[static_cast<std::size_t>(in_feature_)];
  if (!x.defined())  // the config rules keep this from happening
    fail(ErrorKind::Internal, "decoder.transformer_in_feature: the pixel decoder has no encoder");
  ModelOutput out;
  out.all = predictor_(x, pd.mask_features, trace);
  out.pred_logits = out.all.logits.back();
  out.pred_masks = out.all.masks.back();
  if (times) times->decoder = seconds_since(t0);
  return out;
}

}  // namespace segx::model
