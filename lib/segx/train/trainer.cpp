// The training loop: model from scratch or from weights, AdamW param groups as Mask2Former's
// build_optimizer, deterministic steps, checkpoints and resume.
#include "segx/train/trainer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/nn/module.h>
#include <torch/nn/utils/clip_grad.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/io/stream.hpp"
#include "segx/train/co_training.hpp"
#include "segx/train/mixed_precision.hpp"
#include "segx/train/oneformer_training.hpp"

namespace segx::train {
namespace fs = std::filesystem;

std::atomic<int> Trainer::stop_signal_{0};

namespace {

// The model's tensors as a torch::nn::Module (parameters and buffers), for the Checkpointer.
// Module names may not contain dots: detectron2 names are stored with "__" in their place.
class NamedTensorModule : public torch::nn::Module {
 public:
  explicit NamedTensorModule(const std::vector<model::NamedTensor>& tensors) {
    for (const auto& t : tensors) {
      std::string name = t.name;
      for (std::size_t p = name.find('.'); p != std::string::npos; p = name.find('.', p + 2))
        name.replace(p, 1, "__");
      if (t.trainable)
        register_parameter(name, t.tensor, true);
      else
        register_buffer(name, t.tensor);
    }
  }
};

bool starts_with(const std::string& s, const char* p) {
  return s.rfind(p, 0) == 0;
}
bool ends_with(const std::string& s, const std::string& x) {
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

// Parameters of normalisation layers (GroupNorm, LayerNorm), by their detectron2 names.
bool is_norm(const std::string& name) {
  auto module = name.substr(0, name.rfind('.'));
  auto last = module.substr(module.rfind('.') + 1);
  // OneFormer's text encoder names its LayerNorms ln_1, ln_2, ln_final.
  if (starts_with(last, "norm") || starts_with(last, "ln_") || last == "decoder_norm") return true;
  // MSDeformAttnPixelDecoder.input_proj.N = Sequential(Conv2d, GroupNorm).
  return module.find("pixel_decoder.input_proj.") != std::string::npos && last == "1";
}

// nn.Embedding weights (Mask2Former's decoder queries and level embedding, OneFormer's token
// embedding and prompt context, and the learned task embedding).
bool is_embedding(const std::string& name) {
  return ends_with(name, "query_feat.weight") || ends_with(name, "query_embed.weight") ||
         ends_with(name, "predictor.level_embed.weight") ||
         name == "text_encoder.token_embedding.weight" || name == "prompt_ctx.weight" ||
         name == "task_embed.weight";
}

// A 64-bit key per (seed, iteration, slot) for the image's point-sampling generator.
std::uint64_t image_seed(std::uint64_t seed, std::int64_t iteration, std::uint64_t slot) {
  auto mix = [](std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  return mix(mix(mix(seed) ^ static_cast<std::uint64_t>(iteration)) ^ slot);
}

}  // namespace

Trainer::Trainer(TrainConfig config, TrainClasses classes, std::vector<TrainDataset> datasets,
                 TrainerOptions options, DistributedContext& dist)
    : config_(std::move(config)),
      options_(std::move(options)),
      dist_(dist),
      classes_(std::move(classes)),
      datasets_(std::move(datasets)) {
  if (options_.device == "cuda") {
    if (!at::hasCUDA()) fail(ErrorKind::Unavailable, "--device cuda: no CUDA device available");
    device_ = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(dist_.local_rank()));
  } else if (options_.device != "cpu") {
    fail(ErrorKind::Usage, "unknown device '{}' (cpu or cuda)", options_.device);
  }
  model_config_ = resolve_model_config(config_, classes_);
  chunks_ = options_.chunks > 0 ? options_.chunks : at::get_num_threads();
  if (device_.is_cuda()) chunks_ = 1;
  if (model_config_.is_oneformer()) {
    oneformer_ = std::make_unique<OneFormerTraining>(config_, model_config_, device_, dist_);
    if (oneformer_->trains_text())
      add_loss([this](const StepContext& c) {
        return std::map<std::string, torch::Tensor>{
            {"loss_contrastive",
             oneformer_->contrastive_loss(*c.batch, *c.output, c.global_batch)}};
      });
  }
  if (config_.weights.empty()) {
    weights_ = std::make_unique<model::Weights>(model::Weights::scratch(config_.seed));
  } else {
    weights_ = std::make_unique<model::Weights>(io::load_tensors(config_.weights), config_.weights);
  }
  weights_->set_device(device_);
  weights_->set_trainable(true);
  auto embeddings = load_class_embeddings(model_config_, config_, classes_);
  if (embeddings.embeddings.defined())  // a copy beside model_config.json, for segx infer
    model_config_.classifier.embeddings = "class_embeddings.safetensors";
  const fs::path tokenizer = config_.text_encoder.tokenizer;
  if (model_config_.is_oneformer())  // a copy beside model_config.json too, for segx infer
    model_config_.oneformer.tokenizer = tokenizer.filename().string();
  model_ = model::build_model(
      model_config_, *weights_,
      embeddings.embeddings.defined() ? embeddings.embeddings.to(device_) : at::Tensor());
  weights_->finish();
  model_->set_training(true);
  module_ = std::make_shared<NamedTensorModule>(all_tensors());
  build_optimizer();
  config_.criterion = criterion_options(config_, model_config_);
  criterion_ = std::make_unique<SetCriterion>(config_.criterion);
  const auto& s = config_.solver;
  schedule_.base_lr = s.base_lr;
  schedule_.max_iter = s.max_iter;
  schedule_.power = s.poly_power;
  schedule_.warmup_iters = s.warmup_iters;
  schedule_.warmup_factor = s.warmup_factor;

  if (dist_.is_main()) {
    output_lock_ = std::make_unique<io::OutputDirLock>(options_.output_dir);
    io::prepare_output_dir(options_.output_dir, options_.resume);
    io::write_file_atomic((output_dir() / "model_config.json").string(),
                          model::model_config_to_json(model_config_));
    if (!config_.effective_json.empty())
      io::write_file_atomic((output_dir() / "train_config.json").string(), config_.effective_json);
    if (embeddings.embeddings.defined())
      io::save_tensors((output_dir() / model_config_.classifier.embeddings).string(),
                       {{"class_embeddings", embeddings.embeddings},
                        {"class_ids", torch::tensor(classes_.category_ids, torch::kLong)}},
                       {{"format", "pt"}, {"source", embeddings.file}});
    if (model_config_.is_oneformer())
      io::write_file_atomic((output_dir() / model_config_.oneformer.tokenizer).string(),
                            io::read_all(tokenizer.string()), /*binary=*/true);
  }
  checkpointer_ = std::make_unique<Checkpointer>(output_dir(), s.keep_last);
  if (options_.resume) {
    if (auto latest = checkpointer_->latest()) {
      iteration_ = Checkpointer::load(*latest, *module_, *optimizer_).iteration;
      log::info("resuming from '{}' at iteration {}", latest->string(), iteration_);
    } else {
      log::info("--resume: no checkpoint in '{}', starting from iteration 0",
                output_dir().string());
    }
  }
  // Every process starts from rank 0's weights (they agree already when seeded alike).
  std::vector<torch::Tensor> all;
  for (const auto& t : all_tensors()) all.push_back(t.tensor.detach());
  dist_.broadcast_from_main(all);
  if (dist_.is_main())
    metrics_ = std::make_unique<std::ofstream>(output_dir() / "metrics.jsonl", std::ios::app);
}

Trainer::~Trainer() = default;

at::Tensor Trainer::task_tokens(Task task) const {
  return oneformer_ ? oneformer_->task_tokens(task).to(device_) : at::Tensor();
}

std::vector<model::NamedTensor> Trainer::all_tensors() const {
  auto all = weights_->named_tensors();
  if (oneformer_)
    all.insert(all.end(), oneformer_->named_tensors().begin(), oneformer_->named_tensors().end());
  return all;
}

void Trainer::build_optimizer() {
  const auto& s = config_.solver;
  struct Group {
    double multiplier, decay;
    std::vector<torch::Tensor> params;
  };
  std::vector<Group> groups;
  std::set<std::string> untrained;
  if (oneformer_ && !oneformer_->trains_text())
    for (const auto& t : oneformer_->named_tensors()) untrained.insert(t.name);
  for (const auto& p : all_tensors()) {
    if (!p.trainable || untrained.count(p.name)) continue;
    const double mult = starts_with(p.name, "backbone.") ? s.backbone_multiplier : 1.0;
    const double decay = is_norm(p.name)        ? s.weight_decay_norm
                         : is_embedding(p.name) ? s.weight_decay_embed
                                                : s.weight_decay;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.multiplier == mult && g.decay == decay;
    });
    if (it == groups.end()) it = groups.insert(groups.end(), Group{mult, decay, {}});
    it->params.push_back(p.tensor);
  }
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  for (auto& g : groups) {
    param_groups.emplace_back(
        g.params, std::make_unique<torch::optim::AdamWOptions>(
                      torch::optim::AdamWOptions(s.base_lr * g.multiplier).weight_decay(g.decay)));
    group_lr_multiplier_.push_back(g.multiplier);
  }
  for (auto& g : param_groups)
    for (auto& p : g.params()) params_.push_back(p);
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      std::move(param_groups), torch::optim::AdamWOptions(s.base_lr).weight_decay(s.weight_decay));
}

