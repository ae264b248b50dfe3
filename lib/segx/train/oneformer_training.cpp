// OneFormer training: task tokens, text queries through the text encoder, contrastive loss.
#include "segx/train/oneformer_training.hpp"

#include <algorithm>
#include <filesystem>

#include "segx/core/error.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/model/oneformer_task.hpp"
#include "segx/train/contrastive_loss.hpp"

namespace segx::train {
namespace {

// Seeds the text encoder apart from the model's scratch generator (same config seed).
constexpr std::uint64_t kTextSeedSalt = 0x7465787400000000ull;  // "text"

TextEncoderConfig encoder_config(const TrainConfig& c, const model::ModelConfig& m,
                                 int vocab_size) {
  TextEncoderConfig e;
  e.context_length = c.text_encoder.context_length;
  e.width = c.text_encoder.width > 0 ? c.text_encoder.width : m.decoder.hidden_dim;
  e.layers = c.text_encoder.layers;
  e.vocab_size = vocab_size;
  e.proj_num_layers = c.text_encoder.proj_num_layers;
  e.n_ctx = c.text_encoder.n_ctx;
  e.hidden_dim = m.decoder.hidden_dim;
  if (e.n_ctx >= m.decoder.num_queries)
    fail(ErrorKind::Config, "'{}': text_encoder.n_ctx {} leaves no text queries of the {} queries",
         c.source, e.n_ctx, m.decoder.num_queries);
  try {
    validate(e);
  } catch (const Error& err) {
    fail(ErrorKind::Config, "'{}': {}", c.source, err.what());
  }
  return e;
}

bool is_text_side(const std::string& name) {
  for (const char* p : {"text_encoder.", "text_projector.", "prompt_ctx."})
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

model::ClipTokenizer load_tokenizer(const TrainConfig& c) {
  const auto& path = c.text_encoder.tokenizer;
  if (path.empty())
    fail(ErrorKind::Config,
         "'{}': training architecture \"oneformer\" needs text_encoder.tokenizer (CLIP's "
         "bpe_simple_vocab_16e6.txt.gz)",
         c.source);
  if (!std::filesystem::is_regular_file(path))
    fail(ErrorKind::Config, "'{}': text_encoder.tokenizer '{}' does not exist", c.source, path);
  try {
    return model::ClipTokenizer::load(path);
  } catch (const Error& err) {
    fail(ErrorKind::Config, "'{}': text_encoder.tokenizer: {}", c.source, err.what());
  }
}

// Fine-tuning: an upstream checkpoint carries the text side (a converted inference-only one may
// not: then it starts from scratch). What it carries must fit text_encoder exactly.
void take_from_checkpoint(io::TensorMap& tensors, const TrainConfig& c) {
  const auto checkpoint = io::load_tensors(c.weights);
  std::vector<std::string> unexpected, missing;
  for (const auto& [name, t] : checkpoint)
    if (is_text_side(name) && !tensors.count(name)) unexpected.push_back(name);
  const bool has_text = std::any_of(checkpoint.begin(), checkpoint.end(),
                                    [](const auto& kv) { return is_text_side(kv.first); });
  for (auto& [name, t] : tensors) {
    if (auto it = checkpoint.find(name); it != checkpoint.end())
      t = it->second;
    else if (has_text && is_text_side(name))
      missing.push_back(name);
  }
  if (!unexpected.empty() || !missing.empty())
    fail(ErrorKind::Config,
         "'{}': its text encoder does not fit text_encoder in '{}': {} missing{}, {} unexpected{}",
         c.weights, c.source, missing.size(), missing.empty() ? "" : " (" + missing.front() + ")",
         unexpected.size(), unexpected.empty() ? "" : " (" + unexpected.front() + ")");
}

}  // namespace

OneFormerTraining::OneFormerTraining(const TrainConfig& c, const model::ModelConfig& m,
                                     const at::Device& device, DistributedContext& dist)
    : dist_(dist), weight_(c.criterion.contrastive_weight), tokenizer_(load_tokenizer(c)) {
  const auto ec = encoder_config(c, m, tokenizer_.vocab_size());
  num_text_queries_ = m.decoder.num_queries - ec.n_ctx;
  context_length_ = ec.context_length;
  // The model's task input per Task value (the enum's order).
  for (Task t : {Task::Semantic, Task::Instance, Task::Panoptic})
    task_rows_.push_back(model::oneformer_task_input(m, &tokenizer_, task_name(t)));
  auto tensors = initial_text_encoder_parameters(ec, c.seed ^ kTextSeedSalt);
  tensors["criterion.logit_scale"] = initial_logit_scale(c.contrastive_temperature);
  std::string source = "<text encoder from scratch>";
  if (!c.weights.empty()) {
    take_from_checkpoint(tensors, c);
    source = c.weights;
  }
  weights_ = std::make_unique<model::Weights>(std::move(tensors), source);
  weights_->set_device(device);
  weights_->set_trainable(true);
  encoder_ = TextEncoder(ec, *weights_);
  logit_scale_ = weights_->take("criterion.logit_scale", {});
  weights_->finish();
  tensors_ = weights_->named_tensors();
}

at::Tensor OneFormerTraining::task_tokens(const TrainBatch& batch) const {
  const auto len = static_cast<std::int64_t>(task_rows_.front().size());
  auto out = at::empty({static_cast<std::int64_t>(batch.tasks.size()), len}, at::kLong);
  for (std::size_t i = 0; i < batch.tasks.size(); ++i) {
    const auto& row = task_rows_[static_cast<std::size_t>(batch.tasks[i])];
    std::copy(row.begin(), row.end(), out.data_ptr<std::int64_t>() + i * len);
  }
  return out;
}

at::Tensor OneFormerTraining::task_tokens(Task task) const {
  const auto& row = task_rows_[static_cast<std::size_t>(task)];
  return at::tensor(row, at::kLong).view({1, static_cast<std::int64_t>(row.size())});
}

OneFormerTraining::Rows OneFormerTraining::exchange(const TrainBatch& chunk,
                                                    const at::Tensor& image_rows,
                                                    const at::Tensor& text_rows, int global_batch) {
  const auto first = static_cast<std::int64_t>(chunk.slots.front());
  const auto count = image_rows.size(0);
  std::unique_lock<std::mutex> lock(mutex_);
  if (iteration_ != chunk.iteration) {  // the first chunk of a step
    iteration_ = chunk.iteration;
    deposited_ = 0;
    ready_ = aborted_ = false;
    rows_.images = at::zeros({global_batch, image_rows.size(1)}, image_rows.options());
    rows_.texts = at::zeros({global_batch, text_rows.size(1)}, text_rows.options());
  }
  rows_.images.narrow(0, first, count).copy_(image_rows.detach());
  rows_.texts.narrow(0, first, count).copy_(text_rows.detach());
  deposited_ += static_cast<int>(count);
  const int local = rank_slice(global_batch, dist_.rank(), dist_.world_size()).second;
  if (deposited_ == local) {
    if (dist_.world_size() > 1) {
      // All-gather as a sum of zero-padded rows (each process fills its own slots).
      dist_.all_reduce_mean({rows_.images, rows_.texts});
      rows_.images.mul_(dist_.world_size());
      rows_.texts.mul_(dist_.world_size());
    }
    ready_ = true;
    ready_cv_.notify_all();
  } else {
    ready_cv_.wait(lock, [&] { return ready_ || aborted_; });
  }
  return ready_ ? rows_ : Rows{};
}

void OneFormerTraining::abort_step() {
  std::lock_guard<std::mutex> lock(mutex_);
  aborted_ = true;
  ready_cv_.notify_all();
}

at::Tensor OneFormerTraining::contrastive_loss(const TrainBatch& chunk,
                                               const model::ModelOutput& output, int global_batch) {
  const auto& queries = output.all.queries;
  auto tokens = tokenize_texts(tokenizer_, chunk.texts, context_length_);
  auto image_rows = normalized_rows(queries);
  auto text_rows = normalized_rows(encoder_(tokens).to(queries.device()));
  const auto rows = exchange(chunk, image_rows, text_rows, global_batch);
  // Aborted: another chunk failed and its error ends the step.
  if (!rows.images.defined()) return at::zeros({}, queries.options());
  // This chunk's rows with their gradients, the other chunks' as constants (dist_collect).
  const auto first = static_cast<std::int64_t>(chunk.slots.front());
  const auto count = image_rows.size(0);
  auto with_local = [&](const at::Tensor& all, const at::Tensor& local) {
    return at::cat({all.narrow(0, 0, first), local,
                    all.narrow(0, first + count, all.size(0) - first - count)});
  };
  auto loss = contrastive_loss_from_rows(image_rows, text_rows, with_local(rows.images, image_rows),
                                         with_local(rows.texts, text_rows), first, logit_scale_);
  // The chunk's mean -> its share of the batch mean (processes average their gradients).
  const double share =
      static_cast<double>(count) * dist_.world_size() / static_cast<double>(global_batch);
  return loss * (share * weight_);
}

}  // namespace segx::train
