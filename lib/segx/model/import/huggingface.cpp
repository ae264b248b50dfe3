// Hugging Face checkpoint import: config.json -> segx model config (every key honoured, refused
// by name or reported as not used), tensors -> detectron2 names (huggingface_names.cpp), checked by
// building the model. transformers' configuration classes as read (huggingface/transformers):
//   models/mask2former/configuration_mask2former.py @ f8d994c1b4ddf2d5323bbd83282db1ecae20cf3b
//   models/oneformer/configuration_oneformer.py @ b39782da06db496e7c2528808f42718e54157709
//   models/maskformer/configuration_maskformer.py @ 4e0291eb0db424c006c41f3b52369922ffd9c776
//   models/swin/configuration_swin.py @ 01ae98ae2414210efd0d9ac1ffe78ff21588f1f7
//   models/convnext/configuration_convnext.py @ bbe7c6c94d1c6da3a7e4dfd8df64d908897324e9
//   models/resnet/configuration_resnet.py (ResNetConfig: embedding_size, hidden_sizes, depths,
//     layer_type, downsample_in_first_stage, downsample_in_bottleneck)
// and where a key's effect was unclear, the modeling files (modeling_mask2former.py,
// modeling_oneformer.py, modeling_maskformer.py, modeling_swin.py, modeling_convnext.py).
#include "segx/model/import/huggingface.hpp"

#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include <ATen/ATen.h>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/model/import/detectron2.hpp"
#include "segx/model/model.hpp"

namespace segx::model {
namespace {

using json = nlohmann::json;

// ---- config keys ------------------------------------------------------------------------------

// PretrainedConfig's own attributes (configuration_utils.py): outputs, generation, tokenizer and
// bookkeeping, none of which changes a segmentation network.
const std::set<std::string>& pretrained_config_keys() {
  static const std::set<std::string> keys = {"return_dict",
                                             "output_hidden_states",
                                             "output_attentions",
                                             "torchscript",
                                             "torch_dtype",
                                             "dtype",
                                             "use_bfloat16",
                                             "tf_legacy_loss",
                                             "pruned_heads",
                                             "tie_word_embeddings",
                                             "chunk_size_feed_forward",
                                             "is_encoder_decoder",
                                             "is_decoder",
                                             "cross_attention_hidden_size",
                                             "add_cross_attention",
                                             "tie_encoder_decoder",
                                             "max_length",
                                             "min_length",
                                             "do_sample",
                                             "early_stopping",
                                             "num_beams",
                                             "num_beam_groups",
                                             "diversity_penalty",
                                             "temperature",
                                             "top_k",
                                             "top_p",
                                             "typical_p",
                                             "repetition_penalty",
                                             "length_penalty",
                                             "no_repeat_ngram_size",
                                             "encoder_no_repeat_ngram_size",
                                             "bad_words_ids",
                                             "num_return_sequences",
                                             "output_scores",
                                             "return_dict_in_generate",
                                             "forced_bos_token_id",
                                             "forced_eos_token_id",
                                             "remove_invalid_values",
                                             "exponential_decay_length_penalty",
                                             "suppress_tokens",
                                             "begin_suppress_tokens",
                                             "finetuning_task",
                                             "tokenizer_class",
                                             "prefix",
                                             "bos_token_id",
                                             "pad_token_id",
                                             "eos_token_id",
                                             "sep_token_id",
                                             "decoder_start_token_id",
                                             "task_specific_params",
                                             "problem_type",
                                             "_name_or_path",
                                             "_commit_hash",
                                             "transformers_version",
                                             "attn_implementation",
                                             "_attn_implementation_autoset",
                                             "gradient_checkpointing",
                                             "use_cache",
                                             "id2label",
                                             "label2id",
                                             "architectures",
                                             "num_labels"};
  return keys;
}

// One JSON object of the config (config.json, or a nested config such as backbone_config), read
// key by key: each key read is recorded in the report; finish() reports the rest as not used.
class ConfigKeys {
 public:
  ConfigKeys(const json& object, std::string path, std::string source, ImportReport& report)
      : object_(object), path_(std::move(path)), source_(std::move(source)), report_(report) {}

  const json* find(const std::string& key) const {
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  bool has(const std::string& key) const { return find(key) && !find(key)->is_null(); }
  std::string name(const std::string& key) const { return path_ + key; }

  [[noreturn]] void refuse(const std::string& key, const std::string& why) const {
    const json* v = find(key);
    if (v) fail(ErrorKind::Config, "'{}': {} = {}: {}", source_, name(key), v->dump(), why);
    fail(ErrorKind::Config, "'{}': {}: {}", source_, name(key), why);
  }

  // The value of `key` (or `fallback` when absent or null) as T; `target` is the segx key it
  // becomes (recorded as used).
  int integer(const std::string& key, int fallback, const std::string& target) {
    const json* v = take(key, target);
    if (!v) return fallback;
    if (v->is_number_integer()) return v->get<int>();
    if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>())
      return static_cast<int>(v->get<double>());
    refuse(key, "expected an integer");
  }
  double number(const std::string& key, double fallback, const std::string& target) {
    const json* v = take(key, target);
    if (!v) return fallback;
    if (!v->is_number()) refuse(key, "expected a number");
    return v->get<double>();
  }
  bool boolean(const std::string& key, bool fallback, const std::string& target) {
    const json* v = take(key, target);
    if (!v) return fallback;
    if (!v->is_boolean()) refuse(key, "expected true or false");
    return v->get<bool>();
  }
  std::string string(const std::string& key, const std::string& fallback,
                     const std::string& target) {
    const json* v = take(key, target);
    if (!v) return fallback;
    if (!v->is_string()) refuse(key, "expected a string");
    return v->get<std::string>();
  }
  std::vector<int> integers(const std::string& key, const std::vector<int>& fallback,
                            const std::string& target) {
    const json* v = take(key, target);
    if (!v) return fallback;
    if (!v->is_array()) refuse(key, "expected a list of integers");
    std::vector<int> out;
    for (const auto& e : *v) {
      if (!e.is_number_integer()) refuse(key, "expected a list of integers");
      out.push_back(e.get<int>());
    }
    return out;
  }

