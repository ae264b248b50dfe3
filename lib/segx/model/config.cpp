// JSON model configuration: parsing with defaults, validation, writing.
#include "segx/model/config.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::model {
namespace {

using nlohmann::json;

// Reads an optional field, failing with the field's path when the type is wrong.
template <typename T>
void get(const json& j, const char* key, T& out, const std::string& source,
         const std::string& where) {
  if (!j.contains(key)) return;
  try {
    out = j.at(key).get<T>();
  } catch (const json::exception&) {
    fail(ErrorKind::Config, "'{}': {}{} has the wrong type: {}", source, where, key,
         j.at(key).dump());
  }
}

void check(bool ok, const std::string& source, const std::string& what) {
  if (!ok) fail(ErrorKind::Config, "'{}': {}", source, what);
}

}  // namespace

bool ModelConfig::is_thing(int id) const {
  return std::find(thing_classes.begin(), thing_classes.end(), id) != thing_classes.end();
}

ModelConfig parse_model_config(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(ErrorKind::Config, "'{}': model config is not JSON: {}", source, e.what());
  }
  check(j.is_object(), source, "model config is not a JSON object");
  ModelConfig c;
  const std::string& s = source;
  get(j, "architecture", c.architecture, s, "");
  get(j, "num_classes", c.num_classes, s, "");
  get(j, "pixel_mean", c.pixel_mean, s, "");
  get(j, "pixel_std", c.pixel_std, s, "");
  get(j, "size_divisibility", c.size_divisibility, s, "");
  get(j, "thing_classes", c.thing_classes, s, "");
  get(j, "category_ids", c.category_ids, s, "");
  get(j, "class_names", c.class_names, s, "");
  if (j.contains("resnet")) {
    const auto& r = j["resnet"];
    get(r, "depth", c.resnet.depth, s, "resnet.");
    get(r, "stem_out_channels", c.resnet.stem_out_channels, s, "resnet.");
    get(r, "res2_out_channels", c.resnet.res2_out_channels, s, "resnet.");
    get(r, "width_per_group", c.resnet.width_per_group, s, "resnet.");
    get(r, "num_groups", c.resnet.num_groups, s, "resnet.");
    get(r, "stride_in_1x1", c.resnet.stride_in_1x1, s, "resnet.");
    get(r, "res5_dilation", c.resnet.res5_dilation, s, "resnet.");
    get(r, "norm", c.resnet.norm, s, "resnet.");
    get(r, "norm_groups", c.resnet.norm_groups, s, "resnet.");
  }
  if (j.contains("pixel_decoder")) {
    const auto& p = j["pixel_decoder"];
    auto& o = c.pixel_decoder;
    get(p, "conv_dim", o.conv_dim, s, "pixel_decoder.");
    get(p, "mask_dim", o.mask_dim, s, "pixel_decoder.");
    get(p, "norm", o.norm, s, "pixel_decoder.");
    get(p, "norm_groups", o.norm_groups, s, "pixel_decoder.");
    get(p, "transformer_enc_layers", o.transformer_enc_layers, s, "pixel_decoder.");
    get(p, "transformer_nheads", o.transformer_nheads, s, "pixel_decoder.");
    get(p, "transformer_dim_feedforward", o.transformer_dim_feedforward, s, "pixel_decoder.");
    get(p, "n_points", o.n_points, s, "pixel_decoder.");
    get(p, "common_stride", o.common_stride, s, "pixel_decoder.");
    get(p, "transformer_in_features", o.transformer_in_features, s, "pixel_decoder.");
  }
  if (j.contains("decoder")) {
    const auto& d = j["decoder"];
    auto& o = c.decoder;
    get(d, "hidden_dim", o.hidden_dim, s, "decoder.");
    get(d, "num_queries", o.num_queries, s, "decoder.");
    get(d, "nheads", o.nheads, s, "decoder.");
    get(d, "dim_feedforward", o.dim_feedforward, s, "decoder.");
    get(d, "dec_layers", o.dec_layers, s, "decoder.");
    get(d, "pre_norm", o.pre_norm, s, "decoder.");
    get(d, "enforce_input_proj", o.enforce_input_proj, s, "decoder.");
  }
  if (j.contains("oneformer")) {
    const auto& d = j["oneformer"];
    get(d, "class_dec_layers", c.oneformer.class_dec_layers, s, "oneformer.");
    get(d, "task_seq_len", c.oneformer.task_seq_len, s, "oneformer.");
    get(d, "use_task_norm", c.oneformer.use_task_norm, s, "oneformer.");
    get(d, "query_feat", c.oneformer.query_feat, s, "oneformer.");
  }
  if (j.contains("classifier")) {
    const auto& d = j["classifier"];
    get(d, "type", c.classifier.type, s, "classifier.");
    get(d, "embedding_dim", c.classifier.embedding_dim, s, "classifier.");
    get(d, "embeddings", c.classifier.embeddings, s, "classifier.");
  }
  if (j.contains("test")) {
    const auto& d = j["test"];
    get(d, "object_mask_threshold", c.test.object_mask_threshold, s, "test.");
    get(d, "overlap_threshold", c.test.overlap_threshold, s, "test.");
    get(d, "topk_per_image", c.test.topk_per_image, s, "test.");
    get(d, "semantic_on", c.test.semantic_on, s, "test.");
    get(d, "instance_on", c.test.instance_on, s, "test.");
    get(d, "panoptic_on", c.test.panoptic_on, s, "test.");
    get(d, "min_size", c.test.min_size, s, "test.");
    get(d, "max_size", c.test.max_size, s, "test.");
  }

  check(c.architecture == "mask2former" || c.architecture == "oneformer", s,
        "architecture must be \"mask2former\" or \"oneformer\", not \"" + c.architecture + "\"");
  check(c.num_classes > 0, s, "num_classes must be positive");
  check(c.pixel_mean.size() == 3 && c.pixel_std.size() == 3, s,
        "pixel_mean and pixel_std need 3 values");
  check(c.size_divisibility >= 0, s, "size_divisibility must be >= 0");
  const auto& r = c.resnet;
  check(r.depth == 18 || r.depth == 34 || r.depth == 50 || r.depth == 101, s,
        "resnet.depth must be 18, 34, 50 or 101");
  // (detectron2 asserts res2_out_channels == 64 for depth 18/34; segx allows narrower basic
  // blocks for small models trained from scratch.)
  check(r.norm == "FrozenBN" || r.norm == "GN", s, "resnet.norm must be \"FrozenBN\" or \"GN\"");
  check(r.norm_groups > 0, s, "resnet.norm_groups must be positive");
  check(c.test.min_size >= 0 && c.test.max_size >= 0, s,
        "test.min_size and test.max_size must be >= 0");
  check(r.res5_dilation == 1 || r.res5_dilation == 2, s, "resnet.res5_dilation must be 1 or 2");
  check(r.stem_out_channels > 0 && r.res2_out_channels > 0 && r.width_per_group > 0 &&
            r.num_groups > 0,
        s, "resnet channel counts must be positive");
  const auto& p = c.pixel_decoder;
  check(p.norm_groups > 0, s, "pixel_decoder.norm_groups must be positive");
  check((p.conv_dim > 0 && p.conv_dim % p.norm_groups == 0) || p.norm != "GN", s,
        "pixel_decoder.conv_dim must be a multiple of pixel_decoder.norm_groups for GroupNorm");
  check(p.norm == "GN" || p.norm.empty(), s, "pixel_decoder.norm must be \"GN\" or \"\"");
  check(p.transformer_nheads > 0 && p.conv_dim % p.transformer_nheads == 0, s,
        "pixel_decoder.conv_dim must be divisible by transformer_nheads");
  check(!p.transformer_in_features.empty(), s, "pixel_decoder.transformer_in_features is empty");
  for (const auto& f : p.transformer_in_features)
    check(f == "res2" || f == "res3" || f == "res4" || f == "res5", s,
          "pixel_decoder.transformer_in_features: unknown feature '" + f + "'");
  check(p.common_stride == 4 || p.common_stride == 8 || p.common_stride == 16, s,
        "pixel_decoder.common_stride must be 4, 8 or 16");
  const auto& d = c.decoder;
  check(d.hidden_dim > 0 && d.nheads > 0 && d.hidden_dim % d.nheads == 0, s,
        "decoder.hidden_dim must be divisible by decoder.nheads");
  check(d.num_queries > (c.is_oneformer() ? 1 : 0), s, "decoder.num_queries too small");
  check(d.dec_layers >= 1, s, "decoder.dec_layers must be >= 1");
  check(c.classifier.type == "linear" || c.classifier.type == "embedding", s,
        "classifier.type must be \"linear\" or \"embedding\"");
  check(c.classifier.type != "embedding" || c.classifier.embedding_dim > 0, s,
        "classifier.embedding_dim must be positive for an embedding classifier");
  check(c.category_ids.empty() || static_cast<int>(c.category_ids.size()) == c.num_classes, s,
        "category_ids must have num_classes entries");
  check(c.class_names.empty() || static_cast<int>(c.class_names.size()) == c.num_classes, s,
        "class_names must have num_classes entries");
  for (int t : c.thing_classes)
    check(t >= 0 && t < c.num_classes, s, "thing_classes holds an id outside [0, num_classes)");
  return c;
}

