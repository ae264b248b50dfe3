// The label space and datasets of a training run (from the config, optionally a vocabulary).
#include <map>

#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/train/trainer.hpp"
#include "segx/vocab/normalize.hpp"
#include "segx/vocab/vocabulary.hpp"

namespace segx::train {
namespace {

std::string dataset_text(const DatasetSpec& spec) {
  return spec.name.empty() ? "'" + spec.path + "'"
                           : "dataset '" + spec.name + "' ('" + spec.path + "')";
}

// A dataset the vocabulary was not built from: its categories map onto the classes by name (the
// `name` policy's normalisation, against each class's name, synonyms and source names).
void map_by_name(DatasetSpec& spec, const vocab::Vocabulary& v, const std::string& vocab_path) {
  std::map<std::string, std::int64_t> class_of_name;
  for (const auto& c : v.classes) {
    class_of_name.emplace(vocab::normalize_words(c.name), c.id);
    for (const auto& s : c.synonyms) class_of_name.emplace(vocab::normalize_words(s), c.id);
    for (const auto& s : c.sources) class_of_name.emplace(vocab::normalize_words(s.name), c.id);
  }
  const auto categories = read_dataset_categories(spec);
  for (const auto& cat : categories.list()) {
    auto it = class_of_name.find(vocab::normalize_words(cat.name));
    if (it == class_of_name.end())
      fail(ErrorKind::Config,
           "{}: category {} '{}' is not in the vocabulary '{}' (which does not list the dataset, "
           "so its categories map by name)",
           dataset_text(spec), cat.id, cat.name, vocab_path);
    spec.category_remap[cat.id] = it->second;
  }
  log::info("{}: not in the vocabulary '{}'; its categories map onto the classes by name",
            dataset_text(spec), vocab_path);
}

// Maps a dataset onto the vocabulary's classes by its entry (named after the dataset), else by
// category name.
void attach_vocabulary(DatasetSpec& spec, const vocab::Vocabulary& v,
                       const std::string& vocab_path) {
  std::string name = spec.name;
  if (spec.format == "manifest" && (name.empty() || !v.dataset(name))) {
    // The manifest header's dataset name, which `segx vocab build` records.
    dataset::ManifestReader reader(spec.path);
    if (v.dataset(reader.header().dataset)) name = reader.header().dataset;
  }
  if (!v.dataset(name)) return map_by_name(spec, v, vocab_path);
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
  if (validation) {
    out.validation = load_train_dataset(*validation, out.classes);
    for (const auto& r : out.validation->records)
      if (r.kind != AnnotationKind::Panoptic)
        fail(ErrorKind::Config,
             "validation {}: image {} is {}; validation needs panoptic annotations (PQ, mIoU and "
             "mask AP are computed from them)",
             dataset_text(*validation), r.image_id, annotation_name(r.kind));
  }
  return out;
}

}  // namespace segx::train