  // A key transformers reads but whose only value segx builds is `expected` (absent: its
  // default, which must be that value too).
  void require(const std::string& key, const json& expected, const std::string& why) {
    const json* v = find(key);
    done_.insert(key);
    if (!v || v->is_null()) return;
    if (*v != expected) refuse(key, why);
    report_.used.push_back(fmt::format("{} = {}: {}", name(key), v->dump(), why));
  }
  // A key of the model that does not change its inference (training, initialisation, outputs).
  void not_used(const std::string& key, const std::string& why) {
    done_.insert(key);
    if (find(key)) report_.not_used.push_back(fmt::format("{}: {}", name(key), why));
  }
  void mark(const std::string& key) { done_.insert(key); }
  void used(const std::string& key, const std::string& target) {
    done_.insert(key);
    report_.used.push_back(fmt::format("{} -> {}", name(key), target));
  }

  // Every key not read: PretrainedConfig's own ones, or keys this import does not know (which
  // transformers' model for this class does not read either: it keeps unknown keys as plain
  // attributes).
  void finish(const std::string& config_class) {
    std::string common;
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      if (done_.count(it.key())) continue;
      if (pretrained_config_keys().count(it.key()))
        common += (common.empty() ? "" : ", ") + name(it.key());
      else
        report_.not_used.push_back(
            fmt::format("{}: not a key of transformers' {} that changes the network (kept by "
                        "transformers as a plain attribute)",
                        name(it.key()), config_class));
    }
    if (!common.empty())
      report_.not_used.push_back(
          common + ": PretrainedConfig's own keys (outputs, generation, bookkeeping)");
  }

 private:
  const json* take(const std::string& key, const std::string& target) {
    done_.insert(key);
    const json* v = find(key);
    if (!v || v->is_null()) return nullptr;
    report_.used.push_back(fmt::format("{} -> {}", name(key), target));
    return v;
  }

