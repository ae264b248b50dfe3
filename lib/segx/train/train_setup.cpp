// The label space and datasets of a training run (from the config, optionally a vocabulary).
#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/train/trainer.hpp"
#include "segx/vocab/vocabulary.hpp"

namespace segx::train {
namespace {

// Maps a dataset onto the vocabulary's classes by its entry (named after the dataset).
void attach_vocabulary(DatasetSpec& spec, const vocab::Vocabulary& v,
                       const std::string& vocab_path) {
  std::string name = spec.name;
  if (spec.format == "manifest" && (name.empty() || !v.dataset(name))) {
    // The manifest header's dataset name, which `segx vocab build` records.
    dataset::ManifestReader reader(spec.path);
    if (v.dataset(reader.header().dataset)) name = reader.header().dataset;
  }
  if (!v.dataset(name))
    fail(ErrorKind::Config, "'{}': the vocabulary has no dataset '{}' (datasets it maps: {})",
         vocab_path, name, [&] {
           std::string all;
           for (const auto& d : v.datasets) all += (all.empty() ? "" : ", ") + d.name;
           return all;
         }());
  for (const auto& [from, to] : v.forward(name)) spec.category_remap[from] = to;
}

}  // namespace

TrainData load_train_data(const TrainConfig& config, const std::string& vocab_path) {
  TrainData out;
  auto specs = config.datasets;
  auto validation = config.validation;
  if (!vocab_path.empty()) {
    auto v = vocab::load_vocabulary(vocab_path);
    const std::string shown = vocab_path == "-" ? "<stdin>" : vocab_path;
    for (const auto& c : v.classes) {
      out.classes.category_ids.push_back(c.id);
      out.classes.names.push_back(c.name);
      out.classes.isthing.push_back(c.isthing);
    }
    out.classes.vocabulary = shown;
    if (out.classes.names.empty())
      fail(ErrorKind::Config, "'{}': the vocabulary has no classes", shown);
    for (auto& s : specs) attach_vocabulary(s, v, shown);
    if (validation) attach_vocabulary(*validation, v, shown);
  } else {
    out.classes = TrainClasses::from_categories(read_dataset_categories(specs.front()));
  }
  for (const auto& s : specs) {
    out.datasets.push_back(load_train_dataset(s, out.classes));
    log::info("dataset '{}': {} images", s.name.empty() ? s.path : s.name,
              out.datasets.back().records.size());
  }
  if (validation) out.validation = load_train_dataset(*validation, out.classes);
  return out;
}

}  // namespace segx::train