void Trainer::set_learning_rate() {
  lr_ = schedule_.lr_at(static_cast<long>(iteration_));
  auto& groups = optimizer_->param_groups();
  for (std::size_t i = 0; i < groups.size(); ++i)
    static_cast<torch::optim::AdamWOptions&>(groups[i].options()).lr(lr_ * group_lr_multiplier_[i]);
}

void Trainer::request_stop(int signal) {
  stop_signal_.store(signal);
}
int Trainer::stop_signal() {
  return stop_signal_.load();
}

bool Trainer::should_stop() {
  double stop = stop_signal_.load() != 0 ? 1 : 0;
  // Every process stops at the same iteration, whichever of them got the signal.
  if (dist_.world_size() > 1) stop = dist_.all_reduce_sum(stop);
  return stop > 0;
}

void Trainer::write_metrics(const std::string& json_object) {
  if (!metrics_) return;
  *metrics_ << json_object << '\n';
  metrics_->flush();
  if (!*metrics_)
    fail(ErrorKind::IoError, "cannot write '{}'", (output_dir() / "metrics.jsonl").string());
}

struct Trainer::ChunkResult {
  LossTerms losses;
  std::vector<torch::Tensor> grads;
  std::exception_ptr error;
};

bool Trainer::merges_classes(const TrainBatch& batch, std::size_t image) const {
  return config_.criterion.semantic_merge && image < batch.tasks.size() &&
         batch.tasks[image] == Task::Semantic;
}