  const json& object_;
  std::string path_, source_;
  ImportReport& report_;
  std::set<std::string> done_;
};

constexpr const char* kTraining = "training only (loss, matching, dropout or initialisation)";

void out_features(ConfigKeys& k, std::size_t stages) {
  std::vector<std::string> names;
  std::vector<int> indices;
  for (std::size_t i = 1; i <= stages; ++i) {
    names.push_back(fmt::format("stage{}", i));
    indices.push_back(static_cast<int>(i));
  }
  k.require("out_features", names, "segx's heads read every stage (res2..res5)");
  k.require("out_indices", indices, "segx's heads read every stage (res2..res5)");
  k.require("_out_features", names, "segx's heads read every stage (res2..res5)");
  k.require("_out_indices", indices, "segx's heads read every stage (res2..res5)");
  k.not_used("stage_names", "the stages' names, derived from depths");
  k.require("num_channels", 3, "segx reads RGB images");
}

// SwinConfig (and MaskFormerSwinConfig, the same keys).
void read_swin(ConfigKeys& k, SwinConfig& s) {
  s.pretrain_img_size = k.integer("image_size", 224, "swin.pretrain_img_size");
  s.patch_size = k.integer("patch_size", 4, "swin.patch_size");
  s.embed_dim = k.integer("embed_dim", 96, "swin.embed_dim");
  s.depths = k.integers("depths", {2, 2, 6, 2}, "swin.depths");
  s.num_heads = k.integers("num_heads", {3, 6, 12, 24}, "swin.num_heads");
  s.window_size = k.integer("window_size", 7, "swin.window_size");
  s.mlp_ratio = k.number("mlp_ratio", 4.0, "swin.mlp_ratio");
  s.qkv_bias = k.boolean("qkv_bias", true, "swin.qkv_bias");
  s.drop_path_rate = k.number("drop_path_rate", 0.1, "swin.drop_path_rate");
  if (s.num_heads.size() != s.depths.size())
    k.refuse("num_heads", "needs one entry per stage of depths");
  // transformers' SwinEmbeddings: a LayerNorm after the patch projection, always; attention
  // scaled by head_dim^-0.5 (segx qk_scale 0).
  s.patch_norm = true;
  s.qk_scale = 0;
  s.ape = false;
  k.require("use_absolute_embeddings", false,
            "transformers' position_embeddings [1, patches + 1, C] have no counterpart in "
            "D2SwinTransformer's absolute_pos_embed, and no conversion script maps them");
  k.require("hidden_act", "gelu", "D2SwinTransformer's MLP uses GELU");
  k.require("layer_norm_eps", 1e-5, "D2SwinTransformer's LayerNorms use eps 1e-5");
  k.require("path_norm", true, "a LayerNorm after the patch projection, as D2SwinTransformer");
  k.not_used("num_layers", "len(depths)");
  k.not_used("hidden_size", "the last stage's channels, derived from embed_dim and depths");
  k.not_used("hidden_dropout_prob", kTraining);
  k.not_used("attention_probs_dropout_prob", kTraining);
  k.not_used("initializer_range", kTraining);
  k.not_used("encoder_stride", "masked image modelling only");
  out_features(k, s.depths.size());
}

void read_convnext(ConfigKeys& k, ConvNeXtConfig& c) {
  c.dims = k.integers("hidden_sizes", {96, 192, 384, 768}, "convnext.dims");
  c.depths = k.integers("depths", {3, 3, 9, 3}, "convnext.depths");
  c.layer_scale_init_value =
      k.number("layer_scale_init_value", 1e-6, "convnext.layer_scale_init_value");
  c.drop_path_rate = k.number("drop_path_rate", 0.0, "convnext.drop_path_rate");
  if (c.dims.size() != c.depths.size()) k.refuse("hidden_sizes", "needs one entry per stage");
  k.require("num_stages", static_cast<int>(c.depths.size()), "one stage per entry of depths");
  k.require("patch_size", 4, "D2ConvNeXt's stem is a 4x4 convolution of stride 4");
  k.require("hidden_act", "gelu", "D2ConvNeXt's blocks use GELU");
  k.not_used("layer_norm_eps",
             "ConvNextModel's final LayerNorm only, which ConvNextBackbone does not have (its "
             "norms use 1e-6, as D2ConvNeXt)");
  k.not_used("initializer_range", kTraining);
  k.not_used("image_size", "not read by ConvNextBackbone");
  out_features(k, c.depths.size());
}

void read_resnet(ConfigKeys& k, ResNetConfig& r) {
  r.stem_out_channels = k.integer("embedding_size", 64, "resnet.stem_out_channels");
  const auto hidden = k.integers("hidden_sizes", {256, 512, 1024, 2048},
                                 "resnet.res2_out_channels (hidden_sizes[0])");
  const auto depths = k.integers("depths", {3, 4, 6, 3}, "resnet.depth");
  r.stride_in_1x1 = k.boolean("downsample_in_bottleneck", false, "resnet.stride_in_1x1");
  k.require("layer_type", "bottleneck",
            "segx imports transformers' bottleneck ResNets (50, 101, 152)");
  k.require("hidden_act", "relu", "detectron2's ResNet uses ReLU");
  k.require("downsample_in_first_stage", false, "detectron2's res2 keeps the stem's stride");
  if (depths == std::vector<int>{3, 4, 6, 3})
    r.depth = 50;
  else if (depths == std::vector<int>{3, 4, 23, 3})
    r.depth = 101;
  else if (depths == std::vector<int>{3, 8, 36, 3})
    r.depth = 152;
  else
    k.refuse("depths", "not ResNet-50, -101 or -152's blocks per stage");
  if (hidden.size() != 4 || hidden[0] % 4 != 0)
    k.refuse("hidden_sizes", "needs 4 stages whose widths are multiples of 4");
  for (int s = 1; s < 4; ++s)
    if (hidden[s] != hidden[0] << s)
      k.refuse("hidden_sizes", "detectron2's ResNet doubles the width at every stage");
  r.res2_out_channels = hidden[0];
  // transformers' bottleneck narrows by 4 (ResNetBottleNeckLayer reduction); detectron2's by
  // num_groups * width_per_group.
  r.width_per_group = hidden[0] / 4;
  r.num_groups = 1;
  r.norm = "FrozenBN";
  r.stem_type = "basic";
  out_features(k, 4);
}

// backbone_config -> the segx backbone; the layout of its tensors.
HuggingFaceSwinLayout read_backbone(ConfigKeys& top, ModelConfig& c, const std::string& source,
                                    ImportReport& report) {
  top.mark("backbone_config");
  if (top.has("backbone") && !top.has("backbone_config"))
    top.refuse("backbone",
               "names a backbone that transformers loads from the hub or timm; "
               "segx needs the checkpoint's backbone_config");
  top.require("use_timm_backbone", false, "segx builds transformers' own backbones");
  top.not_used("use_pretrained_backbone", "the backbone's weights come from the checkpoint");
  top.not_used("backbone", "backbone_config decides");
  const json* b = top.find("backbone_config");
  if (!b || b->is_null())
    top.refuse("backbone_config",
               "absent: transformers would build its default Swin, which "
               "segx does not assume; write the backbone's config out");
  if (!b->is_object()) top.refuse("backbone_config", "expected an object");
  if (top.has("backbone_kwargs") && !top.find("backbone_kwargs")->empty())
    top.refuse("backbone_kwargs", "is for a named backbone; segx reads backbone_config");
  top.not_used("backbone_kwargs", "empty");

  ConfigKeys k(*b, "backbone_config.", source, report);
  const std::string type = k.string("model_type", "", "backbone");
  auto layout = HuggingFaceSwinLayout::Swin;
  if (type == "swin" || type == "maskformer-swin") {
    c.backbone = "swin";
    read_swin(k, c.swin);
    // MaskFormer turns a SwinConfig into a MaskFormerSwinConfig (MaskFormerPixelLevelModule), and
    // AutoBackbone builds MaskFormerSwinBackbone for "maskformer-swin" in any model.
    if (c.is_maskformer() || type == "maskformer-swin")
      layout = HuggingFaceSwinLayout::MaskFormerSwin;
    if (layout == HuggingFaceSwinLayout::Swin)
      report.notes.push_back(
          "transformers' SwinBackbone shrinks a window to a feature map smaller than it where "
          "D2SwinTransformer pads; segx runs the official D2SwinTransformer, so small inputs give "
          "the official checkpoint's results, which may differ from transformers'");
    k.finish(type == "swin" ? "SwinConfig" : "MaskFormerSwinConfig");
  } else if (type == "convnext") {
    c.backbone = "convnext";
    read_convnext(k, c.convnext);
    k.finish("ConvNextConfig");
  } else if (type == "resnet") {
    c.backbone = "resnet";
    read_resnet(k, c.resnet);
    k.finish("ResNetConfig");
  } else if (type == "dinat") {
    k.refuse("model_type",
             "DiNAT (dilated neighborhood attention, OneFormer's DiNAT models) is not "
             "a backbone segx has (swin, convnext, resnet)");
  } else {
    k.refuse("model_type", "not a backbone segx imports (swin, maskformer-swin, convnext, resnet)");
  }
  return layout;
}

// id2label -> num_classes and class_names.
void read_labels(ConfigKeys& k, ModelConfig& c) {
  const json* ids = k.find("id2label");
  k.mark("id2label");
  k.not_used("label2id", "the inverse of id2label");
  if (!ids || ids->is_null()) {
    // PretrainedConfig: without id2label, num_labels (default 2) labels named LABEL_i
    c.num_classes = k.integer("num_labels", 2, "num_classes");
    return;
  }
  if (!ids->is_object() || ids->empty()) k.refuse("id2label", "expected an object of labels");
  const int n = static_cast<int>(ids->size());
  c.class_names.assign(n, "");
  for (auto it = ids->begin(); it != ids->end(); ++it) {
    int id = -1;
    try {
      std::size_t used = 0;
      id = std::stoi(it.key(), &used);
      if (used != it.key().size()) id = -1;
    } catch (const std::exception&) {
    }
    if (id < 0 || id >= n || !c.class_names[id].empty() || !it.value().is_string())
      k.refuse("id2label", "needs the ids 0..N-1, each once, with a name");
    c.class_names[id] = it.value().get<std::string>();
  }
  c.num_classes = n;
  k.used("id2label", "num_classes, class_names");
  k.require("num_labels", n, "transformers counts the labels of id2label");
}

void read_mask2former(ConfigKeys& k, ModelConfig& c) {
  auto& p = c.pixel_decoder;
  auto& d = c.decoder;
  p.conv_dim = k.integer("feature_size", 256, "pixel_decoder.conv_dim");
  p.mask_dim = k.integer("mask_feature_size", 256, "pixel_decoder.mask_dim");
  d.hidden_dim = k.integer("hidden_dim", 256, "decoder.hidden_dim");
  p.transformer_dim_feedforward =
      k.integer("encoder_feedforward_dim", 1024, "pixel_decoder.transformer_dim_feedforward");
  p.transformer_enc_layers = k.integer("encoder_layers", 6, "pixel_decoder.transformer_enc_layers");
  d.dec_layers = k.integer("decoder_layers", 10, "decoder.dec_layers");
  d.nheads =
      k.integer("num_attention_heads", 8, "decoder.nheads, pixel_decoder.transformer_nheads");
  p.transformer_nheads = d.nheads;
  d.dim_feedforward = k.integer("dim_feedforward", 2048, "decoder.dim_feedforward");
  d.pre_norm = k.boolean("pre_norm", false, "decoder.pre_norm");
  p.common_stride = k.integer("common_stride", 4, "pixel_decoder.common_stride");
  d.num_queries = k.integer("num_queries", 100, "decoder.num_queries");
  k.require("activation_function", "relu", "the official decoder's FFN uses ReLU");
  k.require("feature_strides", std::vector<int>{4, 8, 16, 32}, "the backbone's res2..res5 strides");
  k.require("enforce_input_projection", false,
            "transformers keeps the decoder's input projections in a plain list, outside its "
            "state dict, so a checkpoint cannot carry them");
  k.require("is_video", false, "video Mask2Former is not a model segx has");
  k.not_used("num_frames", "video only");
  k.not_used("enforce_input_proj",
             "set by transformers' conversion script as a stray attribute; transformers reads "
             "enforce_input_projection");
  k.not_used("num_hidden_layers", "an alias of decoder_layers");
  for (const char* key :
       {"dropout", "ignore_value", "no_object_weight", "class_weight", "mask_weight", "dice_weight",
        "train_num_points", "oversample_ratio", "importance_sample_ratio", "init_std",
        "init_xavier_std", "use_auxiliary_loss"})
    k.not_used(key, kTraining);
  k.not_used("output_auxiliary_logits", "which outputs transformers returns");
  if (p.conv_dim != d.hidden_dim)
    k.refuse("feature_size", fmt::format("differs from hidden_dim {}: the decoder's input "
                                         "projections it needs are outside transformers' state "
                                         "dict, so a checkpoint cannot carry them",
                                         d.hidden_dim));
  d.enforce_input_proj = false;
  p.name = "msdeformattn";
  p.norm = "GN";
  p.norm_groups = 32;
  p.n_points = 4;
}

void read_oneformer(ConfigKeys& k, ModelConfig& c) {
  auto& p = c.pixel_decoder;
  auto& d = c.decoder;
  p.conv_dim = k.integer("conv_dim", 256, "pixel_decoder.conv_dim");
  p.mask_dim = k.integer("mask_dim", 256, "pixel_decoder.mask_dim");
  d.hidden_dim = k.integer("hidden_dim", 256, "decoder.hidden_dim");
  p.transformer_dim_feedforward =
      k.integer("encoder_feedforward_dim", 1024, "pixel_decoder.transformer_dim_feedforward");
  p.transformer_enc_layers = k.integer("encoder_layers", 6, "pixel_decoder.transformer_enc_layers");
  d.dec_layers = k.integer("decoder_layers", 10, "decoder.dec_layers");
  d.nheads =
      k.integer("num_attention_heads", 8, "decoder.nheads, pixel_decoder.transformer_nheads");
  p.transformer_nheads = d.nheads;
  d.dim_feedforward = k.integer("dim_feedforward", 2048, "decoder.dim_feedforward");
  d.pre_norm = k.boolean("pre_norm", false, "decoder.pre_norm");
  p.common_stride = k.integer("common_stride", 4, "pixel_decoder.common_stride");
  d.num_queries = k.integer("num_queries", 150, "decoder.num_queries");
  c.oneformer.task_seq_len = k.integer("task_seq_len", 77, "oneformer.task_seq_len");
  c.oneformer.use_task_norm = k.boolean("use_task_norm", true, "oneformer.use_task_norm");
  c.oneformer.class_dec_layers = k.integer("query_dec_layers", 2, "oneformer.class_dec_layers");
  k.require("norm", "GN", "the official pixel decoder's GroupNorm");
  k.require("layer_norm_eps", 1e-5, "the official decoder's LayerNorms use eps 1e-5");
  k.require("strides", std::vector<int>{4, 8, 16, 32}, "the backbone's res2..res5 strides");
  k.require("enforce_input_proj", false,
            "transformers keeps the decoder's input projections in a plain list, outside its "
            "state dict, so a checkpoint cannot carry them");
  k.not_used("is_training", "adds the text encoder of the contrastive loss (training only)");
  for (const char* key :
       {"text_encoder_width", "text_encoder_context_length", "text_encoder_num_layers",
        "text_encoder_vocab_size", "text_encoder_proj_layers", "text_encoder_n_ctx", "max_seq_len"})
    k.not_used(key, "the text encoder of the contrastive loss (training only)");
  for (const char* key :
       {"dropout", "ignore_value", "no_object_weight", "class_weight", "mask_weight", "dice_weight",
        "contrastive_weight", "contrastive_temperature", "train_num_points", "oversample_ratio",
        "importance_sample_ratio", "init_std", "init_xavier_std", "use_auxiliary_loss"})
    k.not_used(key, kTraining);
  k.not_used("output_auxiliary_logits", "which outputs transformers returns");
  k.not_used("num_hidden_layers", "an alias of decoder_layers");
  if (const json* n = k.find("num_classes"))
    k.not_used("num_classes",
               *n == json(c.num_classes)
                   ? "set by transformers' conversion script; transformers counts id2label"
                   : fmt::format("set by transformers' conversion script, and differs from "
                                 "id2label's {} labels, which transformers builds the class "
                                 "head from",
                                 c.num_classes));
  if (p.conv_dim != d.hidden_dim)
    k.refuse("conv_dim", fmt::format("differs from hidden_dim {}: the decoder's input "
                                     "projections it needs are outside transformers' state "
                                     "dict, so a checkpoint cannot carry them",
                                     d.hidden_dim));
  d.enforce_input_proj = false;
  p.name = "msdeformattn";
  p.norm = "GN";
  p.norm_groups = 32;
  p.n_points = 4;
}

void read_maskformer(ConfigKeys& k, ModelConfig& c, const std::string& source,
                     ImportReport& report) {
  auto& p = c.pixel_decoder;
  auto& d = c.decoder;
  p.conv_dim = k.integer("fpn_feature_size", 256, "pixel_decoder.conv_dim");
  p.mask_dim = k.integer("mask_feature_size", 256, "pixel_decoder.mask_dim");
  for (const char* key : {"no_object_weight", "use_auxiliary_loss", "init_std", "init_xavier_std",
                          "dice_weight", "cross_entropy_weight", "mask_weight"})
    k.not_used(key, kTraining);
  k.not_used("output_auxiliary_logits", "which outputs transformers returns");
  k.not_used("num_attention_heads", "decoder_config.encoder_attention_heads, copied");
  k.not_used("num_hidden_layers", "decoder_config.num_hidden_layers, copied");
  k.mark("decoder_config");
  const json* dc = k.find("decoder_config");
  if (!dc || dc->is_null())
    k.refuse("decoder_config",
             "absent: transformers would build DetrConfig()'s default "
             "decoder, which segx does not assume; write it out");
  if (!dc->is_object()) k.refuse("decoder_config", "expected an object");
  ConfigKeys dk(*dc, "decoder_config.", source, report);
  dk.require("model_type", "detr", "MaskFormer's decoder is DETR's");
  d.hidden_dim = dk.integer("d_model", 256, "decoder.hidden_dim");
  d.num_queries = dk.integer("num_queries", 100, "decoder.num_queries");
  d.dec_layers = dk.integer("decoder_layers", 6, "decoder.dec_layers");
  d.nheads = dk.integer("decoder_attention_heads", 8, "decoder.nheads");
  d.dim_feedforward = dk.integer("decoder_ffn_dim", 2048, "decoder.dim_feedforward");
  dk.require("activation_function", "relu", "the official decoder's FFN uses ReLU");
  for (const char* key : {"encoder_layers", "encoder_ffn_dim", "encoder_attention_heads",
                          "encoder_layerdrop", "num_hidden_layers"})
    dk.not_used(key, "DETR's encoder, which transformers' MaskFormer does not build");
  for (const char* key : {"backbone", "backbone_config", "use_timm_backbone",
                          "use_pretrained_backbone", "backbone_kwargs", "num_channels", "dilation"})
    dk.not_used(key, "DETR's own backbone, which transformers' MaskFormer does not build");
  for (const char* key :
       {"dropout", "attention_dropout", "activation_dropout", "decoder_layerdrop", "init_std",
        "init_xavier_std", "auxiliary_loss", "class_cost", "bbox_cost", "giou_cost",
        "mask_loss_coefficient", "dice_loss_coefficient", "bbox_loss_coefficient",
        "giou_loss_coefficient", "eos_coefficient"})
    dk.not_used(key, kTraining);
  dk.not_used("position_embedding_type",
              "DETR's own; MaskFormer's decoder takes its sine embedding");
  dk.not_used("max_position_embeddings", "not read by DetrDecoder");
  dk.not_used("scale_embedding", "not read by DetrDecoder");
  dk.finish("DetrConfig");
  // transformers' MaskFormer: BasePixelDecoder with GroupNorm(32) (MaskFormerFPNModel), DETR's
  // post-norm decoder on the backbone's last stage, no decoder encoder, a projection only where
  // the channels differ.
  p.name = "fpn";
  p.norm = "GN";
  p.norm_groups = 32;
  d.enc_layers = 0;
  d.transformer_in_feature = "res5";
  d.pre_norm = false;
  d.enforce_input_proj = false;
}

// preprocessor_config.json (the image processor the conversion scripts save beside the model).
void read_preprocessor(const json& pre, const std::string& source, ModelConfig& c,
                       ImportReport& report) {
  ConfigKeys k(pre, "", source, report);
  k.require("do_normalize", true, "segx normalises by pixel_mean and pixel_std");
  k.require("do_rescale", true, "segx normalises pixels of 0..255");
  if (k.has("rescale_factor") &&
      std::abs(k.number("rescale_factor", 1 / 255.0, "(1/255)") * 255 - 1) > 1e-6)
    k.refuse("rescale_factor", "segx normalises pixels of 0..255 (rescale_factor 1/255)");
  for (const char* key : {"image_mean", "image_std"}) {
    const json* v = k.find(key);
    k.mark(key);
    if (!v || v->is_null()) continue;
    if (!v->is_array() || v->size() != 3)
      k.refuse(key, "expected 3 values (transformers' scale 0..1)");
    std::vector<double> out;
    for (const auto& e : *v) out.push_back(e.get<double>() * 255.0);
    (std::string(key) == "image_mean" ? c.pixel_mean : c.pixel_std) = out;
    report.used.push_back(fmt::format(
        "{} -> {} (x 255)", key, std::string(key) == "image_mean" ? "pixel_mean" : "pixel_std"));
  }
  const bool resize = k.boolean("do_resize", true, "test.min_size, test.max_size (when false: 0)");
  if (const json* size = k.find("size"); size && !size->is_null()) {
    k.mark("size");
    int shortest = 0, longest = 0;
    if (size->is_number_integer()) {  // older processors: size and max_size
      shortest = size->get<int>();
      longest = k.integer("max_size", 0, "test.max_size");
    } else if (size->is_object() && size->contains("shortest_edge")) {
      shortest = size->at("shortest_edge").get<int>();
      longest = size->value("longest_edge", 0);
    } else {
      // Mask2Former's conversion script sets {"height": 384, "width": 384}: a fixed size,
      // which segx's shortest-edge resize cannot express; images then go in as given.
      k.not_used("size",
                 "a fixed height and width, which segx's test-time resize (shortest edge, "
                 "capped longest edge) cannot express: test.min_size/max_size stay 0, "
                 "images as given");
    }
    if (resize && shortest > 0) {
      c.test.min_size = shortest;
      c.test.max_size = longest;
      report.used.push_back("size -> test.min_size, test.max_size");
    }
  }
  k.not_used("max_size", "folded into size");
  // size_divisor (image processors) or size_divisibility (MaskFormerFeatureExtractor)
  c.size_divisibility = k.integer("size_divisor", c.size_divisibility, "size_divisibility");
  c.size_divisibility = k.integer("size_divisibility", c.size_divisibility, "size_divisibility");
  if (c.size_divisibility <= 0) c.size_divisibility = 1;
  if (const json* meta = k.find("metadata"); meta && meta->is_object()) {
    k.mark("metadata");
    // OneFormer's prepare_metadata(class_info): thing_ids are contiguous ids
    if (meta->contains("thing_ids")) {
      for (const auto& t : meta->at("thing_ids")) {
        const int id = t.get<int>();
        if (id < 0 || id >= c.num_classes)
          k.refuse("metadata", fmt::format("thing id {} outside 0..{}", id, c.num_classes - 1));
        c.thing_classes.push_back(id);
      }
      report.used.push_back("metadata.thing_ids -> thing_classes");
    }
    if (meta->contains("class_names") && meta->at("class_names") != json(c.class_names))
      report.notes.push_back(fmt::format(
          "{}: metadata.class_names differ from config.json's id2label; class_names follow "
          "id2label",
          source));
  }
  for (const char* key :
       {"resample", "ignore_index", "do_reduce_labels", "reduce_labels", "num_labels", "repo_path",
        "class_info_file", "num_text", "image_processor_type", "processor_class",
        "feature_extractor_type", "do_pad", "pad_size", "input_data_format", "data_format"})
    k.not_used(key, "training labels or how transformers calls the processor");
  k.finish("its image processor");
}

void check_segx_rules(const ModelConfig& c, const std::string& source) {
  // segx's own rules between keys (head counts dividing widths, ...), named by segx's keys.
  try {
    parse_model_config(model_config_to_json(c), source);
  } catch (const Error& e) {
    fail(ErrorKind::Config, "{} (imported from '{}')", e.what(), source);
  }
}

// ---- tensors ----------------------------------------------------------------------------------

std::string shape_text(at::IntArrayRef s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string list_some(const std::vector<std::string>& items, std::size_t shown = 6) {
  std::string out;
  for (std::size_t i = 0; i < std::min(items.size(), shown); ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > shown) out += fmt::format(" (+{} more)", items.size() - shown);
  return out;
}

std::string display(const HuggingFaceNameRule& r) {
  std::string out;
  for (std::size_t i = 0; i < r.huggingface.size(); ++i) out += (i ? " + " : "") + r.huggingface[i];
  return out;
}

// Replaces each detectron2 tensor name in `message` by the checkpoint's name(s) for it.
std::string to_checkpoint_names(const std::string& message,
                                const std::map<std::string, std::string>& names) {
  std::string out;
  std::size_t i = 0;
  auto is_name_char = [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.';
  };
  while (i < message.size()) {
    if (!is_name_char(message[i])) {
      out += message[i++];
      continue;
    }
    std::size_t j = i;
    while (j < message.size() && is_name_char(message[j])) ++j;
    std::string token = message.substr(i, j - i);
    auto it = names.find(token);
    out += it == names.end() ? token : it->second;
    i = j;
  }
  return out;
}

json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) fail(ErrorKind::NoInput, "cannot open '{}': {}", path.string(), errno_text(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return json::parse(ss.str());
  } catch (const json::exception& e) {
    fail(ErrorKind::DataError, "'{}': not JSON: {}", path.string(), e.what());
  }
}

// pytorch_model.bin (a torch.save file): io's restricted reader, which runs nothing the file
// names and refuses what is not a tensor, a storage or plain data.
io::TensorMap read_pytorch_model_bin(const std::filesystem::path& path) {
  return io::to_tensors(io::read_torch_checkpoint(path.string()), path.string());
}

io::TensorMap load_checkpoint(const std::filesystem::path& folder, std::string& source,
                              ImportReport& report) {
  const auto safetensors = folder / "model.safetensors";
  const auto index = folder / "model.safetensors.index.json";
  const auto bin = folder / "pytorch_model.bin";
  if (std::filesystem::exists(safetensors)) {
    source = safetensors.string();
    return io::load_tensors(source);
  }
  if (std::filesystem::exists(index)) {
    source = index.string();
    const json j = read_json(index);
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      fail(ErrorKind::DataError, "'{}': no weight_map", source);
    std::set<std::string> shards;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it)
      shards.insert(it.value().get<std::string>());
    io::TensorMap all;
    for (const auto& shard : shards) {
      for (auto& [name, t] : io::load_tensors((folder / shard).string())) {
        if (!all.emplace(name, t).second)
          fail(ErrorKind::DataError, "'{}': tensor '{}' in two shards", source, name);
      }
    }
    report.notes.push_back(fmt::format("weights: {} shards of {}", shards.size(), source));
    return all;
  }
  if (std::filesystem::exists(bin)) {
    source = bin.string();
    return read_pytorch_model_bin(bin);
  }
  fail(ErrorKind::NoInput,
       "'{}': no model.safetensors, model.safetensors.index.json or pytorch_model.bin",
       folder.string());
}

}  // namespace

