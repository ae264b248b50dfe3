// detectron2 config -> segx model config: each key read as the official code reads it
// (Mask2Former's, MaskFormer's or OneFormer's from_config, detectron2's ResNet builders), refused
// by name where segx would build another network, and the rest reported as not used
// (detectron2_keys.cpp says why, key by key).
#include "segx/model/import/detectron2.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "segx/core/config_table.hpp"
#include "segx/core/error.hpp"
#include "segx/model/backbone/backbone.hpp"
#include "segx/model/pixel_decoder/pixel_decoder.hpp"

namespace segx::model {
namespace {

using io::Detectron2Value;
using Kind = Detectron2Value::Kind;

// Python's truth value (upstream's `if cfg.X:` and `a or b`).
bool truthy(const Detectron2Value& v) {
  switch (v.kind) {
    case Kind::None:
      return false;
    case Kind::Bool:
      return v.boolean;
    case Kind::Int:
      return v.integer != 0;
    case Kind::Float:
      return v.number != 0;
    case Kind::Str:
      return !v.text.empty();
    case Kind::List:
    case Kind::Tuple:
      return !v.items.empty();
    default:
      return true;
  }
}

// Reads keys off the resolved config, recording each as used (with the segx key it becomes) and
// refusing, by name, a value segx cannot take.
class Keys {
 public:
  Keys(const io::Detectron2Config& config, ImportReport& report)
      : config_(config),
        report_(report),
        file_(config.files.empty() ? std::string("detectron2 config") : config.files.front()) {}

  const std::string& file() const { return file_; }
  const std::set<std::string>& read() const { return read_; }
  bool has(const std::string& key) const { return config_.tree.at(key) != nullptr; }

  [[noreturn]] void refuse(const std::string& key, const std::string& why) const {
    const Detectron2Value* v = config_.tree.at(key);
    fail(ErrorKind::Config, "'{}': {} {}: {}", file_, key, v ? v->repr() : "(absent)", why);
  }

  // The value, marked read; a Python expression is refused (segx needs the value).
  const Detectron2Value& raw(const std::string& key) {
    const Detectron2Value* v = config_.tree.at(key);
    if (!v) fail(ErrorKind::Internal, "'{}': {} is in no detectron2 default", file_, key);
    read_.insert(key);
    if (v->kind == Kind::Python)
      refuse(key, "a Python expression, not evaluated; segx needs this key's value");
    return *v;
  }

  // Records `key` as used for `targets` (segx config keys, or words for a checked key).
  void use(const std::string& key, const std::string& targets) {
    if (targets.empty()) return;  // a key read for a check: check() reports it
    report_.used.push_back(
        fmt::format("{} = {} -> {}", key, config_.tree.at(key)->repr(), targets));
    std::size_t start = 0;
    while (start < targets.size()) {  // "decoder.nheads, pixel_decoder.transformer_nheads"
      const std::size_t end = std::min(targets.find(", ", start), targets.size());
      const std::string target = targets.substr(start, end - start);
      segx_keys_.emplace(target.substr(0, target.find(' ')), key);
      start = end + 2;
    }
  }
  void check(const std::string& key, bool ok, const std::string& accepted) {
    raw(key);
    if (!ok) refuse(key, accepted);
    report_.used.push_back(
        fmt::format("{} = {} (checked: {})", key, config_.tree.at(key)->repr(), accepted));
  }

