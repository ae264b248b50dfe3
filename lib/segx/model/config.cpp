// JSON model configuration: the tables that read, write and document each key, and the checks
// between keys.
#include "segx/model/config.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "segx/core/config_table.hpp"
#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::model {
namespace {

// Backbone or pixel decoder names for the config's one_of.
std::vector<config::Json> json_names(const std::vector<std::string>& names) {
  return {names.begin(), names.end()};
}

using config::Table;
using nlohmann::json;

const Table<ResNetConfig>& resnet_table() {
  static const Table<ResNetConfig> table = [] {
    Table<ResNetConfig> t;
    using R = ResNetConfig;
    t.field("depth", &R::depth, "number of layers (MODEL.RESNETS.DEPTH)")
        .one_of({18, 34, 50, 101, 152});
    t.field("stem_type", &R::stem_type,
            "\"basic\": one 7x7 convolution; \"deeplab\": three 3x3 convolutions, as MaskFormer's "
            "R101c (STEM_TYPE)")
        .one_of({"basic", "deeplab"});
    t.field("stem_out_channels", &R::stem_out_channels, "channels of the stem (STEM_OUT_CHANNELS)")
        .positive();
    t.field("res2_out_channels", &R::res2_out_channels,
            "output channels of res2, doubled in each later stage (RES2_OUT_CHANNELS); depth 18/34 "
            "may go narrower than detectron2's 64 for small models trained from scratch")
        .positive();
    t.field("width_per_group", &R::width_per_group, "bottleneck width per group (WIDTH_PER_GROUP)")
        .positive();
    t.field("num_groups", &R::num_groups, "groups of the 3x3 convolutions (NUM_GROUPS)").positive();
    t.field("stride_in_1x1", &R::stride_in_1x1,
            "stride in the bottleneck's 1x1 instead of its 3x3 convolution (STRIDE_IN_1X1)");
    t.field("res5_dilation", &R::res5_dilation, "dilation of res5 (RES5_DILATION)").one_of({1, 2});
    t.field("res5_multi_grid", &R::res5_multi_grid,
            "per-block dilation factors of res5, as build_resnet_deeplab_backbone's "
            "RES5_MULTI_GRID ([1, 2, 4] in R101c); empty: none")
        .positive()
        .write_if([](const R& r) { return !r.res5_multi_grid.empty(); });
    t.field("norm", &R::norm,
            "normalisation: \"FrozenBN\" (official checkpoints) or \"GN\", trainable GroupNorm for "
            "training from scratch")
        .one_of({"FrozenBN", "GN"});
    t.field("norm_groups", &R::norm_groups,
            "GroupNorm's group count (at most each layer's channels; 1 keeps each image's absolute "
            "colour, which 32 groups in a 32-channel stem would normalise away)")
        .positive();
    return t;
  }();
  return table;
}

const Table<SwinConfig>& swin_table() {
  static const Table<SwinConfig> table = [] {
    Table<SwinConfig> t;
    using S = SwinConfig;
    t.field("pretrain_img_size", &S::pretrain_img_size,
            "image size of pre-training, sizing the absolute position embedding when ape is on "
            "(PRETRAIN_IMG_SIZE: 224 or 384)")
        .positive();
    t.field("patch_size", &S::patch_size,
            "side of the patches embedded (PATCH_SIZE); must be 4, the stride of res2 that the "
            "pixel decoders read")
        .positive();
    t.field("embed_dim", &S::embed_dim,
            "channels of res2, doubled in each later stage (EMBED_DIM: 96 T/S, 128 B, 192 L)")
        .positive();
    t.field("depths", &S::depths, "blocks per stage, four entries (DEPTHS)").size(4).positive();
    t.field("num_heads", &S::num_heads,
            "attention heads per stage, four entries, each dividing its stage's channels "
            "(NUM_HEADS)")
        .size(4)
        .positive();
    t.field("window_size", &S::window_size, "side of the attention windows (WINDOW_SIZE)")
        .positive();
    t.field("mlp_ratio", &S::mlp_ratio, "hidden width of each MLP over its channels (MLP_RATIO)")
        .range(0.01, 64);
    t.field("qkv_bias", &S::qkv_bias, "bias in the query/key/value projection (QKV_BIAS)");
    t.field("qk_scale", &S::qk_scale,
            "scale of the attention logits (QK_SCALE); 0: upstream's None, head_dim^-0.5")
        .min(0);
    t.field("drop_path_rate", &S::drop_path_rate,
            "stochastic depth in training, rising linearly over the blocks to this "
            "(DROP_PATH_RATE)")
        .range(0, 0.99);
    t.field("ape", &S::ape, "absolute position embedding after the patch embedding (APE)");
    t.field("patch_norm", &S::patch_norm, "layer norm after the patch embedding (PATCH_NORM)");
    return t;
  }();
  return table;
}

const Table<ConvNeXtConfig>& convnext_table() {
  static const Table<ConvNeXtConfig> table = [] {
    Table<ConvNeXtConfig> t;
    using C = ConvNeXtConfig;
    t.field("depths", &C::depths, "blocks per stage, four entries (DEPTHS)").size(4).positive();
    t.field("dims", &C::dims, "channels of res2..res5, four entries (DIMS)").size(4).positive();
    t.field("drop_path_rate", &C::drop_path_rate,
            "stochastic depth in training, rising linearly over the blocks to this "
            "(DROP_PATH_RATE)")
        .range(0, 0.99);
    t.field("layer_scale_init_value", &C::layer_scale_init_value,
            "initial layer scale of each block (LSIT); 0: no layer scale (no gamma tensors)")
        .min(0);
    return t;
  }();
  return table;
}

const Table<PixelDecoderConfig>& pixel_decoder_table() {
  static const Table<PixelDecoderConfig> table = [] {
    Table<PixelDecoderConfig> t;
    using P = PixelDecoderConfig;
    t.field("name", &P::name,
            "which pixel decoder (PIXEL_DECODER_NAME): \"msdeformattn\" "
            "(MSDeformAttnPixelDecoder) for mask2former and oneformer; \"fpn\" "
            "(BasePixelDecoder) or \"transformer_encoder\" (TransformerEncoderPixelDecoder) for "
            "maskformer")
        .one_of(json_names(pixel_decoder_names()));
    t.field("conv_dim", &P::conv_dim,
            "channels of the encoder and FPN (CONVS_DIM); a multiple of norm_groups (GN) and, "
            "where there is an encoder, of transformer_nheads")
        .positive();
    t.field("mask_dim", &P::mask_dim, "channels of the mask features (MASK_DIM)").positive();
    t.field("norm", &P::norm, "normalisation of the lateral and output convolutions (NORM)")
        .one_of({"GN", ""});
    t.field("norm_groups", &P::norm_groups, "GroupNorm's groups (input projections and FPN)")
        .positive();
    t.field("transformer_enc_layers", &P::transformer_enc_layers,
            "encoder layers, deformable (msdeformattn) or DETR's (transformer_encoder) "
            "(TRANSFORMER_ENC_LAYERS)")
        .min(0);
    t.field("transformer_nheads", &P::transformer_nheads,
            "attention heads of the encoder (MASK_FORMER.NHEADS upstream)")
        .positive();
    t.field("transformer_dim_feedforward", &P::transformer_dim_feedforward,
            "feed-forward width of the encoder (msdeformattn: fixed to 1024 upstream; "
            "transformer_encoder: MASK_FORMER.DIM_FEEDFORWARD, 2048 in MaskFormer's configs)")
        .positive();
    t.field("transformer_pre_norm", &P::transformer_pre_norm,
            "transformer_encoder: layer norm before attention in its encoder, and a final one "
            "after it (MASK_FORMER.PRE_NORM upstream)")
        .write_if([](const P& p) { return p.name == "transformer_encoder"; });
    t.field("n_points", &P::n_points,
            "sampling points per head and level (DEFORMABLE_TRANSFORMER_ENCODER_N_POINTS)")
        .positive();
    t.field("common_stride", &P::common_stride,
            "stride of the mask features (COMMON_STRIDE); 4 for fpn and transformer_encoder, "
            "whose mask features are res2's")
        .one_of({4, 8, 16});
    t.field("transformer_in_features", &P::transformer_in_features,
            "backbone stages the encoder reads (DEFORMABLE_TRANSFORMER_ENCODER_IN_FEATURES)")
        .one_of({"res2", "res3", "res4", "res5"})
        .non_empty();
    return t;
  }();
  return table;
}

const Table<DecoderConfig>& decoder_table() {
  static const Table<DecoderConfig> table = [] {
    Table<DecoderConfig> t;
    using D = DecoderConfig;
    t.field("hidden_dim", &D::hidden_dim, "query width (HIDDEN_DIM); a multiple of nheads")
        .positive();
    t.field("num_queries", &D::num_queries,
            "object queries (NUM_OBJECT_QUERIES); OneFormer uses one for the task, so at least 2")
        .positive();
    t.field("nheads", &D::nheads, "attention heads (NHEADS)").positive();
    t.field("dim_feedforward", &D::dim_feedforward, "feed-forward width (DIM_FEEDFORWARD)")
        .positive();
    t.field("dec_layers", &D::dec_layers,
            "DEC_LAYERS, the number of predictions, each a loss under deep supervision: "
            "mask2former and oneformer run dec_layers - 1 layers after a first prediction from "
            "the bare queries, maskformer dec_layers layers")
        .min(1);
    t.field("pre_norm", &D::pre_norm, "layer norm before attention (PRE_NORM)");
    t.field("enforce_input_proj", &D::enforce_input_proj,
            "project the pixel features even where their width is hidden_dim (ENFORCE_INPUT_PROJ)");
    t.field("enc_layers", &D::enc_layers,
            "maskformer: layers of the decoder's own DETR encoder over its input (ENC_LAYERS)")
        .min(0)
        .write_if([](const D& d) { return d.enc_layers != 0; });
    t.field("transformer_in_feature", &D::transformer_in_feature,
            "maskformer: what the decoder reads (TRANSFORMER_IN_FEATURE), a backbone level or "
            "\"transformer_encoder\", the output of that pixel decoder's encoder")
        .one_of({"res2", "res3", "res4", "res5", "transformer_encoder"})
        .write_if([](const D& d) { return d.transformer_in_feature != "res5"; });
    return t;
  }();
  return table;
}

const Table<OneFormerConfig>& oneformer_table() {
  static const Table<OneFormerConfig> table = [] {
    Table<OneFormerConfig> t;
    using O = OneFormerConfig;
    t.field("class_dec_layers", &O::class_dec_layers,
            "layers of the class transformer (CLASS_DEC_LAYERS)")
        .min(1);
    t.field("task_seq_len", &O::task_seq_len,
            "tokens of the task prompt \"the task is ...\" (INPUT.TASK_SEQ_LEN)")
        .positive();
    t.field("use_task_norm", &O::use_task_norm, "layer norm on the task token (USE_TASK_NORM)");
    t.field("query_feat", &O::query_feat,
            "not upstream: learned per-query content added to the class transformer's output, for "
            "training from scratch (official checkpoints have no such tensor)");
    t.field("task_embedding", &O::task_embedding,
            "how the task becomes the task token: token_mlp (upstream: an MLP over the prompt's "
            "CLIP token ids) or learned (not upstream: one learned vector per task, "
            "task_embed.weight; official checkpoints have no such tensor)")
        .one_of({"token_mlp", "learned"});
    t.field("tokenizer", &O::tokenizer,
            "CLIP's BPE file bpe_simple_vocab_16e6.txt.gz that tokenizes the task prompt, relative "
            "to the config file; segx train copies text_encoder.tokenizer beside "
            "model_config.json and names it here; segx infer --tokenizer overrides it")
        .write_if([](const O& o) { return !o.tokenizer.empty(); });
    return t;
  }();
  return table;
}

const Table<ClassifierConfig>& classifier_table() {
  static const Table<ClassifierConfig> table = [] {
    Table<ClassifierConfig> t;
    using C = ClassifierConfig;
    auto embedding = [](const C& c) { return c.type == "embedding"; };
    t.field("type", &C::type,
            "\"linear\": a Linear(hidden_dim, K+1) class head as in the official checkpoints; "
            "\"embedding\": DaTaSeg-style dot products with fixed class-name embeddings plus a "
            "learned background embedding")
        .one_of({"linear", "embedding"});
    t.field("embedding_dim", &C::embedding_dim,
            "dimension D of the class embeddings; required (positive) for \"embedding\"")
        .min(0)
        .write_if(embedding);
    t.field("embeddings", &C::embeddings,
            "safetensors file from segx vocab embed (class_embeddings [K, D]), relative to the "
            "config file")
        .write_if(embedding);
    return t;
  }();
  return table;
}

const Table<InferenceConfig>& test_table() {
  static const Table<InferenceConfig> table = [] {
    Table<InferenceConfig> t;
    using I = InferenceConfig;
    t.field("object_mask_threshold", &I::object_mask_threshold,
            "panoptic inference keeps queries whose class score exceeds this "
            "(OBJECT_MASK_THRESHOLD; segx infer --object-mask-threshold overrides it)")
        .range(0, 1);
    t.field("overlap_threshold", &I::overlap_threshold,
            "panoptic inference drops a segment keeping less than this share of its mask "
            "(OVERLAP_THRESHOLD; segx infer --overlap-threshold overrides it)")
        .range(0, 1);
    t.field("topk_per_image", &I::topk_per_image,
            "instances kept per image (TEST.DETECTIONS_PER_IMAGE)")
        .positive();
    t.field("sem_seg_postprocess_before_inference", &I::sem_seg_postprocess_before_inference,
            "semantic inference on masks already resized to the image (true), or on the padded "
            "masks with the class scores resized after (false), as upstream's "
            "SEM_SEG_POSTPROCESSING_BEFORE_INFERENCE, which panoptic and instance configs "
            "force on");
    const char* why = "segx infer --task chooses the output";
    t.deprecated("semantic_on", "boolean", why);
    t.deprecated("instance_on", "boolean", why);
    t.deprecated("panoptic_on", "boolean", why);
    t.field("min_size", &I::min_size,
            "resize images so that the shortest edge is this before the forward pass, results "
            "mapped back to the original size (INPUT.MIN_SIZE_TEST); 0: as given")
        .min(0)
        .write_if([](const I& c) { return c.min_size > 0; });
    t.field("max_size", &I::max_size,
            "cap of the longest edge after that resize (INPUT.MAX_SIZE_TEST); 0: no cap")
        .min(0)
        .write_if([](const I& c) { return c.max_size > 0; });
    return t;
  }();
  return table;
}

const Table<ModelConfig>& model_table() {
  static const Table<ModelConfig> table = [] {
    Table<ModelConfig> t;
    using M = ModelConfig;
    t.version("schema_version", kModelConfigVersion,
              "format version; segx writes the one it reads and refuses a newer one");
    t.field("architecture", &M::architecture,
            "\"mask2former\", \"oneformer\" (task-conditioned queries; needs a tokenizer) or "
            "\"maskformer\" (the original MaskFormer: fpn or transformer_encoder pixel decoder, "
            "a transformer decoder without masked attention, no instance inference)")
        .one_of({"mask2former", "oneformer", "maskformer"});
    t.field("num_classes", &M::num_classes,
            "classes K, without the no-object class; training sets it from the label space")
        .positive();
    t.field("pixel_mean", &M::pixel_mean, "RGB mean subtracted from images (MODEL.PIXEL_MEAN)")
        .size(3);
    t.field("pixel_std", &M::pixel_std, "RGB divisor of images (MODEL.PIXEL_STD)")
        .size(3)
        .positive();
    t.field("size_divisibility", &M::size_divisibility,
            "batches are padded to a multiple of this (SIZE_DIVISIBILITY); 0: no padding")
        .min(0);
    t.field("backbone", &M::backbone,
            "the backbone (MODEL.BACKBONE.NAME): \"resnet\", \"swin\" or \"convnext\"; its "
            "settings are the section of that name")
        .one_of(json_names(backbone_names()));
    t.section("resnet", &M::resnet, resnet_table(),
              "the ResNet backbone (detectron2 MODEL.RESNETS); written for resnet only")
        .write_if([](const M& c) { return c.backbone == "resnet"; });
    t.section(
         "swin", &M::swin, swin_table(),
         "the Swin Transformer backbone (D2SwinTransformer, MODEL.SWIN); written for swin only")
        .write_if([](const M& c) { return c.backbone == "swin"; });
    t.section("convnext", &M::convnext, convnext_table(),
              "the ConvNeXt backbone (OneFormer's D2ConvNeXt, MODEL.CONVNEXT); written for "
              "convnext only")
        .write_if([](const M& c) { return c.backbone == "convnext"; });
    t.section("pixel_decoder", &M::pixel_decoder, pixel_decoder_table(),
              "the pixel decoder (MODEL.SEM_SEG_HEAD)");
    t.section("decoder", &M::decoder, decoder_table(),
              "the transformer decoder: masked attention (mask2former, oneformer) or DETR's "
              "(maskformer) (MODEL.MASK_FORMER / MODEL.ONE_FORMER)");
    t.section("oneformer", &M::oneformer, oneformer_table(),
              "OneFormer's task conditioning (MODEL.ONE_FORMER); written for oneformer only")
        .write_if([](const M& c) { return c.is_oneformer(); });
    t.section("classifier", &M::classifier, classifier_table(), "the class head");
    t.section("test", &M::test, test_table(), "inference settings (MODEL.*.TEST, INPUT.*_TEST)");
    t.field("thing_classes", &M::thing_classes,
            "contiguous ids (0..K-1) of the thing classes; training fills it from the label space")
        .min(0);
    t.field("category_ids", &M::category_ids,
            "dataset category id per contiguous id, num_classes entries; segx infer writes these "
            "ids (default: the contiguous ids)")
        .write_if([](const M& c) { return !c.category_ids.empty(); });
    t.field("class_names", &M::class_names, "class name per contiguous id, num_classes entries")
        .write_if([](const M& c) { return !c.class_names.empty(); });
    return t;
  }();
  return table;
}

// Which pixel decoder each architecture reads, and its sizes.
void check_pixel_decoder(const ModelConfig& c, const config::Origin& o) {
  const auto& p = c.pixel_decoder;
  if (c.is_maskformer() && p.name != "fpn" && p.name != "transformer_encoder")
    o.fail("pixel_decoder.name", "must be \"fpn\" or \"transformer_encoder\" for maskformer");
  if (!c.is_maskformer() && p.name != "msdeformattn")
    o.fail("pixel_decoder.name",
           fmt::format("must be \"msdeformattn\" for {} (fpn and transformer_encoder are "
                       "maskformer's)",
                       c.architecture));
  if (p.norm == "GN" && p.conv_dim % p.norm_groups != 0)
    o.fail("pixel_decoder.conv_dim",
           "must be a multiple of pixel_decoder.norm_groups for GroupNorm");
  if (p.name != "fpn" && p.conv_dim % p.transformer_nheads != 0)
    o.fail("pixel_decoder.conv_dim", "must be divisible by pixel_decoder.transformer_nheads");
  if (p.name != "msdeformattn" && p.common_stride != 4)
    o.fail(
        "pixel_decoder.common_stride",
        fmt::format("must be 4 for the {} pixel decoder (its mask features are res2's)", p.name));
}

// The keys only MaskFormer's decoder reads.
void check_decoder(const ModelConfig& c, const config::Origin& o) {
  const auto& d = c.decoder;
  if (!c.is_maskformer() && d.enc_layers != 0)
    o.fail("decoder.enc_layers", "must be 0: only maskformer's decoder has an encoder");
  if (!c.is_maskformer() && d.transformer_in_feature != "res5")
    o.fail("decoder.transformer_in_feature",
           "is maskformer's (mask2former and oneformer read the pixel decoder's levels)");
  if (d.transformer_in_feature == "transformer_encoder" &&
      c.pixel_decoder.name != "transformer_encoder")
    o.fail("decoder.transformer_in_feature",
           "\"transformer_encoder\" needs pixel_decoder.name \"transformer_encoder\"");
}

// The rules between keys, which no single key's rule can say.
void check_across_keys(const ModelConfig& c, const config::Origin& o) {
  const auto& r = c.resnet;
  if (!r.res5_multi_grid.empty() && r.res5_multi_grid.size() != 3)
    o.fail("resnet.res5_multi_grid", "must have 3 entries (one per res5 block) or none");
  if (!r.res5_multi_grid.empty() && r.depth < 50)
    o.fail("resnet.res5_multi_grid", "needs a bottleneck ResNet (depth 50, 101 or 152)");
  if (r.stem_type == "deeplab" && r.stem_out_channels % 2 != 0)
    o.fail("resnet.stem_out_channels", "must be even for the deeplab stem");
  if (c.backbone == "swin") {
    const auto& s = c.swin;
    for (int i = 0; i < 4; ++i)
      if ((s.embed_dim << i) % s.num_heads[static_cast<std::size_t>(i)] != 0)
        o.fail("swin.num_heads",
               fmt::format("entry {} ({}) does not divide stage {}'s {} channels", i,
                           s.num_heads[static_cast<std::size_t>(i)], i, s.embed_dim << i));
    // Windows wider than a stage's grid are valid (upstream pads the grid to one window); only
    // the patch size must fit the stride-4 res2 that the pixel decoders read.
    if (s.patch_size != 4)
      o.fail("swin.patch_size", "must be 4: the pixel decoder reads res2 at stride 4");
    if (s.ape && s.pretrain_img_size < s.patch_size)
      o.fail("swin.pretrain_img_size",
             "must be at least swin.patch_size with ape (the embedding has pretrain_img_size / "
             "patch_size positions a side)");
    if (s.embed_dim * s.mlp_ratio < 1)
      o.fail("swin.mlp_ratio", "leaves res2's MLP no hidden unit (int(embed_dim * mlp_ratio) < 1)");
  }
  check_pixel_decoder(c, o);
  check_decoder(c, o);
  const auto& d = c.decoder;
  if (d.hidden_dim % d.nheads != 0)
    o.fail("decoder.hidden_dim", "must be divisible by decoder.nheads");
  if (c.is_oneformer() && d.num_queries < 2)
    o.fail("decoder.num_queries", "must be at least 2 for oneformer (one is the task query)");
  if (c.classifier.type == "embedding" && c.classifier.embedding_dim <= 0)
    o.fail("classifier.embedding_dim", "must be positive for an embedding classifier");
  if (!c.category_ids.empty() && static_cast<int>(c.category_ids.size()) != c.num_classes)
    o.fail("category_ids", "must have num_classes entries");
  if (!c.class_names.empty() && static_cast<int>(c.class_names.size()) != c.num_classes)
    o.fail("class_names", "must have num_classes entries");
  for (int t : c.thing_classes)
    if (t >= c.num_classes) o.fail("thing_classes", "holds an id outside [0, num_classes)");
}

}  // namespace