namespace {

// transformers' conversion scripts copy id2label from detectron2's dataset metadata, which also
// says which classes are things; where id2label names exactly the classes of a panoptic dataset
// segx knows (in order), take that dataset's thing classes and category ids.
void things_from_known_dataset(ModelConfig& c, ImportReport& report) {
  if (c.class_names.empty()) return;
  for (const char* dataset :
       {"coco_2017_train_panoptic", "ade20k_panoptic_train", "cityscapes_fine_panoptic_train",
        "mapillary_vistas_panoptic_train"}) {
    const auto known = detectron2_dataset_classes(dataset, "mask2former");
    if (!known.known || known.class_names != c.class_names || known.thing_classes.empty()) continue;
    c.thing_classes = known.thing_classes;
    if (c.category_ids.empty()) c.category_ids = known.category_ids;
    report.notes.push_back(fmt::format(
        "thing_classes{}: from {} (detectron2's {}), whose {} classes id2label names in order",
        known.category_ids.empty() ? "" : " and category_ids", known.source, dataset,
        known.class_names.size()));
    return;
  }
}

}  // namespace

HuggingFaceModelConfig huggingface_model_config(const json& cfg, const json& pre,
                                                const std::string& source, ImportReport& report) {
  if (!cfg.is_object()) fail(ErrorKind::Config, "'{}': expected a JSON object", source);
  HuggingFaceModelConfig out;
  ModelConfig& c = out.config;
  ConfigKeys k(cfg, "", source, report);

  // architectures / model_type -> the segx architecture
  static const std::map<std::string, std::string> kArchitectures = {
      {"Mask2FormerForUniversalSegmentation", "mask2former"},
      {"OneFormerForUniversalSegmentation", "oneformer"},
      {"MaskFormerForInstanceSegmentation", "maskformer"}};
  const std::string model_type = k.string("model_type", "", "architecture");
  std::string architecture;
  if (model_type == "mask2former" || model_type == "oneformer" || model_type == "maskformer")
    architecture = model_type;
  else if (model_type.empty())
    k.refuse("model_type", "absent: transformers needs it to know the model");
  else
    k.refuse("model_type", "not a model segx imports (mask2former, oneformer, maskformer)");
  k.mark("architectures");
  if (const json* a = k.find("architectures"); a && !a->is_null()) {
    if (!a->is_array() || a->size() != 1 || !a->at(0).is_string())
      k.refuse("architectures", "expected one class name");
    const std::string name = a->at(0).get<std::string>();
    auto it = kArchitectures.find(name);
    if (it == kArchitectures.end())
      k.refuse("architectures",
               "segx imports Mask2FormerForUniversalSegmentation, "
               "OneFormerForUniversalSegmentation and MaskFormerForInstanceSegmentation (a "
               "model without its segmentation heads has no class predictor)");
    if (it->second != architecture)
      k.refuse("architectures", fmt::format("is not a model of model_type '{}'", model_type));
    report.used.push_back(fmt::format("architectures -> architecture ({})", architecture));
  } else {
    report.notes.push_back(
        fmt::format("{}: no architectures; taken as model_type's segmentation "
                    "model",
                    source));
  }
  c.architecture = architecture;

  read_labels(k, c);
  out.swin_layout = read_backbone(k, c, source, report);
  if (architecture == "mask2former") read_mask2former(k, c);
  if (architecture == "oneformer") read_oneformer(k, c);
  if (architecture == "maskformer") read_maskformer(k, c, source, report);
  k.finish(architecture == "mask2former" ? "Mask2FormerConfig"
           : architecture == "oneformer" ? "OneFormerConfig"
                                         : "MaskFormerConfig");

  // What transformers' configs cannot say.
  if (!pre.is_null()) {
    const auto pre_source =
        (std::filesystem::path(source).parent_path() / "preprocessor_config.json").string();
    read_preprocessor(pre, pre_source, c, report);
  }
  if (c.thing_classes.empty()) things_from_known_dataset(c, report);
  if (c.thing_classes.empty())
    report.notes.push_back(
        "thing_classes: transformers' config does not say which classes are things (its "
        "panoptic post-processing takes label_ids_to_fuse as an argument); none set, so panoptic "
        "and instance output treat every class as stuff: set thing_classes in the model config");
  report.notes.push_back(fmt::format(
      "test.object_mask_threshold {}, test.overlap_threshold {}, test.topk_per_image {}, "
      "test.sem_seg_postprocess_before_inference {}: segx's defaults (transformers' configs hold "
      "no inference thresholds; its post-processing takes them as arguments)",
      c.test.object_mask_threshold, c.test.overlap_threshold, c.test.topk_per_image,
      c.test.sem_seg_postprocess_before_inference));
  check_segx_rules(c, source);
  return out;
}

