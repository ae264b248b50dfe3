// Predictor: model loading, batching, post-processing into plain arrays.
#include "segx/infer/predictor.hpp"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <filesystem>
#include <optional>

#include "segx/core/error.hpp"
#include "segx/infer/postprocess.hpp"
#include "segx/model/clip_tokenizer.hpp"
#include "segx/model/model.hpp"
#include "segx/model/oneformer_task.hpp"

namespace segx::infer {

struct Predictor::Impl {
  PredictorOptions options;
  model::ModelConfig config;
  std::unique_ptr<model::SegmentationModel> model;
  at::Tensor tokens;  // OneFormer task tokens [1, seq]
  at::Device device = at::kCPU;
};

Predictor::Predictor(const PredictorOptions& o) : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.options = o;
  if (o.task != "panoptic" && o.task != "instance" && o.task != "semantic")
    fail(ErrorKind::Usage, "unknown task '{}' (panoptic, instance or semantic)", o.task);
  if (o.device == "cuda") {
    if (!at::hasCUDA()) fail(ErrorKind::Unavailable, "--device cuda: no CUDA device available");
    m.device = at::Device(at::kCUDA);
  } else if (o.device != "cpu") {
    fail(ErrorKind::Usage, "unknown device '{}' (cpu or cuda)", o.device);
  }
  if (o.threads > 0) at::set_num_threads(o.threads);
  m.config = model::load_model_config(o.config);
  // Upstream MaskFormer has no instance inference; inventing one would give results no
  // reference checks.
  if (m.config.is_maskformer() && o.task == "instance")
    fail(ErrorKind::Usage,
         "--task instance: '{}' is a maskformer model, which predicts panoptic or semantic "
         "segmentation only",
         o.config);
  if (o.object_mask_threshold >= 0) m.config.test.object_mask_threshold = o.object_mask_threshold;
  if (o.overlap_threshold >= 0) m.config.test.overlap_threshold = o.overlap_threshold;
  const auto config_dir = std::filesystem::path(o.config).parent_path();
  auto beside_config = [&](const std::string& file) {
    std::filesystem::path p(file);
    return p.is_relative() ? (config_dir / p).string() : file;
  };
  if (m.config.classifier.type == "embedding" && !m.config.classifier.embeddings.empty())
    m.config.classifier.embeddings = beside_config(m.config.classifier.embeddings);
  // The tokenizer before the weights: a usage error should not wait for a large file to load.
  std::optional<model::ClipTokenizer> tokenizer;
  if (model::oneformer_task_needs_tokenizer(m.config)) {
    const auto& configured = m.config.oneformer.tokenizer;
    if (o.tokenizer.empty() && configured.empty())
      fail(ErrorKind::Usage,
           "'{}': a OneFormer model needs a tokenizer: pass --tokenizer "
           "bpe_simple_vocab_16e6.txt.gz (CLIP's BPE file) or set oneformer.tokenizer in the "
           "model config",
           o.config);
    tokenizer =
        model::ClipTokenizer::load(o.tokenizer.empty() ? beside_config(configured) : o.tokenizer);
  }
  c10::InferenceMode guard;
  m.model = model::load_model(m.config, o.weights, m.device);
  if (m.config.is_oneformer())
    m.tokens =
        at::tensor(model::oneformer_task_input(m.config, tokenizer ? &*tokenizer : nullptr, o.task),
                   at::kLong)
            .view({1, -1});
}

Predictor::~Predictor() = default;

std::vector<PredictedCategory> Predictor::categories() const {
  const auto& c = impl_->config;
  std::vector<PredictedCategory> out;
  for (int k = 0; k < c.num_classes; ++k) {
    const auto i = static_cast<std::size_t>(k);
    PredictedCategory p;
    p.id = i < c.category_ids.size() ? c.category_ids[i] : k;
    p.name = i < c.class_names.size() ? c.class_names[i] : "class_" + std::to_string(p.id);
    p.isthing = c.is_thing(k);
    out.push_back(std::move(p));
  }
  return out;
}