void Trainer::run_chunk(const TrainBatch& batch, const StepContext& step, double num_masks,
                        double class_normalizer, ChunkResult& result) {
  auto images = batch.images.to(device_).to(at::kFloat);
  auto mean = at::tensor(std::vector<float>(model_config_.pixel_mean.begin(),
                                            model_config_.pixel_mean.end()))
                  .to(device_)
                  .view({1, 3, 1, 1});
  auto stdv =
      at::tensor(std::vector<float>(model_config_.pixel_std.begin(), model_config_.pixel_std.end()))
          .to(device_)
          .view({1, 3, 1, 1});
  images = (images - mean) / stdv;
  at::Tensor task_tokens;
  if (oneformer_) task_tokens = oneformer_->task_tokens(batch).to(device_);
  model::ModelOutput output;
  {
    CudaAutocast autocast(device_.is_cuda() && config_.solver.amp);
    output = model_->forward(images, task_tokens);
  }
  to_float32(output);

  LayerPredictions final_layer{output.pred_logits, output.pred_masks};
  std::vector<LayerPredictions> aux;
  if (config_.deep_supervision)
    for (std::size_t i = 0; i + 1 < output.all.logits.size(); ++i)
      aux.push_back({output.all.logits[i], output.all.masks[i]});
  if (logits_transform_) {
    final_layer.class_logits = logits_transform_(batch, final_layer.class_logits);
    for (auto& layer : aux) layer.class_logits = logits_transform_(batch, layer.class_logits);
  }
  std::vector<InstanceTargets> targets;
  for (std::size_t i = 0; i < batch.targets.size(); ++i) {
    const auto& t = batch.targets[i];
    InstanceTargets d = t;  // boxes-only images carry boxes instead of masks
    d.merge_classes = merges_classes(batch, i);
    d.labels = t.labels.to(device_);
    if (t.masks.defined()) d.masks = t.masks.to(device_);
    if (t.boxes.defined()) d.boxes = t.boxes.to(device_);
    if (t.unlabeled.defined()) d.unlabeled = t.unlabeled.to(device_);
    targets.push_back(std::move(d));
  }
  ImageGenerators generators;
  for (auto slot : batch.slots)
    generators.push_back(
        at::make_generator<at::CPUGeneratorImpl>(image_seed(config_.seed, batch.iteration, slot)));
  LossTerms& losses = result.losses;
  losses = (*criterion_)(final_layer, aux, targets, num_masks, &generators, class_normalizer);
  StepContext ctx = step;
  ctx.batch = &batch;
  ctx.output = &output;
  ctx.losses = &losses;
  for (const auto& extra : extra_losses_)
    for (auto& [name, value] : extra(ctx)) {
      losses.terms[name] = value;
      losses.total = losses.total + value;
    }
  result.grads = torch::autograd::grad({losses.total}, params_, {}, false, false, true);
  for (std::size_t i = 0; i < params_.size(); ++i)
    if (!result.grads[i].defined()) result.grads[i] = torch::zeros_like(params_[i]);
  for (auto& [name, value] : losses.terms) value = value.detach();
  losses.total = losses.total.detach();
}