ModelConfig load_model_config(const std::string& path) {
  return parse_model_config(io::read_all(path), path);
}

std::string model_config_to_json(const ModelConfig& c) {
  json j;
  j["architecture"] = c.architecture;
  j["num_classes"] = c.num_classes;
  j["pixel_mean"] = c.pixel_mean;
  j["pixel_std"] = c.pixel_std;
  j["size_divisibility"] = c.size_divisibility;
  j["resnet"] = {{"depth", c.resnet.depth},
                 {"stem_out_channels", c.resnet.stem_out_channels},
                 {"res2_out_channels", c.resnet.res2_out_channels},
                 {"width_per_group", c.resnet.width_per_group},
                 {"num_groups", c.resnet.num_groups},
                 {"stride_in_1x1", c.resnet.stride_in_1x1},
                 {"res5_dilation", c.resnet.res5_dilation},
                 {"norm", c.resnet.norm},
                 {"norm_groups", c.resnet.norm_groups}};
  const auto& p = c.pixel_decoder;
  j["pixel_decoder"] = {{"conv_dim", p.conv_dim},
                        {"mask_dim", p.mask_dim},
                        {"norm", p.norm},
                        {"norm_groups", p.norm_groups},
                        {"transformer_enc_layers", p.transformer_enc_layers},
                        {"transformer_nheads", p.transformer_nheads},
                        {"transformer_dim_feedforward", p.transformer_dim_feedforward},
                        {"n_points", p.n_points},
                        {"common_stride", p.common_stride},
                        {"transformer_in_features", p.transformer_in_features}};
  const auto& d = c.decoder;
  j["decoder"] = {{"hidden_dim", d.hidden_dim},         {"num_queries", d.num_queries},
                  {"nheads", d.nheads},                 {"dim_feedforward", d.dim_feedforward},
                  {"dec_layers", d.dec_layers},         {"pre_norm", d.pre_norm},
                  {"enforce_input_proj", d.enforce_input_proj}};
  if (c.is_oneformer())
    j["oneformer"] = {{"class_dec_layers", c.oneformer.class_dec_layers},
                      {"task_seq_len", c.oneformer.task_seq_len},
                      {"use_task_norm", c.oneformer.use_task_norm},
                      {"query_feat", c.oneformer.query_feat}};
  j["classifier"] = {{"type", c.classifier.type}};
  if (c.classifier.type == "embedding") {
    j["classifier"]["embedding_dim"] = c.classifier.embedding_dim;
    j["classifier"]["embeddings"] = c.classifier.embeddings;
  }
  j["test"] = {{"object_mask_threshold", c.test.object_mask_threshold},
               {"overlap_threshold", c.test.overlap_threshold},
               {"topk_per_image", c.test.topk_per_image},
               {"semantic_on", c.test.semantic_on},
               {"instance_on", c.test.instance_on},
               {"panoptic_on", c.test.panoptic_on}};
  if (c.test.min_size > 0) j["test"]["min_size"] = c.test.min_size;
  if (c.test.max_size > 0) j["test"]["max_size"] = c.test.max_size;
  j["thing_classes"] = c.thing_classes;
  if (!c.category_ids.empty()) j["category_ids"] = c.category_ids;
  if (!c.class_names.empty()) j["class_names"] = c.class_names;
  return j.dump(2) + "\n";
}

}  // namespace segx::model