  std::int64_t integer(const std::string& key, const std::string& target) {
    const auto& v = raw(key);
    if (v.kind != Kind::Int) refuse(key, "must be an int");
    use(key, target);
    return v.integer;
  }
  int int32(const std::string& key, const std::string& target) {
    const std::int64_t v = integer(key, target);
    if (v < -(1LL << 31) || v >= (1LL << 31)) refuse(key, "out of range");
    return static_cast<int>(v);
  }
  double number(const std::string& key, const std::string& target) {
    const auto& v = raw(key);
    if (v.kind != Kind::Int && v.kind != Kind::Float) refuse(key, "must be a number");
    use(key, target);
    return v.kind == Kind::Int ? static_cast<double>(v.integer) : v.number;
  }
  bool boolean(const std::string& key, const std::string& target) {
    const auto& v = raw(key);
    if (v.kind != Kind::Bool) refuse(key, "must be True or False");
    use(key, target);
    return v.boolean;
  }
  // A flag upstream reads with `or` (None and False alike).
  bool flag(const std::string& key, const std::string& target) {
    const auto& v = raw(key);
    if (v.kind != Kind::Bool && v.kind != Kind::None) refuse(key, "must be True or False");
    use(key, target);
    return truthy(v);
  }
  std::string string(const std::string& key, const std::string& target) {
    const auto& v = raw(key);
    if (v.kind != Kind::Str) refuse(key, "must be a string");
    use(key, target);
    return v.text;
  }
  std::vector<int> integers(const std::string& key, const std::string& target) {
    std::vector<int> out;
    for (const auto& item : sequence(key)) {
      if (item.kind != Kind::Int || item.integer < -(1LL << 31) || item.integer >= (1LL << 31))
        refuse(key, "must be a list of ints");
      out.push_back(static_cast<int>(item.integer));
    }
    use(key, target);
    return out;
  }
  std::vector<double> numbers(const std::string& key, const std::string& target) {
    std::vector<double> out;
    for (const auto& item : sequence(key)) {
      if (item.kind != Kind::Int && item.kind != Kind::Float)
        refuse(key, "must be a list of numbers");
      out.push_back(item.kind == Kind::Int ? static_cast<double>(item.integer) : item.number);
    }
    use(key, target);
    return out;
  }
  std::vector<std::string> strings(const std::string& key, const std::string& target) {
    std::vector<std::string> out;
    for (const auto& item : sequence(key)) {
      if (item.kind != Kind::Str) refuse(key, "must be a list of strings");
      out.push_back(item.text);
    }
    use(key, target);
    return out;
  }
  const std::vector<Detectron2Value>& sequence(const std::string& key) {
    const auto& v = raw(key);
    if (!v.is_sequence()) refuse(key, "must be a list");
    return v.items;
  }

  // The detectron2 key that became a segx key, for messages of segx's own checks.
  const std::map<std::string, std::string>& segx_keys() const { return segx_keys_; }
  // A value looked at without reading it (for notes about keys segx does not use).
  const Detectron2Value* peek(const std::string& key) const { return config_.tree.at(key); }