io::TensorMap huggingface_to_detectron2(const HuggingFaceModelConfig& config, io::TensorMap hf,
                                        const std::string& source, ImportReport& report) {
  const auto rules = huggingface_name_rules(config.config, config.swin_layout);
  io::TensorMap out;
  std::set<std::string> consumed;
  std::vector<std::string> missing, misshaped;
  int renamed = 0, fused = 0;
  for (const auto& rule : rules) {
    std::vector<at::Tensor> parts;
    for (const auto& name : rule.huggingface) {
      auto it = hf.find(name);
      if (it == hf.end()) continue;
      consumed.insert(name);
      parts.push_back(it->second);
    }
    if (parts.size() != rule.huggingface.size()) {
      if (!rule.derived)
        for (const auto& name : rule.huggingface)
          if (!hf.count(name)) missing.push_back(name);
      continue;
    }
    if (parts.size() == 1) {
      out[rule.detectron2] = parts[0];
      ++renamed;
      continue;
    }
    // q, k, v: equal shapes and dtypes, concatenated along dim 0
    bool same = true;
    for (const auto& p : parts)
      same = same && p.sizes() == parts[0].sizes() && p.scalar_type() == parts[0].scalar_type() &&
             p.dim() >= 1;
    if (!same) {
      std::string shapes;
      for (std::size_t i = 0; i < parts.size(); ++i)
        shapes += fmt::format("{}{} {}", i ? ", " : "", rule.huggingface[i],
                              shape_text(parts[i].sizes()));
      misshaped.push_back(shapes + " (query, key and value must agree)");
      continue;
    }
    out[rule.detectron2] = at::cat(parts, 0);
    ++fused;
  }
  std::vector<std::string> unexpected;
  std::map<std::string, std::vector<std::string>> ignored;
  for (const auto& [name, t] : hf) {
    if (consumed.count(name)) continue;
    const auto why = huggingface_ignored_tensor(name);
    if (why.empty())
      unexpected.push_back(name);
    else
      ignored[why].push_back(name);
  }
  if (!missing.empty() || !unexpected.empty() || !misshaped.empty()) {
    std::string parts;
    if (!missing.empty())
      parts += fmt::format("; {} missing: {}", missing.size(), list_some(missing));
    if (!misshaped.empty())
      parts += fmt::format("; {} mis-shaped: {}", misshaped.size(), list_some(misshaped));
    if (!unexpected.empty())
      parts += fmt::format("; {} unexpected (no detectron2 name maps to them): {}",
                           unexpected.size(), list_some(unexpected));
    fail(ErrorKind::Config, "'{}': tensors do not match config.json's {} model{}", source,
         config.config.architecture, parts);
  }
  report.notes.push_back(
      fmt::format("tensors: {} renamed, {} concatenated back from query, key "
                  "and value projections",
                  renamed, fused));
  for (const auto& [why, names] : ignored)
    report.not_used.push_back(fmt::format("tensors {}: {}", list_some(names, 3), why));
  return out;
}

