// Meta-architecture: preprocessing as detectron2's ImageList.from_tensors, forward as
// MaskFormer.forward / OneFormer.forward in inference mode.
#include "segx/model/maskformer.hpp"

#include <chrono>

#include "segx/core/error.hpp"

namespace segx::model {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

MaskFormer::MaskFormer(const ModelConfig& c, Weights& w, const at::Tensor& class_embeddings)
    : config_(c),
      backbone_(c.resnet, w),
      pixel_decoder_(c.pixel_decoder, backbone_.channels(), w),
      decoder_(c, c.pixel_decoder.conv_dim, w, class_embeddings) {
  auto opts = at::TensorOptions().dtype(at::kFloat).device(w.device());
  pixel_mean_ = at::tensor(std::vector<float>(c.pixel_mean.begin(), c.pixel_mean.end()))
                    .to(opts).view({3, 1, 1});
  pixel_std_ = at::tensor(std::vector<float>(c.pixel_std.begin(), c.pixel_std.end()))
                   .to(opts).view({3, 1, 1});
  if (c.is_oneformer())
    task_mlp_ = Mlp(w, "task_mlp.", c.oneformer.task_seq_len, c.decoder.hidden_dim,
                    c.decoder.hidden_dim, 2);
}

ImageBatch MaskFormer::preprocess(const std::vector<at::Tensor>& images) const {
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
  batch.tensor = at::zeros({static_cast<std::int64_t>(images.size()), 3, h, w},
                           pixel_mean_.options());
  for (std::size_t i = 0; i < images.size(); ++i) {
    auto x = (images[i].to(pixel_mean_.device()).to(at::kFloat) - pixel_mean_) / pixel_std_;
    batch.tensor[static_cast<std::int64_t>(i)]
        .narrow(1, 0, images[i].size(1))
        .narrow(2, 0, images[i].size(2))
        .copy_(x);
  }
  return batch;
}

ModelOutput MaskFormer::forward(const at::Tensor& images, const at::Tensor& task_tokens,
                                Trace* trace, StageTimes* times) const {
  record(trace, "input.normalized", images);
  at::Tensor task;
  if (config_.is_oneformer()) {
    if (!task_tokens.defined() || task_tokens.size(0) != images.size(0))
      fail(ErrorKind::Internal, "OneFormer needs one task token row per image");
    auto tokens = task_tokens.to(pixel_mean_.device()).to(at::kFloat);
    record(trace, "task.tokens", tokens);
    task = task_mlp_(tokens);
    record(trace, "task.mlp_out", task);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto features = backbone_(images, trace);
  if (times) times->backbone = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  auto pd = pixel_decoder_(features, trace);
  if (times) times->pixel_decoder = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  ModelOutput out;
  out.all = decoder_(pd.multi_scale_features, pd.mask_features, task, trace);
  out.pred_logits = out.all.logits.back();
  out.pred_masks = out.all.masks.back();
  if (times) times->decoder = seconds_since(t0);
  return out;
}

std::unique_ptr<MaskFormer> load_maskformer(const ModelConfig& config,
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
  auto model = std::make_unique<MaskFormer>(config, w, embeddings);
  w.finish();
  return model;
}

}  // namespace segx::model