void Trainer::run_step(StepContext& ctx) {
  const auto& batch = *ctx.batch;
  // The normalisers of the whole batch over every chunk and process: Mask2Former divides the
  // mask losses by the mean target count over processes; the class loss likewise here (by its
  // weights' sum), so that summed and averaged gradients are the whole batch's.
  const auto queries = static_cast<double>(model_config_.decoder.num_queries);
  double masks = 0, class_weight = 0;
  for (std::size_t i = 0; i < batch.targets.size(); ++i) {
    const double n = static_cast<double>(batch.targets[i].labels.size(0));
    masks += n;
    if (merges_classes(batch, i)) continue;  // no query of theirs is classified
    const double matched = std::min(n, queries);
    class_weight += matched + config_.criterion.no_object_weight * (queries - matched);
  }
  const double world = dist_.world_size();
  const double num_masks = std::max(dist_.all_reduce_sum(masks) / world, 1.0);
  const double class_normalizer = dist_.all_reduce_sum(class_weight) / world;
  ctx.global_batch = config_.solver.ims_per_batch;

  const int local = static_cast<int>(batch.images.size(0));
  const int chunks = std::max(1, std::min(chunks_, local));
  std::vector<ChunkResult> results(static_cast<std::size_t>(chunks));
  std::vector<TrainBatch> parts;
  for (int c = 0; c < chunks; ++c) {
    const auto [first, count] = rank_slice(local, c, chunks);
    parts.push_back(slice_batch(batch, first, count));
  }
  auto run = [&](int c) {
    try {
      run_chunk(parts[static_cast<std::size_t>(c)], ctx, num_masks, class_normalizer,
                results[static_cast<std::size_t>(c)]);
    } catch (...) {
      results[static_cast<std::size_t>(c)].error = std::current_exception();
      if (oneformer_) oneformer_->abort_step();  // chunks waiting for this one's rows
    }
  };
  std::vector<std::thread> threads;
  for (int c = 1; c < chunks; ++c) threads.emplace_back(run, c);
  run(0);
  for (auto& t : threads) t.join();
  for (const auto& r : results)
    if (r.error) std::rethrow_exception(r.error);

  LossTerms& losses = *ctx.losses;
  losses = std::move(results[0].losses);
  for (std::size_t c = 1; c < results.size(); ++c) {
    for (const auto& [name, value] : results[c].losses.terms) losses.terms[name] += value;
    losses.total = losses.total + results[c].losses.total;
    const auto& more = results[c].losses.image_losses;  // chunks hold consecutive images
    losses.image_losses.insert(losses.image_losses.end(), more.begin(), more.end());
  }
  const double total = losses.total.item<double>();
  if (!std::isfinite(total)) {
    std::string culprit;
    for (const auto& [name, value] : losses.terms)
      if (!std::isfinite(value.item<double>())) {
        culprit = fmt::format(" ({} = {})", name, value.item<double>());
        break;
      }
    std::string last = "none was written";
    if (auto latest = checkpointer_->latest()) last = "'" + latest->string() + "' is intact";
    fail(ErrorKind::DataError, "loss is {} at iteration {}{}; stopped (the last checkpoint {})",
         total, batch.iteration, culprit, last);
  }
  std::vector<torch::Tensor> grads;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    auto g = results[0].grads[i];
    for (std::size_t c = 1; c < results.size(); ++c) g = g + results[c].grads[i];
    params_[i].mutable_grad() = g;
    grads.push_back(g);
  }
  dist_.all_reduce_mean(grads);
  if (config_.solver.clip_gradients > 0)
    torch::nn::utils::clip_grad_norm_(params_, config_.solver.clip_gradients);
  optimizer_->step();
}

