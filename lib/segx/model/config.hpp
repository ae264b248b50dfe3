// The JSON model configuration written beside a segx checkpoint: the subset of the
// detectron2/Mask2Former/OneFormer config that fixes the architecture and the inference settings.
#pragma once
#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace segx::config {
struct Origin;
struct KeyDoc;
}  // namespace segx::config

namespace segx::model {

// The "schema_version" segx writes into model configs; files without one are version 1.
constexpr int kModelConfigVersion = 1;

// detectron2 build_resnet_backbone (MODEL.RESNETS.*).
struct ResNetConfig {
  int depth = 50;                   // 18, 34, 50, 101 or 152
  std::string stem_type = "basic";  // STEM_TYPE: "basic" (7x7) or "deeplab" (3 x 3x3, R101c)
  int stem_out_channels = 64;       // STEM_OUT_CHANNELS
  int res2_out_channels = 256;      // RES2_OUT_CHANNELS
  int width_per_group = 64;         // WIDTH_PER_GROUP
  int num_groups = 1;               // NUM_GROUPS
  bool stride_in_1x1 = false;       // STRIDE_IN_1X1 (Mask2Former configs: false)
  int res5_dilation = 1;            // RES5_DILATION (1 or 2)
  // RES5_MULTI_GRID of build_resnet_deeplab_backbone: res5's three blocks dilate by
  // res5_dilation times these ([1, 2, 4] in R101c); empty: build_resnet_backbone (no grid).
  std::vector<int> res5_multi_grid;
  // NORM: "FrozenBN" (official checkpoints) or "GN" (trainable GroupNorm for from-scratch
  // training: 32 groups as detectron2, fewer where a narrow layer has fewer channels).
  std::string norm = "FrozenBN";
  // GroupNorm's group count (gcd with each layer's channels). 32 is detectron2's; from scratch
  // on images whose classes differ by colour, 1 keeps each image's absolute colour: 32 groups in
  // a 32-channel stem normalise every channel over the image (instance norm), so a crop filled
  // by one region looks the same whatever its colour.
  int norm_groups = 32;
};

// D2SwinTransformer (MODEL.SWIN.*) of Mask2Former / OneFormer / MaskFormer.
struct SwinConfig {
  int pretrain_img_size = 224;  // PRETRAIN_IMG_SIZE (sizes the absolute embedding of ape)
  int patch_size = 4;           // PATCH_SIZE
  int embed_dim = 96;           // EMBED_DIM: channels of res2, doubled per stage
  std::vector<int> depths = {2, 2, 6, 2};       // DEPTHS: blocks per stage
  std::vector<int> num_heads = {3, 6, 12, 24};  // NUM_HEADS per stage
  int window_size = 7;                          // WINDOW_SIZE (7 or 12 in the model zoos)
  double mlp_ratio = 4.0;                       // MLP_RATIO
  bool qkv_bias = true;                         // QKV_BIAS
  double qk_scale = 0;                          // QK_SCALE; 0: upstream's None, head_dim^-0.5
  double drop_path_rate = 0.3;  // DROP_PATH_RATE: stochastic depth in training, 0..rate by block
  bool ape = false;             // APE: absolute position embedding
  bool patch_norm = true;       // PATCH_NORM
};

// D2ConvNeXt (MODEL.CONVNEXT.*) of OneFormer.
struct ConvNeXtConfig {
  std::vector<int> depths = {3, 3, 27, 3};        // DEPTHS
  std::vector<int> dims = {192, 384, 768, 1536};  // DIMS
  double drop_path_rate = 0.4;                    // DROP_PATH_RATE
  double layer_scale_init_value = 1.0;            // LSIT (0: no layer scale)
};

// The pixel decoder (MODEL.SEM_SEG_HEAD.*): Mask2Former's MSDeformAttnPixelDecoder by default;
// the original MaskFormer's BasePixelDecoder ("fpn") or TransformerEncoderPixelDecoder
// ("transformer_encoder").
struct PixelDecoderConfig {
  std::string name = "msdeformattn";       // a row of pixel_decoder_table() (PIXEL_DECODER_NAME)
  int conv_dim = 256;                      // CONVS_DIM
  int mask_dim = 256;                      // MASK_DIM
  std::string norm = "GN";                 // NORM: "GN" or "" (lateral/output convs)
  int norm_groups = 32;                    // GroupNorm's groups (input_proj and FPN convs)
  int transformer_enc_layers = 6;          // TRANSFORMER_ENC_LAYERS
  int transformer_nheads = 8;              // MASK_FORMER.NHEADS (sic: the decoder's head count)
  // msdeformattn: fixed to 1024 upstream; transformer_encoder: MASK_FORMER.DIM_FEEDFORWARD
  int transformer_dim_feedforward = 1024;
  bool transformer_pre_norm = false;       // transformer_encoder: MASK_FORMER.PRE_NORM upstream
  int n_points = 4;                        // DEFORMABLE_TRANSFORMER_ENCODER_N_POINTS
  int common_stride = 4;                   // COMMON_STRIDE
  std::vector<std::string> transformer_in_features = {"res3", "res4", "res5"};
};

// The transformer decoder (MODEL.MASK_FORMER.* / MODEL.ONE_FORMER.*): Mask2Former's
// MultiScaleMaskedTransformerDecoder, or the original MaskFormer's TransformerPredictor.
struct DecoderConfig {
  int hidden_dim = 256;
  int num_queries = 100;
  int nheads = 8;
  int dim_feedforward = 2048;
  // DEC_LAYERS, the number of predictions (deep supervision): Mask2Former runs DEC_LAYERS - 1
  // layers after a first prediction from the bare queries, MaskFormer DEC_LAYERS layers.
  int dec_layers = 10;
  bool pre_norm = false;
  bool enforce_input_proj = false;
  // MaskFormer only: ENC_LAYERS of the decoder's own transformer encoder, and
  // TRANSFORMER_IN_FEATURE, what the decoder reads: a backbone level ("res5") or the
  // transformer_encoder pixel decoder's encoder output ("transformer_encoder").
  int enc_layers = 0;
  std::string transformer_in_feature = "res5";
};

// OneFormer task conditioning (MODEL.ONE_FORMER.*, INPUT.TASK_SEQ_LEN).
struct OneFormerConfig {
  int class_dec_layers = 2;   // CLASS_DEC_LAYERS
  int task_seq_len = 77;      // INPUT.TASK_SEQ_LEN
  bool use_task_norm = true;  // USE_TASK_NORM
  // Not in upstream OneFormer: learned per-query content (query_feat, as Mask2Former's) added to
  // the class transformer's output, whose queries otherwise differ only by where they attend.
  // For training from scratch; official checkpoints have no such tensor.
  bool query_feat = false;
  // How the task becomes the task token: "token_mlp" (upstream: a 2-layer MLP over the task
  // prompt's CLIP token ids taken as floats) or "learned" (not upstream: one learned vector per
  // task, task_embed.weight [3, hidden] in task_index() order). From scratch the token MLP's
  // prompts differ only in one or two of 77 ids of ~10^4 and embed alike (panoptic and semantic
  // 0.98 cosine after its layer norm in a 2500-iteration run), so the decoder cannot tell the
  // panoptic task (one mask per thing) from the semantic one (one mask per class).
  std::string task_embedding = "token_mlp";
  // CLIP's BPE file (bpe_simple_vocab_16e6.txt.gz) that tokenizes the task prompt; relative to the
  // config file. `segx train` copies its text_encoder.tokenizer beside model_config.json and names
  // it here; `segx infer --tokenizer` overrides it.
  std::string tokenizer;
};

// "linear": class_embed Linear(hidden, K+1) as in the official checkpoints.
// "embedding": DaTaSeg-style dot product of projected queries with fixed class-name embeddings
// (K x D, from the vocab command) plus a learned background embedding.
struct ClassifierConfig {
  std::string type = "linear";
  int embedding_dim = 0;  // D, for "embedding"
  // safetensors file from `segx vocab embed` ("class_embeddings" [K, D]); relative to config
  std::string embeddings;
};

struct InferenceConfig {
  double object_mask_threshold = 0.8;
  double overlap_threshold = 0.8;
  int topk_per_image = 100;  // TEST.DETECTIONS_PER_IMAGE
  // Upstream resizes the masks to the image before semantic inference when
  // SEM_SEG_POSTPROCESSING_BEFORE_INFERENCE or PANOPTIC_ON or INSTANCE_ON (the usual case), else
  // resizes the class scores after it (semantic-only configs such as ADE20K's).
  bool sem_seg_postprocess_before_inference = true;
  // (semantic_on/instance_on/panoptic_on are gone: `segx infer --task` chooses the output; old
  // files that have them load with a warning.)
  // INPUT.MIN_SIZE_TEST / MAX_SIZE_TEST: images are resized (shortest edge, capped longest
  // edge) before the forward pass and results mapped back to the original size; 0: as given.
  int min_size = 0;
  int max_size = 0;
};

struct ModelConfig {
  std::string architecture = "mask2former";  // "oneformer" or "maskformer"
  int num_classes = 133;
  std::vector<double> pixel_mean = {123.675, 116.28, 103.53};
  std::vector<double> pixel_std = {58.395, 57.12, 57.375};
  int size_divisibility = 32;
  std::string backbone = "resnet";  // a row of backbone_table(): "resnet", "swin", "convnext"
  ResNetConfig resnet;
  SwinConfig swin;
  ConvNeXtConfig convnext;
  PixelDecoderConfig pixel_decoder;
  DecoderConfig decoder;
  OneFormerConfig oneformer;
  ClassifierConfig classifier;
  InferenceConfig test;
  std::vector<int> thing_classes;        // contiguous ids of "thing" classes
  std::vector<int> category_ids;         // dataset category id per contiguous id (optional)
  std::vector<std::string> class_names;  // optional

