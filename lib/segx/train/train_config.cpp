// Parsing and validation of the training config.
#include "segx/train/train_config.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::train {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct Reader {
  const std::string& source;
  std::string base_dir;

  [[noreturn]] void bad(const std::string& field, const std::string& what) const {
    fail(ErrorKind::Config, "'{}': {} {}", source, field, what);
  }
  template <typename T>
  void get(const json& j, const char* key, T& out, const std::string& where) const {
    if (!j.contains(key)) return;
    try {
      out = j.at(key).get<T>();
    } catch (const json::exception&) {
      bad(where + key, "has the wrong type: " + j.at(key).dump());
    }
  }
  std::string path(const std::string& p) const {
    if (p.empty() || p == "-" || fs::path(p).is_absolute()) return p;
    return (fs::path(base_dir) / p).lexically_normal().string();
  }
  void unknown_keys(const json& j, std::initializer_list<const char*> known,
                    const std::string& where) const {
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool ok = false;
      for (const char* k : known) ok = ok || it.key() == k;
      if (!ok) bad(where + it.key(), "is not a known field");
    }
  }
};

DatasetSpec parse_dataset(const Reader& r, const json& j, const std::string& where) {
  if (!j.is_object()) r.bad(where.substr(0, where.size() - 1), "must be an object");
  r.unknown_keys(j, {"name", "format", "path", "png_dir", "images", "rate", "tasks", "slice"},
                 where);
  DatasetSpec d;
  r.get(j, "name", d.name, where);
  r.get(j, "format", d.format, where);
  r.get(j, "path", d.path, where);
  r.get(j, "png_dir", d.png_dir, where);
  r.get(j, "images", d.images_dir, where);
  r.get(j, "rate", d.rate, where);
  if (d.path.empty()) r.bad(where + "path", "is required");
  if (d.format != "manifest" && d.format != "coco_panoptic")
    r.bad(where + "format", "must be \"manifest\" or \"coco_panoptic\", not \"" + d.format + "\"");
  if (!(d.rate > 0)) r.bad(where + "rate", "must be positive");
  d.path = r.path(d.path);
  d.png_dir = r.path(d.png_dir);
  d.images_dir = r.path(d.images_dir);
  if (j.contains("tasks")) {
    std::vector<std::string> tasks;
    r.get(j, "tasks", tasks, where);
    if (tasks.empty()) r.bad(where + "tasks", "is empty");
    d.tasks.clear();
    d.tasks_given = true;
    for (const auto& t : tasks) {
      if (t != "panoptic" && t != "instance" && t != "semantic")
        r.bad(where + "tasks", "holds '" + t + "' (panoptic, instance or semantic)");
      d.tasks.push_back(parse_task(t));
    }
  }
  if (j.contains("slice")) {
    std::vector<std::int64_t> s;
    r.get(j, "slice", s, where);
    if (s.size() != 2) r.bad(where + "slice", "must be [start, stop]");
    d.start = s[0];
    d.stop = s[1];
  }
  return d;
}

}  // namespace

