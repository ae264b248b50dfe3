// Preprocessing shared by every model, and the choice of model by architecture.
#include "segx/model/model.hpp"

#include "segx/core/error.hpp"
#include "segx/model/mask2former.hpp"
#include "segx/model/maskformer.hpp"

namespace segx::model {

SegmentationModel::SegmentationModel(const ModelConfig& c, Weights& weights)
    : config_(c), backbone_(build_backbone(c, weights)) {
  auto opts = at::TensorOptions().dtype(at::kFloat).device(weights.device());
  pixel_mean_ = at::tensor(std::vector<float>(c.pixel_mean.begin(), c.pixel_mean.end()))
                    .to(opts)
                    .view({3, 1, 1});
  pixel_std_ = at::tensor(std::vector<float>(c.pixel_std.begin(), c.pixel_std.end()))
                   .to(opts)
                   .view({3, 1, 1});
}

ImageBatch SegmentationModel::preprocess(const std::vector<at::Tensor>& images) const {
  if (images.empty()) fail(ErrorKind::Internal, "preprocess: no images");
  ImageBatch batch;
  std::int64_t h = 0, w = 0;
  for (const auto& im : images) {
    if (im.dim() != 3 || im.size(0) != 3)
      fail(ErrorKind::Internal, "preprocess: expected a [3, H, W] image");
    batch.sizes.push_back({im.size(1), im.size(2)});
    h = std::max(h, im.size(1));
    w = std::max(w, im.size(2));
  }
  const std::int64_t d = config_.size_divisibility;
  if (d > 1) {
    h = (h + d - 1) / d * d;
    w = (w + d - 1) / d * d;
  }
  batch.tensor =
      at::zeros({static_cast<std::int64_t>(images.size()), 3, h, w}, pixel_mean_.options());
  for (std::size_t i = 0; i < images.size(); ++i) {
    auto x = (images[i].to(pixel_mean_.device()).to(at::kFloat) - pixel_mean_) / pixel_std_;
    batch.tensor[static_cast<std::int64_t>(i)]
        .narrow(1, 0, images[i].size(1))
        .narrow(2, 0, images[i].size(2))
        .copy_(x);
  }
  return batch;
}

std::unique_ptr<SegmentationModel> build_model(const ModelConfig& config, Weights& weights,
                                               const at::Tensor& class_embeddings) {
  if (config.architecture == "mask2former" || config.architecture == "oneformer")
    return std::make_unique<Mask2Former>(config, weights, class_embeddings);
  if (config.architecture == "maskformer")
    return std::make_unique<MaskFormer>(config, weights, class_embeddings);
  fail(ErrorKind::Config, "model config: architecture '{}' is not one segx builds",
       config.architecture);
}

std::unique_ptr<SegmentationModel> load_model(const ModelConfig& config,
                                              const std::string& weights_path,
                                              const at::Device& device) {
  Weights w(io::load_tensors(weights_path), weights_path);
  w.set_device(device);
  at::Tensor embeddings;
  if (config.classifier.type == "embedding" && !config.classifier.embeddings.empty()) {
    auto map = io::load_tensors(config.classifier.embeddings);
    // `segx vocab embed` writes "class_embeddings"; "embeddings" is accepted too.
    auto it = map.find("class_embeddings");
    if (it == map.end()) it = map.find("embeddings");
    if (it == map.end())
      fail(ErrorKind::Config, "'{}': no tensor 'class_embeddings' (class-name embeddings)",
           config.classifier.embeddings);
    embeddings = it->second.to(device);
  }
  auto model = build_model(config, w, embeddings);
  w.finish();
  return model;
}

}  // namespace segx::model
