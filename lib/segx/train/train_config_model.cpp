// The model config and the criterion a training config asks for, given its label space (the
// training library's side of train_config.hpp; the parser is in train_config.cpp, in segx_core).
#include <nlohmann/json.hpp>

#include "segx/core/config_table.hpp"
#include "segx/core/error.hpp"
#include "segx/train/train_config.hpp"

namespace segx::train {

using json = nlohmann::json;

model::ModelConfig resolve_model_config(const TrainConfig& config, const TrainClasses& classes) {
  json j;
  try {
    j = json::parse(config.model_json);
  } catch (const json::exception& e) {
    fail(ErrorKind::Config, "'{}': model config is not JSON: {}", config.model_source, e.what());
  }
  if (!j.is_object())
    fail(ErrorKind::Config, "'{}': model config is not a JSON object", config.model_source);
  const int k = classes.size();
  if (j.contains("num_classes") && j["num_classes"] != k)
    fail(ErrorKind::Config, "'{}': {}num_classes is {} but the training label space has {} classes",
         config.model_source, config.model_prefix, j["num_classes"].dump(), k);
  j["num_classes"] = k;
  if (!j.contains("class_names")) j["class_names"] = classes.names;
  if (!j.contains("category_ids")) j["category_ids"] = classes.category_ids;
  if (!j.contains("thing_classes")) j["thing_classes"] = classes.thing_indices();
  // Warnings were given when the training config was read.
  return model::read_model_config(j, {config.model_source, config.model_prefix, false});
}

CriterionOptions criterion_options(const TrainConfig& config, const model::ModelConfig& model) {
  auto o = config.criterion;
  o.num_classes = model.num_classes;
  if (model.is_maskformer()) {
    o.variant = CriterionVariant::MaskFormer;
    // MaskFormer's weights (its matcher's cost_class is 1 too) where the file sets none.
    if (!config.loss_keys.count("class_weight")) o.class_weight = 1.0;
    if (!config.loss_keys.count("mask_weight")) o.mask_weight = 20.0;
    if (!config.loss_keys.count("dice_weight")) o.dice_weight = 1.0;
  }
  return o;
}

}  // namespace segx::train