TrainStatus Trainer::train() {
  const auto& s = config_.solver;
  const std::int64_t end =
      options_.stop_at > 0 ? std::min(options_.stop_at, s.max_iter) : s.max_iter;
  LoaderOptions lo;
  lo.batch_size = s.ims_per_batch;
  lo.rank = dist_.rank();
  lo.world_size = dist_.world_size();
  lo.seed = config_.seed;
  lo.jitter = config_.jitter;
  lo.workers = config_.workers;
  lo.prefetch = config_.prefetch;
  if (oneformer_) lo.num_text_queries = oneformer_->num_text_queries();
  lo.unlabeled_regions = config_.criterion.unlabeled_ignore > 0;
  lo.task_conditioned = oneformer_ != nullptr;
  if (s.ims_per_batch < dist_.world_size())
    fail(ErrorKind::Config, "'{}': solver.ims_per_batch {} is smaller than WORLD_SIZE {}",
         config_.source, s.ims_per_batch, dist_.world_size());
  DataLoader loader(datasets_, classes_.names, lo, iteration_);
  for (auto& h : hooks_) h->before_train(*this);
  TrainStatus status = TrainStatus::Finished;
  while (iteration_ < end) {
    const auto t0 = std::chrono::steady_clock::now();
    TrainBatch batch = loader.next();
    StepContext ctx;
    ctx.iteration = iteration_;
    ctx.batch = &batch;
    ctx.data_time = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    set_learning_rate();
    LossTerms losses;
    ctx.losses = &losses;
    run_step(ctx);
    ++iteration_;
    ctx.time = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto& h : hooks_) h->after_step(*this, ctx);
    if (iteration_ < end && should_stop()) {
      status = TrainStatus::Interrupted;
      break;
    }
  }
  if (status == TrainStatus::Finished && iteration_ < s.max_iter) status = TrainStatus::Stopped;
  // A checkpoint of where the run ends (unless the periodic one just wrote it).
  if (dist_.is_main() && iteration_ % s.checkpoint_period != 0) save_checkpoint();
  if (status == TrainStatus::Finished && dist_.is_main())
    save_weights((output_dir() / "model_final.safetensors").string());
  for (auto& h : hooks_) h->after_train(*this);
  return status;
}

fs::path Trainer::save_checkpoint() {
  if (!dist_.is_main()) return {};
  auto path = checkpointer_->save(*module_, *optimizer_, {iteration_});
  save_weights((output_dir() / "model_last.safetensors").string());
  return path;
}

void Trainer::save_weights(const std::string& file) const {
  io::TensorMap map;
  for (const auto& t : all_tensors()) map[t.name] = t.tensor.detach();
  io::save_tensors(file, map, {{"format", "pt"}, {"iteration", std::to_string(iteration_)}});
}

}  // namespace segx::train