  bool is_oneformer() const { return architecture == "oneformer"; }
  bool is_maskformer() const { return architecture == "maskformer"; }
  bool is_thing(int contiguous_id) const;
};

// Parses and validates; Error(Config) naming `source` and the dotted key for an unknown key, a
// wrong type, a bad value or a schema_version newer than kModelConfigVersion.
ModelConfig parse_model_config(const std::string& json_text, const std::string& source);
ModelConfig load_model_config(const std::string& path);
// The same from parsed JSON whose keys sit under `origin.prefix` ("model." inline in a training
// config).
ModelConfig read_model_config(const nlohmann::json& j, const config::Origin& origin);
// The keys and values one by one, without the rules between keys: for a model config that
// training completes from the label space (num_classes, class_names, ...) before reading it.
void check_model_config_keys(const nlohmann::json& j, const config::Origin& origin);
// model_config.json as training writes it (with schema_version), from the same table.
std::string model_config_to_json(const ModelConfig& config);
// Every key of the model config, for segx-config(5).
std::vector<config::KeyDoc> model_config_keys();

// The names of the backbones and pixel decoders segx builds, in table order: the values the
// config accepts. The rows of backbone_registry() and pixel_decoder_registry() (which need
// LibTorch, while this parser lives in segx_core) use them; a test checks that the two agree.
const std::vector<std::string>& backbone_names();
const std::vector<std::string>& pixel_decoder_names();

}  // namespace segx::model
