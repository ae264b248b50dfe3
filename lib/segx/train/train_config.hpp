// The training run description (`segx train --config train.json`): datasets with sampling
// rates and tasks, validation set, model (config path or inline), solver, input augmentation,
// loss weights, output directory. Relative paths are resolved against the config's folder.
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "segx/model/config.hpp"
#include "segx/train/augment.hpp"
#include "segx/train/train_data.hpp"
#include "segx/train/train_options.hpp"

namespace segx::train {

// detectron2 SOLVER.* as Mask2Former sets it.
struct SolverOptions {
  double base_lr = 1e-4;
  std::int64_t max_iter = 1000;
  int ims_per_batch = 4;  // global batch over all processes
  std::int64_t warmup_iters = 0;
  double warmup_factor = 1.0;
  double poly_power = 0.9;
  double backbone_multiplier = 0.1;
  double weight_decay = 0.05;
  double weight_decay_norm = 0.0;
  double weight_decay_embed = 0.0;
  double clip_gradients = 0.01;  // full-model gradient L2 norm cap; <= 0: off
  std::int64_t checkpoint_period = 1000;
  int keep_last = 3;
  std::int64_t eval_period = 0;  // 0: only at the end (when a validation set is given)
  std::int64_t log_period = 20;
  // Mixed precision on CUDA (SOLVER.AMP.ENABLED): the forward pass under bfloat16 autocast, the
  // losses in float32. Ignored on the CPU.
  bool amp = false;
};

// OneFormer's text side (MODEL.TEXT_ENCODER.* upstream; training only, inference ignores it):
// "text_encoder" in the config. Used when the model's architecture is "oneformer".
struct TextEncoderOptions {
  std::string tokenizer;    // CLIP BPE vocabulary (bpe_simple_vocab_16e6.txt.gz); required
  int context_length = 77;  // CONTEXT_LENGTH
  int width = 0;            // WIDTH; 0: the decoder's hidden_dim (upstream: both 256)
  int layers = 6;           // NUM_LAYERS
  int proj_num_layers = 2;  // PROJ_NUM_LAYERS
  int n_ctx = 16;           // N_CTX learnable prompt vectors; texts = num_queries - n_ctx
};

struct TrainConfig {
  std::string source;  // the config file, for messages
  // The config as run: the file's JSON with the command line's overrides applied, every path
  // absolute, and "_overrides" listing them (train_config.json in the output folder).
  std::string effective_json;
  std::vector<DatasetSpec> datasets;
  std::optional<DatasetSpec> validation;
  std::string model_json;    // the model config text (inline or read from "model")
  std::string model_source;  // where it came from, for messages
  std::string model_prefix;  // "model." when inline, so that messages name "model.resnet.depth"
  std::string weights;       // optional initial weights (fine-tuning a converted checkpoint)
  // A `segx vocab build` vocabulary whose classes are the label space (DaTaSeg co-training);
  // `segx train --vocab` overrides it.
  std::string vocabulary;
  SolverOptions solver;
  CriterionOptions criterion;  // num_classes filled from the label space
  std::set<std::string> loss_keys;        // the keys the file sets under "loss"
  double contrastive_temperature = 0.07;  // OneFormer: initial temperature (learnable)
  TextEncoderOptions text_encoder;
  bool deep_supervision = true;
  JitterOptions jitter;
  int workers = 1;
  int prefetch = 2;
  std::string output;
  std::uint64_t seed = 0;
};

// The "schema_version" of training configs; files without one are version 1.
constexpr int kTrainConfigVersion = 1;

// The parsers (parse_train_config, load_train_config, train_config_keys) need no LibTorch and
// live in segx_core (train_config.cpp); resolve_model_config and criterion_options are the
// training library's (train_config_model.cpp).

// Error(Config) "'train.json': solver.base_lr must be positive, not -1" for a bad value,
// "'train.json': unknown key "solver.lr_sheduler"" for an unknown key (nested ones too, the
// inline model's included), Error(NoInput) when the file (or the model config it names) is
// missing.
TrainConfig parse_train_config(const std::string& json_text, const std::string& source,
                               const std::string& base_dir);
// `overrides`: KEY=VALUE pairs applied to the file's JSON first (config_overrides.hpp).
TrainConfig load_train_config(const std::string& path,
                              const std::vector<std::string>& overrides = {});

// The model config for the label space: num_classes, class_names, category_ids and
// thing_classes come from the classes when the model JSON leaves them out; Error(Config) when
// it disagrees with them.
model::ModelConfig resolve_model_config(const TrainConfig& config, const TrainClasses& classes);

// The criterion for `model`: the file's loss settings, num_classes, and for the original
// MaskFormer its variant and its default weights (class 1, mask 20, dice 1) where the file
// sets none.
CriterionOptions criterion_options(const TrainConfig& config, const model::ModelConfig& model);

// Every key of the training config, for segx-config(5) (the inline model's are the model
// config's: model::model_config_keys()).
std::vector<config::KeyDoc> train_config_keys();

}  // namespace segx::train
