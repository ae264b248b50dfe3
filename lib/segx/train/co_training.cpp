// Label-space restriction and class embeddings for multi-dataset training.
#include "segx/train/co_training.hpp"

#include <filesystem>

#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/io/safetensors_torch.hpp"
#include "segx/train/label_space.hpp"

namespace segx::train {
namespace fs = std::filesystem;

LogitsTransform label_space_transform(const std::vector<TrainDataset>& datasets) {
  std::vector<torch::Tensor> spaces;
  bool restricts = false;
  for (const auto& d : datasets) {
    auto space = torch::zeros({static_cast<std::int64_t>(d.label_space.size())}, torch::kBool);
    for (std::size_t k = 0; k < d.label_space.size(); ++k) {
      if (d.label_space[k]) space[static_cast<std::int64_t>(k)] = true;
      restricts = restricts || !d.label_space[k];
    }
    spaces.push_back(space);
  }
  if (!restricts) return {};
  return [spaces](const TrainBatch& batch, const torch::Tensor& logits) {
    return restrict_to_label_space(logits, spaces.at(static_cast<std::size_t>(batch.dataset)));
  };
}

namespace {

fs::path resolve(const TrainConfig& config, const std::string& file) {
  if (fs::path(file).is_absolute()) return file;
  const bool model_file = fs::is_regular_file(config.model_source);
  return fs::path(model_file ? config.model_source : config.source).parent_path() / file;
}

}  // namespace

ClassEmbeddingSource load_class_embeddings(model::ModelConfig& model, const TrainConfig& config,
                                           const TrainClasses& classes) {
  auto& c = model.classifier;
  if (c.type != "embedding" || c.embeddings.empty()) {
    if (c.type == "embedding") c.type = "linear";
    if (!classes.vocabulary.empty())
      log::info(
          "classifier: no class embeddings for the vocabulary (model classifier.type "
          "\"embedding\" with classifier.embeddings from `segx vocab embed`); training a linear "
          "head over its {} classes",
          classes.size());
    return {};
  }
  ClassEmbeddingSource out;
  out.file = resolve(config, c.embeddings).string();
  auto tensors = io::load_tensors(out.file);
  auto it = tensors.find("class_embeddings");
  if (it == tensors.end())
    fail(ErrorKind::Config, "'{}': no tensor 'class_embeddings' (from `segx vocab embed`)",
         out.file);
  out.embeddings = it->second.to(torch::kFloat);
  const auto& e = out.embeddings;
  if (e.dim() != 2 || e.size(0) != classes.size())
    fail(ErrorKind::Config,
         "'{}': class_embeddings has {} rows but the label space has {} classes (embed the "
         "vocabulary the run trains with)",
         out.file, e.dim() > 0 ? e.size(0) : 0, classes.size());
  if (e.size(1) != c.embedding_dim)
    fail(ErrorKind::Config,
         "'{}': class embeddings have dimension {} but the model's "
         "classifier.embedding_dim is {}",
         out.file, e.size(1), c.embedding_dim);
  if (auto ids = tensors.find("class_ids"); ids != tensors.end()) {
    auto rows = ids->second.to(torch::kLong).contiguous();
    for (int k = 0; k < classes.size(); ++k)
      if (rows[k].item<std::int64_t>() != classes.category_ids[static_cast<std::size_t>(k)])
        fail(ErrorKind::Config,
             "'{}': row {} embeds class {} but class {} of the label space is {} (embed the "
             "vocabulary the run trains with)",
             out.file, k, rows[k].item<std::int64_t>(), k,
             classes.category_ids[static_cast<std::size_t>(k)]);
  }
  log::info("classifier: {} class embeddings of dimension {} from '{}' + a learned background",
            e.size(0), e.size(1), out.file);
  return out;
}

}  // namespace segx::train