bool ModelConfig::is_thing(int id) const {
  return std::find(thing_classes.begin(), thing_classes.end(), id) != thing_classes.end();
}

ModelConfig read_model_config(const json& j, const config::Origin& origin) {
  ModelConfig c;
  model_table().read(j, c, origin);
  check_across_keys(c, origin);
  return c;
}

void check_model_config_keys(const json& j, const config::Origin& origin) {
  ModelConfig c;
  model_table().read(j, c, origin);
}

ModelConfig parse_model_config(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(ErrorKind::Config, "'{}': model config is not JSON: {}", source, e.what());
  }
  if (!j.is_object()) fail(ErrorKind::Config, "'{}': model config is not a JSON object", source);
  return read_model_config(j, {source, "", true});
}

ModelConfig load_model_config(const std::string& path) {
  return parse_model_config(io::read_all(path), path);
}

std::string model_config_to_json(const ModelConfig& c) {
  return model_table().write(c).dump(2) + "\n";
}

std::vector<config::KeyDoc> model_config_keys() {
  return model_table().docs();
}

const std::vector<std::string>& backbone_names() {
  static const std::vector<std::string> names = {"resnet", "swin", "convnext"};
  return names;
}

const std::vector<std::string>& pixel_decoder_names() {
  static const std::vector<std::string> names = {"msdeformattn", "fpn", "transformer_encoder"};
  return names;
}

}  // namespace segx::model
