// The training config: the tables that read and document each key, paths resolved against the
// config's folder, the checks between keys.
#include "segx/train/train_config.hpp"

#include "segx/train/config_overrides.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "segx/core/config_table.hpp"
#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::train {
namespace {

using config::Codec;
using config::Origin;
using config::Table;
using nlohmann::json;
namespace fs = std::filesystem;

const Table<DatasetSpec>& dataset_table() {
  static const Table<DatasetSpec> table = [] {
    Table<DatasetSpec> t;
    using D = DatasetSpec;
    t.field("name", &D::name,
            "the dataset's name in messages and metrics.jsonl (default: its path)");
    t.field("format", &D::format,
            "\"manifest\": a segx manifest (segx-manifest(5)); \"coco_panoptic\": a COCO panoptic "
            "JSON with its PNG folder")
        .one_of({"manifest", "coco_panoptic"});
    t.field("path", &D::path, "the manifest or COCO panoptic JSON, relative to the config file")
        .required()
        .non_empty();
    t.field("png_dir", &D::png_dir,
            "coco_panoptic: folder of the panoptic PNGs (default: the JSON's path without .json)");
    t.field("images", &D::images_dir, "coco_panoptic: folder of the images");
    t.field("rate", &D::rate,
            "sampling rate among the training datasets: each iteration draws one dataset with "
            "probability rate / sum of rates")
        .positive();
    const std::vector<json> tasks = {"panoptic", "instance", "semantic"};
    t.custom(
         "tasks", Codec<std::vector<std::string>>::name(), "what the annotations support",
         [](const json& v, D& out, const Origin& o, const std::string& k, const config::Rule& r) {
           config::check_value(v, Codec<std::vector<std::string>>::accepts(v),
                               Codec<std::vector<std::string>>::name(), r, o, k);
           out.tasks.clear();
           for (const auto& name : v) out.tasks.push_back(parse_task(name.get<std::string>()));
           out.tasks_given = true;
         },
         [](const D& in, json& j, const std::string& k) {
           if (!in.tasks_given) return;
           for (Task task : in.tasks) j[k].push_back(task_name(task));
         },
         "the tasks this dataset trains (OneFormer draws one per image; a semantic-only set "
         "trains the semantic task)")
        .one_of(tasks)
        .non_empty();
    t.custom(
         "slice", Codec<std::vector<std::int64_t>>::name(), "all records",
         [](const json& v, D& out, const Origin& o, const std::string& k, const config::Rule& r) {
           config::check_value(v, Codec<std::vector<std::int64_t>>::accepts(v),
                               Codec<std::vector<std::int64_t>>::name(), r, o, k);
           out.start = v[0].get<std::int64_t>();
           out.stop = v[1].get<std::int64_t>();
         },
         [](const D& in, json& j, const std::string& k) {
           if (in.start != 0 || in.stop != INT64_MAX) j[k] = {in.start, in.stop};
         },
         "[start, stop): the records used, as a Python slice (negative values count from the "
         "end)")
        .size(2);
    return t;
  }();
  return table;
}

const Table<SolverOptions>& solver_table() {
  static const Table<SolverOptions> table = [] {
    Table<SolverOptions> t;
    using S = SolverOptions;
    t.field("base_lr", &S::base_lr, "AdamW learning rate (SOLVER.BASE_LR)").positive();
    t.field("max_iter", &S::max_iter, "iterations of the run (SOLVER.MAX_ITER)").positive();
    t.field("ims_per_batch", &S::ims_per_batch,
            "images per iteration, over all processes (SOLVER.IMS_PER_BATCH)")
        .positive();
    t.field("warmup_iters", &S::warmup_iters, "linear warm-up iterations (SOLVER.WARMUP_ITERS)")
        .min(0);
    t.field("warmup_factor", &S::warmup_factor,
            "learning-rate factor at the start of the warm-up (SOLVER.WARMUP_FACTOR)");
    t.field("poly_power", &S::poly_power, "power of the poly schedule (SOLVER.POLY_LR_POWER)");
    t.field("backbone_multiplier", &S::backbone_multiplier,
            "learning-rate factor of the backbone (SOLVER.BACKBONE_MULTIPLIER)");
    t.field("weight_decay", &S::weight_decay, "AdamW weight decay (SOLVER.WEIGHT_DECAY)").min(0);
    t.field("weight_decay_norm", &S::weight_decay_norm,
            "weight decay of normalisation layers (SOLVER.WEIGHT_DECAY_NORM)");
    t.field("weight_decay_embed", &S::weight_decay_embed,
            "weight decay of embeddings and queries (SOLVER.WEIGHT_DECAY_EMBED)");
    t.field("clip_gradients", &S::clip_gradients,
            "cap of the whole model's gradient L2 norm (SOLVER.CLIP_GRADIENTS); <= 0: no cap");
    t.field("checkpoint_period", &S::checkpoint_period,
            "iterations between checkpoints (SOLVER.CHECKPOINT_PERIOD)")
        .positive();
    t.field("keep_last", &S::keep_last, "checkpoints kept, older ones deleted; <= 0: all");
    t.field("eval_period", &S::eval_period,
            "iterations between evaluations of the validation set; 0: only at the end")
        .min(0);
    t.field("log_period", &S::log_period, "iterations between lines of metrics.jsonl").positive();
    t.field("amp", &S::amp,
            "CUDA: the forward pass under bfloat16 autocast, losses in float32 "
            "(SOLVER.AMP.ENABLED); ignored on the CPU");
    return t;
  }();
  return table;
}

const Table<JitterOptions>& input_table() {
  static const Table<JitterOptions> table = [] {
    Table<JitterOptions> t;
    using J = JitterOptions;
    const JitterOptions defaults;
    t.custom(
        "crop_size", "integer or [height, width]",
        fmt::format("[{}, {}]", defaults.crop_height, defaults.crop_width),
        [](const json& v, J& out, const Origin& o, const std::string& k, const config::Rule&) {
          std::vector<int> size;
          if (Codec<int>::accepts(v))
            size = {v.get<int>(), v.get<int>()};
          else if (Codec<std::vector<int>>::accepts(v))
            size = v.get<std::vector<int>>();
          if (size.size() != 2 || size[0] <= 0 || size[1] <= 0)
            o.fail(k, "must be a positive size or [height, width], not " + config::brief(v));
          out.crop_height = size[0];
          out.crop_width = size[1];
        },
        [](const J& in, json& j, const std::string& k) {
          j[k] = {in.crop_height, in.crop_width};
        },
        "size of the training crops (detectron2 FixedSizeCrop), after the scale jitter");
    t.field("min_scale", &J::min_scale,
            "smallest scale of the large-scale jitter, relative to the crop size (INPUT.MIN_SCALE)")
        .positive();
    t.field("max_scale", &J::max_scale, "largest scale, not below min_scale (INPUT.MAX_SCALE)")
        .positive();
    t.field("flip", &J::flip, "random horizontal flips (INPUT.RANDOM_FLIP)");
    return t;
  }();
  return table;
}

// "loss": the criterion's weights and the run's loss switches, all members of TrainConfig.
const Table<TrainConfig>& loss_table() {
  static const Table<TrainConfig> table = [] {
    Table<TrainConfig> t;
    t.field(
         "class_weight", [](auto& c) -> auto& { return c.criterion.class_weight; },
         "weight of the classification loss and matching cost (CLASS_WEIGHT; the original "
         "MaskFormer fixes both to 1)")
        .default_doc("2.0; 1.0 for maskformer");
    t.field(
         "mask_weight", [](auto& c) -> auto& { return c.criterion.mask_weight; },
         "weight of the mask binary cross-entropy, for maskformer the sigmoid focal loss "
         "(MASK_WEIGHT)")
        .default_doc("5.0; 20.0 for maskformer");
    t.field(
         "dice_weight", [](auto& c) -> auto& { return c.criterion.dice_weight; },
         "weight of the mask dice loss (DICE_WEIGHT)")
        .default_doc("5.0; 1.0 for maskformer");
    t.field(
        "no_object_weight", [](auto& c) -> auto& { return c.criterion.no_object_weight; },
        "classification weight of the no-object class (NO_OBJECT_WEIGHT)");
    t.field(
         "num_points", [](auto& c) -> auto& { return c.criterion.num_points; },
         "points sampled per mask for matching and the mask losses (TRAIN_NUM_POINTS); "
         "maskformer uses whole masks and ignores it, as the two ratios below")
        .positive();
    t.field(
         "oversample_ratio", [](auto& c) -> auto& { return c.criterion.oversample_ratio; },
         "point oversampling for importance sampling (OVERSAMPLE_RATIO)")
        .min(1);
    t.field(
         "importance_ratio", [](auto& c) -> auto& { return c.criterion.importance_ratio; },
         "share of the points taken where the mask is least certain (IMPORTANCE_SAMPLE_RATIO)")
        .range(0, 1);
    t.field(
        "semantic_merge", [](auto& c) -> auto& { return c.criterion.semantic_merge; },
        "semantic-task images (semantic-only datasets, OneFormer's semantic draw) train the "
        "queries' masks merged per class, each weighted by the query's probability of the class "
        "(DaTaSeg's MERGE: loss_merge_ce and loss_merge_dice, weighted as mask_weight and "
        "dice_weight) instead of matching one query to each class; false: upstream's matching");
    t.field(
         "unlabeled_ignore", [](auto& c) -> auto& { return c.criterion.unlabeled_ignore; },
         "an unmatched query whose predicted mask lies more than this share on unlabelled pixels "
         "(void, crowd, classes its dataset leaves unlabelled: pixels no target covers; for a "
         "model without task prompts also an instance-task image's stuff and a boxes-only "
         "image's pixels outside its boxes) is left out of the classification loss instead of "
         "taught \"no object\" (datasets annotating part of the label space, DaTaSeg); 0: "
         "upstream, every unmatched query is \"no object\"")
        .range(0, 1);
    t.field(
        "deep_supervision", [](auto& c) -> auto& { return c.deep_supervision; },
        "losses on every decoder layer's predictions (DEEP_SUPERVISION)");
    t.field(
         "contrastive_weight", [](auto& c) -> auto& { return c.criterion.contrastive_weight; },
         "OneFormer: weight of the query-text contrastive loss (CONTRASTIVE_WEIGHT); 0 leaves it "
         "out (no text encoder forward)")
        .min(0);
    t.field(
         "contrastive_temperature", [](auto& c) -> auto& { return c.contrastive_temperature; },
         "OneFormer: initial (learned) temperature of the contrastive loss "
         "(CONTRASTIVE_TEMPERATURE)")
        .positive();
    return t;
  }();
  return table;
}

const Table<TextEncoderOptions>& text_encoder_table() {
  static const Table<TextEncoderOptions> table = [] {
    Table<TextEncoderOptions> t;
    using E = TextEncoderOptions;
    t.field("tokenizer", &E::tokenizer,
            "CLIP BPE vocabulary (bpe_simple_vocab_16e6.txt.gz), relative to the config file; "
            "required for oneformer");
    t.field("context_length", &E::context_length, "tokens per text (CONTEXT_LENGTH)").positive();
    t.field("width", &E::width,
            "width of the text transformer, a multiple of 64 (heads = width / 64); 0: the "
            "decoder's hidden_dim (WIDTH)")
        .min(0);
    t.field("layers", &E::layers, "text transformer layers (NUM_LAYERS)").positive();
    t.field("proj_num_layers", &E::proj_num_layers,
            "layers of the text projection (PROJ_NUM_LAYERS)")
        .positive();
    t.field("n_ctx", &E::n_ctx,
            "learned prompt context vectors (N_CTX); the texts are num_queries - n_ctx")
        .min(0);
    return t;
  }();
  return table;
}

const Table<TrainConfig>& dataloader_table() {
  static const Table<TrainConfig> table = [] {
    Table<TrainConfig> t;
    t.field("workers", &TrainConfig::workers,
            "threads loading batches (decoding and augmenting images)")
        .min(1);
    t.field("prefetch", &TrainConfig::prefetch, "batches loaded ahead of the one in training")
        .min(1);
    return t;
  }();
  return table;
}

const Table<TrainConfig>& train_table() {
  static const Table<TrainConfig> table = [] {
    Table<TrainConfig> t;
    using C = TrainConfig;
    t.version("schema_version", kTrainConfigVersion,
              "format version; a config with a newer one is refused");
    t.list("datasets", &C::datasets, dataset_table(),
           "the training datasets, each an object with the keys below")
        .required()
        .non_empty();
    t.custom(
         "validation", "object or null", "null",
         [](const json& v, C& out, const Origin& o, const std::string& k, const config::Rule&) {
           out.validation.reset();
           if (v.is_null()) return;
           DatasetSpec d;
           dataset_table().read(v, d, o.nested(k));
           out.validation = d;
         },
         [](const C& in, json& j, const std::string& k) {
           if (in.validation) j[k] = dataset_table().write(*in.validation);
         },
         "the validation set, an object with the keys of datasets[], "
         "evaluated every solver.eval_period iterations and at the end (PQ, mIoU, mask AP)")
        .no_key_docs();
    t.custom(
         "model", "string or object", "required",
         [](const json& v, C& out, const Origin& o, const std::string& k, const config::Rule&) {
           if (v.is_string()) {
             out.model_source = v.get<std::string>();  // resolved against the config's folder
           } else if (v.is_object()) {
             model::check_model_config_keys(v, o.nested(k));
             out.model_json = v.dump();
             out.model_prefix = o.prefix + k + ".";
           } else {
             o.fail(k, "must be a path or an object, not " + config::brief(v));
           }
         },
         [](const C& in, json& j, const std::string& k) {
           if (!in.model_json.empty()) j[k] = json::parse(in.model_json);
         },
         "the model config: a file (relative to this one) or an object, with the keys of MODEL "
         "CONFIGURATION; training fills num_classes, class_names, category_ids and "
         "thing_classes from the label space where it leaves them out")
        .required();
    t.field("weights", &C::weights,
            "initial weights (safetensors), e.g. a converted official checkpoint to fine-tune; "
            "relative to the config file");
    t.field("vocabulary", &C::vocabulary,
            "vocabulary JSON from segx vocab build, relative to the config file: its classes are "
            "the label space, each dataset trains on its own classes (DaTaSeg co-training); "
            "segx train --vocab overrides it");
    t.section("solver", &C::solver, solver_table(),
              "optimiser and schedule (detectron2 SOLVER.*): AdamW, poly decay after a linear "
              "warm-up");
    t.section("input", &C::jitter, input_table(),
              "training augmentation: large-scale jitter, fixed-size crop, flip");
    t.section(
        "loss", [](auto& c) -> auto& { return c; }, loss_table(),
        "the set criterion (Hungarian-matched losses: Mask2Former's on sampled points, for "
        "maskformer the original MaskFormer's on whole masks)");
    t.section("text_encoder", &C::text_encoder, text_encoder_table(),
              "OneFormer's text side, trained with the model (MODEL.TEXT_ENCODER.*); inference "
              "does not use it");
    t.section(
        "dataloader", [](auto& c) -> auto& { return c; }, dataloader_table(), "the data loader");
    t.field("output", &C::output,
            "folder of checkpoints, metrics.jsonl and model_config.json, relative to the config "
            "file; segx train --output overrides it");
    t.field("seed", &C::seed, "seed of sampling, augmentation and initialisation");
    return t;
  }();
  return table;
}

// The rules between keys, which no single key's rule can say.
void check_across_keys(const TrainConfig& c, const Origin& o) {
  if (c.jitter.max_scale < c.jitter.min_scale)
    o.fail("input.min_scale", "must not be above input.max_scale");
  if (c.text_encoder.width % 64 != 0)
    o.fail("text_encoder.width", "must be a multiple of 64 (heads = width / 64), or 0");
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
  if (!j.is_object()) fail(ErrorKind::Config, "'{}': training config is not a JSON object", source);
  TrainConfig c;
  c.source = source;
  const Origin origin{source, "", true};
  train_table().read(j, c, origin);
  check_across_keys(c, origin);
  if (j.contains("loss") && j["loss"].is_object())
    for (const auto& item : j["loss"].items()) c.loss_keys.insert(item.key());

  auto path = [&](const std::string& p) {
    if (p.empty() || p == "-" || fs::path(p).is_absolute()) return p;
    return (fs::path(base_dir) / p).lexically_normal().string();
  };
  auto resolve_paths = [&](DatasetSpec& d) {
    d.path = path(d.path);
    d.png_dir = path(d.png_dir);
    d.images_dir = path(d.images_dir);
  };
  for (auto& d : c.datasets) resolve_paths(d);
  if (c.validation) resolve_paths(*c.validation);
  if (c.model_json.empty()) {  // "model": "file.json"
    c.model_source = path(c.model_source);
    c.model_json = io::read_all(c.model_source);
    json m;
    try {
      m = json::parse(c.model_json);
    } catch (const json::exception& e) {
      fail(ErrorKind::Config, "'{}': model config is not JSON: {}", c.model_source, e.what());
    }
    model::check_model_config_keys(m, {c.model_source, "", true});
  } else {
    c.model_source = source;
  }
  c.weights = path(c.weights);
  c.vocabulary = path(c.vocabulary);
  c.text_encoder.tokenizer = path(c.text_encoder.tokenizer);
  c.output = path(c.output);
  return c;
}

TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides) {
  auto text = io::read_all(path);
  auto dir = path == "-" ? std::string(".") : fs::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!overrides.empty() && j.is_object()) {
    apply_config_overrides(j, overrides, dir);
    text = j.dump(1);
  }
  auto config = parse_train_config(text, path, dir);
  if (j.is_object()) {
    absolutize_config_paths(j, dir);
    j["_source"] = path == "-" ? path : fs::absolute(path).lexically_normal().string();
    j["_overrides"] = overrides;
    config.effective_json = j.dump(1) + "\n";
  }
  return config;
}

std::vector<config::KeyDoc> train_config_keys() {
  return train_table().docs();
}

}  // namespace segx::train