at::Tensor resize_for_test(const at::Tensor& image, const model::InferenceConfig& test) {
  if (test.min_size <= 0) return image;
  const auto h = image.size(1), w = image.size(2);
  // detectron2 ResizeShortestEdge.get_output_shape.
  double scale = static_cast<double>(test.min_size) / static_cast<double>(std::min(h, w));
  if (test.max_size > 0 && static_cast<double>(std::max(h, w)) * scale > test.max_size)
    scale = static_cast<double>(test.max_size) / static_cast<double>(std::max(h, w));
  const auto nh = static_cast<std::int64_t>(static_cast<double>(h) * scale + 0.5);
  const auto nw = static_cast<std::int64_t>(static_cast<double>(w) * scale + 0.5);
  if (nh == h && nw == w) return image;
  // PIL's antialiased bilinear filter, back to 8 bits as detectron2's ResizeTransform does.
  auto x = at::_upsample_bilinear2d_aa(image.unsqueeze(0).to(at::kFloat), {nh, nw}, false,
                                       c10::nullopt, c10::nullopt);
  return x.round_().clamp_(0, 255).to(at::kByte)[0];
}

std::vector<Prediction> Predictor::predict(const std::vector<RgbImage>& images) const {
  const auto& m = *impl_;
  c10::InferenceMode guard;
  std::vector<at::Tensor> tensors;
  for (const auto& im : images)
    tensors.push_back(resize_for_test(at::from_blob(const_cast<std::uint8_t*>(im.data.data()),
                                                    {im.height, im.width, 3}, at::kByte)
                                          .permute({2, 0, 1}),
                                      m.config.test));
  auto batch = m.model->preprocess(tensors);
  at::Tensor tokens;
  if (m.tokens.defined()) tokens = m.tokens.expand({batch.tensor.size(0), -1});
  auto out = m.model->forward(batch.tensor, tokens);
  auto o = postprocess_options(m.config);
  o.semantic_on = m.options.task == "semantic";
  o.panoptic_on = m.options.task == "panoptic";
  o.instance_on = m.options.task == "instance";
  const auto& cfg = m.config;
  auto dataset_id = [&](int c) {
    return cfg.category_ids.empty() ? c : cfg.category_ids[static_cast<std::size_t>(c)];
  };
  std::vector<Prediction> result;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto& im = images[i];
    auto r = postprocess(
        out.pred_logits[static_cast<std::int64_t>(i)], out.pred_masks[static_cast<std::int64_t>(i)],
        {batch.tensor.size(2), batch.tensor.size(3)}, batch.sizes[i], {im.height, im.width}, o);
    Prediction p;
    p.width = im.width;
    p.height = im.height;
    if (o.panoptic_on) {
      auto seg = r.panoptic.seg.to(at::kCPU).to(at::kInt).contiguous();
      p.panoptic.assign(seg.data_ptr<int>(), seg.data_ptr<int>() + seg.numel());
      auto counts = at::bincount(seg.flatten(), {},
                                 static_cast<std::int64_t>(r.panoptic.segments.size()) + 1);
      for (const auto& s : r.panoptic.segments)
        p.segments.push_back({s.id, dataset_id(s.category_id), s.isthing, s.score,
                              static_cast<std::uint64_t>(counts[s.id].item<std::int64_t>())});
    }
    if (o.semantic_on) {
      auto arg = std::get<1>(r.sem_seg.max(0)).to(at::kCPU).contiguous();
      p.semantic.reserve(static_cast<std::size_t>(arg.numel()));
      const auto* a = arg.data_ptr<std::int64_t>();
      for (std::int64_t k = 0; k < arg.numel(); ++k)
        p.semantic.push_back(static_cast<std::uint16_t>(dataset_id(static_cast<int>(a[k]))));
    }
    if (o.instance_on) {
      auto masks = r.instances.masks.to(at::kCPU).to(at::kByte).contiguous();
      for (std::int64_t k = 0; k < masks.size(0); ++k) {
        PredictedInstance ins;
        ins.category_id = dataset_id(static_cast<int>(r.instances.classes[k].item<std::int64_t>()));
        ins.score = r.instances.scores[k].item<float>();
        auto mk = masks[k];
        ins.mask.assign(mk.data_ptr<std::uint8_t>(), mk.data_ptr<std::uint8_t>() + mk.numel());
        p.instances.push_back(std::move(ins));
      }
    }
    result.push_back(std::move(p));
  }
  return result;
}

}  // namespace segx::infer