TrainConfig parse_train_config(const std::string& text, const std::string& source,
                               const std::string& base_dir) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(ErrorKind::Config, "'{}': training config is not JSON: {}", source, e.what());
  }
  Reader r{source, base_dir};
  if (!j.is_object()) fail(ErrorKind::Config, "'{}': training config is not a JSON object", source);
  r.unknown_keys(j,
                 {"datasets", "validation", "model", "weights", "solver", "input", "loss", "output",
                  "seed", "dataloader", "text_encoder", "comment"},
                 "");
  TrainConfig c;
  c.source = source;
  if (!j.contains("datasets") || !j["datasets"].is_array() || j["datasets"].empty())
    r.bad("datasets", "must be a non-empty array");
  for (std::size_t i = 0; i < j["datasets"].size(); ++i)
    c.datasets.push_back(parse_dataset(r, j["datasets"][i], fmt::format("datasets[{}].", i)));
  if (j.contains("validation") && !j["validation"].is_null())
    c.validation = parse_dataset(r, j["validation"], "validation.");

  if (!j.contains("model")) r.bad("model", "is required (a model config path or object)");
  if (j["model"].is_string()) {
    c.model_source = r.path(j["model"].get<std::string>());
    c.model_json = io::read_all(c.model_source);
  } else if (j["model"].is_object()) {
    c.model_source = source + " (model)";
    c.model_json = j["model"].dump();
  } else {
    r.bad("model", "must be a path or an object");
  }
  r.get(j, "weights", c.weights, "");
  c.weights = r.path(c.weights);

  if (j.contains("solver")) {
    const auto& s = j["solver"];
    const std::string w = "solver.";
    r.unknown_keys(
        s,
        {"base_lr", "max_iter", "ims_per_batch", "warmup_iters", "warmup_factor", "poly_power",
         "backbone_multiplier", "weight_decay", "weight_decay_norm", "weight_decay_embed",
         "clip_gradients", "checkpoint_period", "keep_last", "eval_period", "log_period", "amp"},
        w);
    auto& o = c.solver;
    r.get(s, "base_lr", o.base_lr, w);
    r.get(s, "max_iter", o.max_iter, w);
    r.get(s, "ims_per_batch", o.ims_per_batch, w);
    r.get(s, "warmup_iters", o.warmup_iters, w);
    r.get(s, "warmup_factor", o.warmup_factor, w);
    r.get(s, "poly_power", o.poly_power, w);
    r.get(s, "backbone_multiplier", o.backbone_multiplier, w);
    r.get(s, "weight_decay", o.weight_decay, w);
    r.get(s, "weight_decay_norm", o.weight_decay_norm, w);
    r.get(s, "weight_decay_embed", o.weight_decay_embed, w);
    r.get(s, "clip_gradients", o.clip_gradients, w);
    r.get(s, "checkpoint_period", o.checkpoint_period, w);
    r.get(s, "keep_last", o.keep_last, w);
    r.get(s, "eval_period", o.eval_period, w);
    r.get(s, "log_period", o.log_period, w);
    r.get(s, "amp", o.amp, w);
    if (!(o.base_lr > 0)) r.bad("solver.base_lr", "must be positive");
    if (o.max_iter <= 0) r.bad("solver.max_iter", "must be positive");
    if (o.ims_per_batch <= 0) r.bad("solver.ims_per_batch", "must be positive");
    if (o.warmup_iters < 0) r.bad("solver.warmup_iters", "must be >= 0");
    if (o.checkpoint_period <= 0) r.bad("solver.checkpoint_period", "must be positive");
    if (o.eval_period < 0) r.bad("solver.eval_period", "must be >= 0");
    if (o.log_period <= 0) r.bad("solver.log_period", "must be positive");
    if (o.weight_decay < 0) r.bad("solver.weight_decay", "must be >= 0");
  }
  if (j.contains("input")) {
    const auto& s = j["input"];
    const std::string w = "input.";
    r.unknown_keys(s, {"crop_size", "min_scale", "max_scale", "flip"}, w);
    auto& o = c.jitter;
    if (s.contains("crop_size")) {
      std::vector<int> size;
      if (s["crop_size"].is_number_integer())
        size = {s["crop_size"].get<int>(), s["crop_size"].get<int>()};
      else
        r.get(s, "crop_size", size, w);
      if (size.size() != 2 || size[0] <= 0 || size[1] <= 0)
        r.bad("input.crop_size", "must be a positive size or [height, width]");
      o.crop_height = size[0];
      o.crop_width = size[1];
    }
    r.get(s, "min_scale", o.min_scale, w);
    r.get(s, "max_scale", o.max_scale, w);
    r.get(s, "flip", o.flip, w);
    if (!(o.min_scale > 0) || o.max_scale < o.min_scale)
      r.bad("input.min_scale", "must be positive and not above input.max_scale");
  }
  if (j.contains("loss")) {
    const auto& s = j["loss"];
    const std::string w = "loss.";
    r.unknown_keys(s,
                   {"class_weight", "mask_weight", "dice_weight", "no_object_weight", "num_points",
                    "oversample_ratio", "importance_ratio", "deep_supervision",
                    "contrastive_weight", "contrastive_temperature"},
                   w);
    auto& o = c.criterion;
    r.get(s, "class_weight", o.class_weight, w);
    r.get(s, "mask_weight", o.mask_weight, w);
    r.get(s, "dice_weight", o.dice_weight, w);
    r.get(s, "no_object_weight", o.no_object_weight, w);
    r.get(s, "num_points", o.num_points, w);
    r.get(s, "oversample_ratio", o.oversample_ratio, w);
    r.get(s, "importance_ratio", o.importance_ratio, w);
    r.get(s, "deep_supervision", c.deep_supervision, w);
    r.get(s, "contrastive_weight", o.contrastive_weight, w);
    r.get(s, "contrastive_temperature", c.contrastive_temperature, w);
    if (o.contrastive_weight < 0) r.bad("loss.contrastive_weight", "must be >= 0");
    if (!(c.contrastive_temperature > 0)) r.bad("loss.contrastive_temperature", "must be positive");
    if (o.num_points <= 0) r.bad("loss.num_points", "must be positive");
    if (o.oversample_ratio < 1) r.bad("loss.oversample_ratio", "must be >= 1");
    if (o.importance_ratio < 0 || o.importance_ratio > 1)
      r.bad("loss.importance_ratio", "must be in [0, 1]");
  }
  if (j.contains("text_encoder")) {
    const auto& s = j["text_encoder"];
    const std::string w = "text_encoder.";
    r.unknown_keys(
        s, {"tokenizer", "context_length", "width", "layers", "proj_num_layers", "n_ctx"}, w);
    auto& o = c.text_encoder;
    r.get(s, "tokenizer", o.tokenizer, w);
    r.get(s, "context_length", o.context_length, w);
    r.get(s, "width", o.width, w);
    r.get(s, "layers", o.layers, w);
    r.get(s, "proj_num_layers", o.proj_num_layers, w);
    r.get(s, "n_ctx", o.n_ctx, w);
    o.tokenizer = r.path(o.tokenizer);
    if (o.context_length <= 0) r.bad("text_encoder.context_length", "must be positive");
    if (o.width < 0 || o.width % 64 != 0)
      r.bad("text_encoder.width", "must be a multiple of 64 (heads = width / 64), or 0");
    if (o.layers <= 0) r.bad("text_encoder.layers", "must be positive");
    if (o.proj_num_layers <= 0) r.bad("text_encoder.proj_num_layers", "must be positive");
    if (o.n_ctx < 0) r.bad("text_encoder.n_ctx", "must be >= 0");
  }
  if (j.contains("dataloader")) {
    const auto& s = j["dataloader"];
    r.unknown_keys(s, {"workers", "prefetch"}, "dataloader.");
    r.get(s, "workers", c.workers, "dataloader.");
    r.get(s, "prefetch", c.prefetch, "dataloader.");
    if (c.workers < 1) r.bad("dataloader.workers", "must be >= 1");
    if (c.prefetch < 1) r.bad("dataloader.prefetch", "must be >= 1");
  }
  r.get(j, "output", c.output, "");
  c.output = r.path(c.output);
  r.get(j, "seed", c.seed, "");
  return c;
}

TrainConfig load_train_config(const std::string& path) {
  auto text = io::read_all(path);
  auto dir = path == "-" ? std::string(".") : fs::path(path).parent_path().string();
  return parse_train_config(text, path, dir.empty() ? "." : dir);
}

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
    fail(ErrorKind::Config, "'{}': num_classes is {} but the training label space has {} classes",
         config.model_source, j["num_classes"].dump(), k);
  j["num_classes"] = k;
  if (!j.contains("class_names")) j["class_names"] = classes.names;
  if (!j.contains("category_ids")) j["category_ids"] = classes.category_ids;
  if (!j.contains("thing_classes")) j["thing_classes"] = classes.thing_indices();
  return model::parse_model_config(j.dump(), config.model_source);
}

}  // namespace segx::train