 private:
  const io::Detectron2Config& config_;
  ImportReport& report_;
  std::string file_;
  std::set<std::string> read_;
  std::map<std::string, std::string> segx_keys_;
};

const char* const kLevels[] = {"res2", "res3", "res4", "res5"};

bool all_levels(std::vector<std::string> features) {
  std::sort(features.begin(), features.end());
  return features == std::vector<std::string>(std::begin(kLevels), std::end(kLevels));
}

std::string repository_name(const std::string& repository) {
  if (repository == "mask2former") return "Mask2Former";
  if (repository == "maskformer") return "MaskFormer";
  if (repository == "oneformer") return "OneFormer";
  return repository;
}

// Where the head's and the inference's keys are.
struct Arch {
  std::string repository;
  std::string head;  // "MODEL.MASK_FORMER." or "MODEL.ONE_FORMER."
  std::string test;  // "MODEL.MASK_FORMER.TEST." or "MODEL.TEST."
};

std::string segx_pixel_decoder(Keys& k, const std::string& upstream) {
  std::vector<std::string> known;
  for (const auto& entry : pixel_decoder_registry()) {
    if (upstream == entry.detectron2) return entry.name;
    known.push_back(entry.detectron2);
  }
  k.refuse("MODEL.SEM_SEG_HEAD.PIXEL_DECODER_NAME",
           fmt::format("segx has no such pixel decoder (it has {})", fmt::join(known, ", ")));
}

Arch architecture(Keys& k, const std::string& repository, ModelConfig& c) {
  const std::string meta_key = "MODEL.META_ARCHITECTURE";
  const std::string meta = k.string(meta_key, "");
  if (repository == "mask2former_video")
    k.refuse(meta_key, "a video model (Mask2Former's video configs); segx's models are not");
  const bool one = repository == "oneformer";
  if (meta != (one ? "OneFormer" : "MaskFormer"))
    k.refuse(meta_key, fmt::format("segx imports {}'s {} meta-architecture only",
                                   repository_name(repository), one ? "OneFormer" : "MaskFormer"));
  const std::string head = k.string("MODEL.SEM_SEG_HEAD.NAME", "");
  const char* head_name = one ? "OneFormerHead" : "MaskFormerHead";
  k.check("MODEL.SEM_SEG_HEAD.NAME", head == head_name, head_name);
  if (one) {
    const std::string key = "MODEL.ONE_FORMER.TRANSFORMER_DECODER_NAME";
    k.check(key, k.string(key, "") == "ContrastiveMultiScaleMaskedTransformerDecoder",
            "ContrastiveMultiScaleMaskedTransformerDecoder");
    c.architecture = "oneformer";
  } else if (repository == "mask2former") {
    const std::string key = "MODEL.MASK_FORMER.TRANSFORMER_DECODER_NAME";
    const std::string decoder = k.string(key, "");
    if (decoder == "MultiScaleMaskedTransformerDecoder")
      c.architecture = "mask2former";
    else if (decoder == "StandardTransformerDecoder")
      c.architecture = "maskformer";
    else
      k.refuse(key,
               "segx builds MultiScaleMaskedTransformerDecoder (mask2former) and "
               "StandardTransformerDecoder (maskformer)");
    k.use(key, "architecture \"" + c.architecture + "\"");
  } else {
    c.architecture = "maskformer";
  }
  k.use(meta_key, "architecture \"" + c.architecture + "\"");
  const std::string pd_key = "MODEL.SEM_SEG_HEAD.PIXEL_DECODER_NAME";
  c.pixel_decoder.name = segx_pixel_decoder(k, k.string(pd_key, ""));
  if (c.is_maskformer() && c.pixel_decoder.name == "msdeformattn")
    k.refuse(pd_key, "MaskFormer's decoder over this pixel decoder is no network segx builds");
  if (!c.is_maskformer() && c.pixel_decoder.name != "msdeformattn")
    k.refuse(pd_key, fmt::format("the {} decoder reads the MSDeformAttnPixelDecoder's levels; "
                                 "segx builds no other pixel decoder under it",
                                 c.architecture));
  k.use(pd_key, "pixel_decoder.name");
  return one ? Arch{repository, "MODEL.ONE_FORMER.", "MODEL.TEST."}
             : Arch{repository, "MODEL.MASK_FORMER.", "MODEL.MASK_FORMER.TEST."};
}

void input(Keys& k, ModelConfig& c) {
  k.check("INPUT.FORMAT", k.string("INPUT.FORMAT", "") == "RGB",
          "\"RGB\": segx feeds RGB images to the network");
  c.pixel_mean = k.numbers("MODEL.PIXEL_MEAN", "pixel_mean");
  c.pixel_std = k.numbers("MODEL.PIXEL_STD", "pixel_std");
  if (c.pixel_mean.size() != 3) k.refuse("MODEL.PIXEL_MEAN", "must have 3 values (RGB)");
  if (c.pixel_std.size() != 3) k.refuse("MODEL.PIXEL_STD", "must have 3 values (RGB)");
  c.test.min_size = k.int32("INPUT.MIN_SIZE_TEST", "test.min_size");
  c.test.max_size = k.int32("INPUT.MAX_SIZE_TEST", "test.max_size");
  if (c.test.min_size < 0) k.refuse("INPUT.MIN_SIZE_TEST", "must be 0 (no resize) or more");
  if (c.test.max_size < 0) k.refuse("INPUT.MAX_SIZE_TEST", "must be 0 or more");
}

void resnet(Keys& k, bool deeplab, ResNetConfig& r) {
  const std::string p = "MODEL.RESNETS.";
  r.depth = k.int32(p + "DEPTH", "resnet.depth");
  const std::vector<int> depths =
      deeplab ? std::vector<int>{50, 101, 152} : std::vector<int>{18, 34, 50, 101, 152};
  if (std::find(depths.begin(), depths.end(), r.depth) == depths.end())
    k.refuse(p + "DEPTH", fmt::format("detectron2 builds depths {}", fmt::join(depths, ", ")));
  const std::string norm = k.string(p + "NORM", "");
  if (norm == "FrozenBN" || norm == "GN") {
    r.norm = norm;
    k.use(p + "NORM", "resnet.norm");
  } else if (norm == "BN" || norm == "SyncBN" || norm == "naiveSyncBN" || norm == "nnSyncBN") {
    r.norm = "FrozenBN";  // batch norm in eval mode is the frozen affine map
    k.use(p + "NORM", "resnet.norm \"FrozenBN\" (batch norm at inference)");
  } else {
    k.refuse(p + "NORM", "segx's ResNet has FrozenBN (BN, SyncBN at inference) or GN");
  }
  r.stem_out_channels = k.int32(p + "STEM_OUT_CHANNELS", "resnet.stem_out_channels");
  r.res2_out_channels = k.int32(p + "RES2_OUT_CHANNELS", "resnet.res2_out_channels");
  r.width_per_group = k.int32(p + "WIDTH_PER_GROUP", "resnet.width_per_group");
  r.num_groups = k.int32(p + "NUM_GROUPS", "resnet.num_groups");
  r.stride_in_1x1 = k.boolean(p + "STRIDE_IN_1X1", "resnet.stride_in_1x1");
  r.res5_dilation = k.int32(p + "RES5_DILATION", "resnet.res5_dilation");
  const auto& deform = k.sequence(p + "DEFORM_ON_PER_STAGE");
  k.check(p + "DEFORM_ON_PER_STAGE",
          deform.size() == 4 && std::none_of(deform.begin(), deform.end(), truthy),
          "four False values: segx has no deformable convolution");
  k.check(p + "OUT_FEATURES", all_levels(k.strings(p + "OUT_FEATURES", "")),
          "res2, res3, res4 and res5: the levels the pixel decoder reads");
  if (r.depth < 50) {  // detectron2's asserts for BasicBlock ResNets
    if (r.res2_out_channels != 64) k.refuse(p + "RES2_OUT_CHANNELS", "must be 64 for R18/R34");
    if (r.num_groups != 1) k.refuse(p + "NUM_GROUPS", "must be 1 for R18/R34");
    if (r.res5_dilation != 1) k.refuse(p + "RES5_DILATION", "must be 1 for R18/R34");
  }
  if (!deeplab) {
    r.stem_type = "basic";
    if (r.res5_dilation != 1 && r.res5_dilation != 2)
      k.refuse(p + "RES5_DILATION", "detectron2 builds 1 or 2");
    return;
  }
  r.stem_type = k.string(p + "STEM_TYPE", "resnet.stem_type");
  if (r.stem_type != "basic" && r.stem_type != "deeplab")
    k.refuse(p + "STEM_TYPE", "detectron2 builds \"basic\" or \"deeplab\"");
  const std::int64_t res4 = k.integer(p + "RES4_DILATION", "");
  k.check(p + "RES4_DILATION", res4 == 1, "1: segx builds res4 without dilation");
  if (r.res5_dilation != 1 && r.res5_dilation != 2)
    k.refuse(p + "RES5_DILATION", "segx builds 1 or 2 (detectron2 also 4)");
  r.res5_multi_grid = k.integers(p + "RES5_MULTI_GRID", "resnet.res5_multi_grid");
  if (r.res5_multi_grid.size() != 3)
    k.refuse(p + "RES5_MULTI_GRID", "must have 3 values, one per res5 block");
}

void swin(Keys& k, SwinConfig& s) {
  const std::string p = "MODEL.SWIN.";
  s.pretrain_img_size = k.int32(p + "PRETRAIN_IMG_SIZE", "swin.pretrain_img_size");
  s.patch_size = k.int32(p + "PATCH_SIZE", "swin.patch_size");
  s.embed_dim = k.int32(p + "EMBED_DIM", "swin.embed_dim");
  s.depths = k.integers(p + "DEPTHS", "swin.depths");
  s.num_heads = k.integers(p + "NUM_HEADS", "swin.num_heads");
  s.window_size = k.int32(p + "WINDOW_SIZE", "swin.window_size");
  s.mlp_ratio = k.number(p + "MLP_RATIO", "swin.mlp_ratio");
  s.qkv_bias = k.boolean(p + "QKV_BIAS", "swin.qkv_bias");
  const auto& qk = k.raw(p + "QK_SCALE");
  if (qk.kind == Kind::None) {
    s.qk_scale = 0;
    k.use(p + "QK_SCALE", "swin.qk_scale 0 (head_dim^-0.5)");
  } else {
    s.qk_scale = k.number(p + "QK_SCALE", "swin.qk_scale");
  }
  s.drop_path_rate = k.number(p + "DROP_PATH_RATE", "swin.drop_path_rate");
  s.ape = k.boolean(p + "APE", "swin.ape");
  s.patch_norm = k.boolean(p + "PATCH_NORM", "swin.patch_norm");
  k.check(p + "OUT_FEATURES", all_levels(k.strings(p + "OUT_FEATURES", "")),
          "res2, res3, res4 and res5: the levels the pixel decoder reads");
}

void convnext(Keys& k, ConvNeXtConfig& c) {
  const std::string p = "MODEL.CONVNEXT.";
  c.depths = k.integers(p + "DEPTHS", "convnext.depths");
  c.dims = k.integers(p + "DIMS", "convnext.dims");
  c.drop_path_rate = k.number(p + "DROP_PATH_RATE", "convnext.drop_path_rate");
  c.layer_scale_init_value = k.number(p + "LSIT", "convnext.layer_scale_init_value");
  k.check(p + "IN_CHANNELS", k.integer(p + "IN_CHANNELS", "") == 3, "3 (RGB)");
  k.check(p + "OUT_INDICES", k.integers(p + "OUT_INDICES", "") == std::vector<int>{0, 1, 2, 3},
          "[0, 1, 2, 3]: every stage, as the pixel decoder reads them");
  k.check(p + "OUT_FEATURES", all_levels(k.strings(p + "OUT_FEATURES", "")),
          "res2, res3, res4 and res5: the levels the pixel decoder reads");
}

// The backbone; returns upstream's size_divisibility of it (for SIZE_DIVISIBILITY -1).
int backbone(Keys& k, const std::string& repository, ModelConfig& c) {
  const std::string key = "MODEL.BACKBONE.NAME";
  const std::string name = k.string(key, "");
  std::vector<std::string> known;
  std::string segx_name;
  for (const auto& entry : backbone_registry()) {
    const std::string names = entry.detectron2;  // "build_resnet_backbone / build_..._deeplab_..."
    for (std::size_t start = 0; start <= names.size();) {
      const std::size_t end = std::min(names.find(" / ", start), names.size());
      const std::string upstream = names.substr(start, end - start);
      known.push_back(upstream);
      if (upstream == name) segx_name = entry.name;
      start = end + 3;
    }
  }
  if (segx_name.empty())
    k.refuse(key, fmt::format("segx has no such backbone (it has {})", fmt::join(known, ", ")));
  c.backbone = segx_name;
  if (c.backbone == "convnext" && repository != "oneformer")
    k.refuse(key, fmt::format("only OneFormer registers D2ConvNeXt, not {}",
                              repository_name(repository)));
  k.use(key, "backbone \"" + c.backbone + "\"");
  if (c.backbone == "resnet") {
    resnet(k, name == "build_resnet_deeplab_backbone", c.resnet);
    return 0;
  }
  if (c.backbone == "swin")
    swin(k, c.swin);
  else
    convnext(k, c.convnext);
  return 32;
}

// The channels of a backbone level as upstream's output_shape() gives them.
int level_channels(const ModelConfig& c, int level) {
  if (c.backbone == "swin") return c.swin.embed_dim << level;
  if (c.backbone == "convnext") return c.convnext.dims[static_cast<std::size_t>(level)];
  return c.resnet.res2_out_channels << level;
}

void pixel_decoder(Keys& k, const Arch& a, ModelConfig& c) {
  const std::string p = "MODEL.SEM_SEG_HEAD.";
  auto& d = c.pixel_decoder;
  k.check(p + "IN_FEATURES", all_levels(k.strings(p + "IN_FEATURES", "")),
          "res2, res3, res4 and res5: the levels segx's pixel decoders read");
  d.conv_dim = k.int32(p + "CONVS_DIM", "pixel_decoder.conv_dim");
  d.mask_dim = k.int32(p + "MASK_DIM", "pixel_decoder.mask_dim");
  d.norm = k.string(p + "NORM", "pixel_decoder.norm");
  if (d.norm != "GN" && d.norm != "")
    k.refuse(p + "NORM", "segx's pixel decoders have GroupNorm (\"GN\") or none (\"\")");
  if (d.name == "fpn") return;
  d.transformer_enc_layers =
      k.int32(p + "TRANSFORMER_ENC_LAYERS", "pixel_decoder.transformer_enc_layers");
  if (d.name == "transformer_encoder") {
    d.transformer_nheads =
        k.int32(a.head + "NHEADS", "decoder.nheads, pixel_decoder.transformer_nheads");
    d.transformer_dim_feedforward =
        k.int32(a.head + "DIM_FEEDFORWARD",
                "decoder.dim_feedforward, pixel_decoder.transformer_dim_feedforward");
    d.transformer_pre_norm =
        k.boolean(a.head + "PRE_NORM", "decoder.pre_norm, pixel_decoder.transformer_pre_norm");
    return;
  }
  d.transformer_nheads =
      k.int32(a.head + "NHEADS", "decoder.nheads, pixel_decoder.transformer_nheads");
  d.transformer_dim_feedforward = 1024;  // fixed in upstream's MSDeformAttnPixelDecoder
  d.n_points = k.int32(p + "DEFORMABLE_TRANSFORMER_ENCODER_N_POINTS", "pixel_decoder.n_points");
  d.common_stride = k.int32(p + "COMMON_STRIDE", "pixel_decoder.common_stride");
  d.transformer_in_features = k.strings(p + "DEFORMABLE_TRANSFORMER_ENCODER_IN_FEATURES",
                                        "pixel_decoder.transformer_in_features");
}

void decoder(Keys& k, const Arch& a, ModelConfig& c) {
  auto& d = c.decoder;
  const std::string& h = a.head;
  d.hidden_dim = k.int32(h + "HIDDEN_DIM", "decoder.hidden_dim");
  d.num_queries = k.int32(h + "NUM_OBJECT_QUERIES", "decoder.num_queries");
  // Keys the pixel decoder shares were read there: NHEADS (the encoder's heads), and for the
  // TransformerEncoderPixelDecoder DIM_FEEDFORWARD and PRE_NORM as well.
  const auto& pd = c.pixel_decoder;
  d.nheads = pd.name == "fpn" ? k.int32(h + "NHEADS", "decoder.nheads") : pd.transformer_nheads;
  const bool shared = pd.name == "transformer_encoder";
  d.dim_feedforward = shared ? pd.transformer_dim_feedforward
                             : k.int32(h + "DIM_FEEDFORWARD", "decoder.dim_feedforward");
  d.pre_norm = shared ? pd.transformer_pre_norm : k.boolean(h + "PRE_NORM", "decoder.pre_norm");
  d.dec_layers = k.int32(h + "DEC_LAYERS", "decoder.dec_layers");
  if (d.dec_layers < 1) k.refuse(h + "DEC_LAYERS", "must be at least 1");
  d.enforce_input_proj = k.boolean(h + "ENFORCE_INPUT_PROJ", "decoder.enforce_input_proj");
  const std::string in_key = h + "TRANSFORMER_IN_FEATURE";
  const std::string feature = k.string(in_key, "");
  if (c.is_maskformer()) {
    d.enc_layers = k.int32(h + "ENC_LAYERS", "decoder.enc_layers");
    const std::vector<std::string> ok = {"res2", "res3", "res4", "res5", "transformer_encoder"};
    if (std::find(ok.begin(), ok.end(), feature) == ok.end())
      k.refuse(in_key, "segx's maskformer decoder reads res2..res5 or transformer_encoder");
    d.transformer_in_feature = feature;
    k.use(in_key, "decoder.transformer_in_feature");
  } else {
    // Upstream sizes the decoder's input projection by this feature's channels, but feeds it the
    // pixel decoder's levels (CONVS_DIM channels): only a feature of that width builds a network.
    int channels = -1;
    if (feature == "transformer_encoder" || feature == "multi_scale_pixel_decoder")
      channels = c.pixel_decoder.conv_dim;
    else if (feature == "pixel_embedding")
      channels = c.pixel_decoder.mask_dim;
    for (int level = 0; level < 4; ++level)
      if (feature == kLevels[level]) channels = level_channels(c, level);
    k.check(in_key, channels == c.pixel_decoder.conv_dim,
            fmt::format("a feature of CONVS_DIM ({}) channels, as the pixel decoder's levels "
                        "(multi_scale_pixel_decoder)",
                        c.pixel_decoder.conv_dim));
  }
  if (!c.is_oneformer()) return;
  c.oneformer.class_dec_layers = k.int32(h + "CLASS_DEC_LAYERS", "oneformer.class_dec_layers");
  c.oneformer.use_task_norm = k.boolean(h + "USE_TASK_NORM", "oneformer.use_task_norm");
  c.oneformer.task_seq_len = k.int32("INPUT.TASK_SEQ_LEN", "oneformer.task_seq_len");
  k.check(h + "ENC_LAYERS", k.integer(h + "ENC_LAYERS", "") == 0,
          "0: segx's class transformer has no encoder layers");
}

void inference(Keys& k, const Arch& a, int backbone_divisibility, ModelConfig& c,
               ImportReport& report) {
  const std::string& t = a.test;
  c.test.object_mask_threshold =
      k.number(t + "OBJECT_MASK_THRESHOLD", "test.object_mask_threshold");
  c.test.overlap_threshold = k.number(t + "OVERLAP_THRESHOLD", "test.overlap_threshold");
  c.test.topk_per_image = k.int32("TEST.DETECTIONS_PER_IMAGE", "test.topk_per_image");
  const std::string rule = "test.sem_seg_postprocess_before_inference";
  bool before = k.flag(t + "SEM_SEG_POSTPROCESSING_BEFORE_INFERENCE", rule);
  before = k.flag(t + "PANOPTIC_ON", rule) || before;
  // Mask2Former's and OneFormer's meta-architectures force it for instance outputs too.
  if (a.repository != "maskformer") before = k.flag(t + "INSTANCE_ON", rule) || before;
  c.test.sem_seg_postprocess_before_inference = before;
  std::vector<std::string> outputs;  // upstream's evaluation outputs: segx infer --task chooses
  for (const char* task : {"SEMANTIC", "INSTANCE", "PANOPTIC", "DETECTION"}) {
    const Detectron2Value* on = k.peek(t + task + "_ON");
    if (on && truthy(*on)) outputs.push_back(task);
  }
  if (a.repository == "maskformer") outputs.insert(outputs.begin(), "SEMANTIC");  // always
  report.notes.push_back(fmt::format(
      "upstream evaluates this model's {} output(s) ({}*_ON); segx infer --task chooses the "
      "output of each run",
      fmt::join(outputs, ", "), t));
  if (c.is_maskformer() && a.repository == "mask2former" && truthy(k.raw(t + "INSTANCE_ON")))
    report.notes.push_back(t +
                           "INSTANCE_ON is True, but segx's maskformer has no instance "
                           "inference");
  const std::string div_key = a.head + "SIZE_DIVISIBILITY";
  const int divisibility = k.int32(div_key, "size_divisibility");
  c.size_divisibility = divisibility < 0 ? backbone_divisibility : divisibility;
  if (divisibility < 0)
    report.notes.push_back(
        fmt::format("{} {}: the backbone's, {}", div_key, divisibility, backbone_divisibility));
  k.check("TEST.AUG.ENABLED", !truthy(k.raw("TEST.AUG.ENABLED")),
          "False: segx does no test-time augmentation");
  if (c.is_oneformer())
    k.check("MODEL.IS_DEMO", !truthy(k.raw("MODEL.IS_DEMO")),
            "False: OneFormer's demo mode keeps only instances above OBJECT_MASK_THRESHOLD; segx "
            "infers as upstream's evaluation");
}

void classes(Keys& k, const std::string& repository, ModelConfig& c, ImportReport& report) {
  const std::string key = "DATASETS.TRAIN";
  const auto& train = k.sequence(key);
  if (train.empty() || train.front().kind != Kind::Str) {
    k.use(key, "nothing (no dataset named)");
    report.notes.push_back(
        "DATASETS.TRAIN names no dataset: thing_classes, class_names and "
        "category_ids are left empty");
    return;
  }
  const std::string dataset = train.front().text;
  const auto classes = detectron2_dataset_classes(dataset, repository);
  if (!classes.known) {
    k.use(key, "nothing (segx has no category list for it)");
    report.notes.push_back(fmt::format(
        "DATASETS.TRAIN[0] '{}': segx has no category list for it (it has COCO panoptic and "
        "instances, ADE20K, Cityscapes, Mapillary Vistas): thing_classes, class_names and "
        "category_ids are left empty",
        dataset));
    return;
  }
  if (static_cast<int>(classes.class_names.size()) != c.num_classes) {
    k.use(key, "nothing (a different class count)");
    report.notes.push_back(fmt::format(
        "DATASETS.TRAIN[0] '{}' has {} classes in {} but MODEL.SEM_SEG_HEAD.NUM_CLASSES is {}: "
        "thing_classes, class_names and category_ids are left empty",
        dataset, classes.class_names.size(), classes.source, c.num_classes));
    return;
  }
  c.class_names = classes.class_names;
  c.category_ids = classes.category_ids;
  c.thing_classes = classes.thing_classes;
  k.use(key, fmt::format("class_names, category_ids, thing_classes (from {})", classes.source));
  if (classes.thing_classes.empty())
    report.notes.push_back(fmt::format(
        "'{}' is a dataset without thing classes upstream (no thing_dataset_id_to_contiguous_id): "
        "thing_classes is empty, so panoptic inference treats every class as stuff",
        dataset));
  if (c.is_oneformer() && dataset.find("ade20k") != std::string::npos)
    report.notes.push_back(
        "OneFormer's evaluation renumbers ADE20K instance predictions to the "
        "100 instance classes; segx keeps the contiguous ids of " +
        dataset);
}

// Every key not read, with why (detectron2_keys.cpp); keys left at their defaults are counted
// per row rather than listed.
void report_not_used(const Keys& k, const io::Detectron2Config& r, ImportReport& report) {
  const std::set<std::string> set_keys(r.set_keys.begin(), r.set_keys.end());
  struct Group {
    std::string pattern, why, first_key;
    int count = 0;
  };
  std::vector<Group> defaults;  // keys left at their defaults, by row and reason
  for (const auto& [key, value] : io::detectron2_leaves(r.tree)) {
    if (k.read().count(key)) continue;
    const Detectron2KeyRule* rule = detectron2_key_rule(key);
    std::string why = !rule ? "no rule in segx's key table"
                      : rule->use == Detectron2KeyUse::NotUsed
                          ? rule->what
                          : fmt::format("not read for this model (only for {})", rule->scope);
    if (value->kind == Kind::Python) why += " (a Python expression, not evaluated)";
    if (set_keys.count(key)) {
      report.not_used.push_back(key + ": " + why);
      continue;
    }
    const std::string pattern = rule ? rule->pattern : key;
    auto it = std::find_if(defaults.begin(), defaults.end(),
                           [&](const Group& g) { return g.pattern == pattern && g.why == why; });
    if (it == defaults.end()) it = defaults.insert(defaults.end(), Group{pattern, why, key, 0});
    ++it->count;
  }
  for (const auto& g : defaults)
    report.not_used.push_back(
        g.count == 1
            ? fmt::format("{} (left at its default): {}", g.first_key, g.why)
            : fmt::format("{} ({} keys left at their defaults): {}", g.pattern, g.count, g.why));
}

// segx's own checks of a model config (load_model_config's), named by the detectron2 key.
void validate(const Keys& k, const io::Detectron2Config& r, const ModelConfig& c) {
  try {
    read_model_config(nlohmann::json::parse(model_config_to_json(c)), {k.file(), "", false});
  } catch (const Error& e) {
    const std::string message = e.what();
    const std::string prefix = "'" + k.file() + "': ";
    const std::string rest =
        message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size()) : message;
    std::string best;
    for (const auto& [segx_key, d2_key] : k.segx_keys())
      if (rest.compare(0, segx_key.size() + 1, segx_key + " ") == 0 &&
          segx_key.size() > best.size())
        best = segx_key;
    if (best.empty()) throw;
    // Other segx keys the message names get their detectron2 key beside them.
    std::string why = best;
    for (std::size_t pos = best.size(); pos < rest.size();) {
      std::string found;
      if (rest[pos - 1] == ' ')
        for (const auto& [segx_key, d2_key] : k.segx_keys()) {
          const std::size_t end = pos + segx_key.size();
          if (rest.compare(pos, segx_key.size(), segx_key) == 0 && segx_key.size() > found.size() &&
              (end == rest.size() || !std::isalnum(static_cast<unsigned char>(rest[end]))))
            found = segx_key;
        }
      if (found.empty()) {
        why += rest[pos++];
      } else {
        why += found + " (" + k.segx_keys().at(found) + ")";
        pos += found.size();
      }
    }
    const std::string& d2_key = k.segx_keys().at(best);
    fail(ErrorKind::Config, "'{}': {} {}: segx's {}", k.file(), d2_key, r.tree.at(d2_key)->repr(),
         why);
  }
}

}  // namespace

Detectron2Import model_config_from_detectron2(const io::Detectron2Config& resolved) {
  Detectron2Import out;
  ModelConfig& c = out.config;
  Keys k(resolved, out.report);
  out.report.notes.push_back(fmt::format("detectron2 defaults of {} ({})",
                                         repository_name(resolved.repository),
                                         resolved.repository_reason));
  const Arch a = architecture(k, resolved.repository, c);
  c.num_classes = k.int32("MODEL.SEM_SEG_HEAD.NUM_CLASSES", "num_classes");
  input(k, c);
  const int divisibility = backbone(k, resolved.repository, c);
  pixel_decoder(k, a, c);
  decoder(k, a, c);
  inference(k, a, divisibility, c, out.report);
  classes(k, resolved.repository, c, out.report);
  report_not_used(k, resolved, out.report);
  validate(k, resolved, c);
  return out;
}

Detectron2Import import_detectron2_config(const std::string& path,
                                          const io::Detectron2ResolveOptions& options) {
  return model_config_from_detectron2(io::resolve_detectron2_config(path, options));
}

}  // namespace segx::model