void check_by_building(const HuggingFaceModelConfig& config, io::TensorMap& tensors,
                       const std::string& source, ImportReport& report) {
  const auto rules = huggingface_name_rules(config.config, config.swin_layout);
  std::map<std::string, std::string> names;
  for (const auto& r : rules) names[r.detectron2] = display(r);
  try {
    c10::InferenceMode guard;
    Weights weights(tensors, source);
    auto model = build_model(config.config, weights);
    weights.finish();
  } catch (const Error& e) {
    // Weights::finish() says "the model config": here it is the one config.json gave
    std::string message = to_checkpoint_names(e.what(), names);
    const std::string generic = "weights do not match the model config";
    if (auto at = message.find(generic); at != std::string::npos)
      message.replace(
          at, generic.size(),
          fmt::format("tensors do not match config.json's {} model", config.config.architecture));
    throw Error(e.kind(), message);
  }
  int derived = 0;
  for (const auto& r : rules)
    if (r.derived && tensors.erase(r.detectron2)) ++derived;
  if (derived)
    report.notes.push_back(fmt::format(
        "{} relative_position_index buffers: checked against Swin's for window {}, not kept "
        "(segx computes them)",
        derived, config.config.swin.window_size));
}

ImportedModel import_huggingface(const std::string& folder_name, ImportReport& report) {
  const std::filesystem::path folder(folder_name);
  const auto config_path = folder / "config.json";
  if (!std::filesystem::exists(config_path))
    fail(ErrorKind::NoInput, "'{}': no config.json (a Hugging Face model folder has one)",
         folder.string());
  const json cfg = read_json(config_path);
  json pre;
  if (std::filesystem::exists(folder / "preprocessor_config.json"))
    pre = read_json(folder / "preprocessor_config.json");
  auto config = huggingface_model_config(cfg, pre, config_path.string(), report);

  std::string source;
  io::TensorMap hf = load_checkpoint(folder, source, report);
  ImportedModel out;
  out.tensors = huggingface_to_detectron2(config, std::move(hf), source, report);
  check_by_building(config, out.tensors, source, report);
  out.config = config.config;
  return out;
}

}  // namespace segx::model
