// The rule of every detectron2 config key for `segx model import`: one row per key or section,
// honoured (the segx model config key it becomes), checked (the values accepted; others are
// refused by name), or not used (why). model_config_from_detectron2 implements the honoured and
// checked rows and reports the rest from here; tests/unit/model/detectron2_import_test.cpp checks
// that every key of every repository's defaults has a row and that the keys the mapping reads are
// the honoured and checked ones.
#include <algorithm>

#include "segx/model/import/detectron2.hpp"

namespace segx::model {
namespace {

constexpr auto H = Detectron2KeyUse::Honoured;
constexpr auto C = Detectron2KeyUse::Checked;
constexpr auto N = Detectron2KeyUse::NotUsed;

const char* const kTraining = "training only";
const char* const kDropout = "dropout: training only";
const char* const kLoss = "the training loss";
const char* const kOtherArch =
    "read only by detectron2's other meta-architectures (R-CNN, "
    "RetinaNet, Panoptic FPN, DeepLab)";
const char* const kAugment = "training-time data augmentation";
const char* const kRun = "a setting of upstream's run (training, evaluation, logging)";
const char* const kNobody = "no upstream code reads it";
const char* const kResNet = "ResNet backbones";
const char* const kDeepLab = "build_resnet_deeplab_backbone";
const char* const kSwin = "D2SwinTransformer";
const char* const kConvNeXt = "D2ConvNeXt";
const char* const kMaskFormerHeads = "Mask2Former and MaskFormer (MODEL.MASK_FORMER)";
const char* const kOneFormer = "OneFormer (MODEL.ONE_FORMER, MODEL.TEST)";
const char* const kMsDeform = "the MSDeformAttnPixelDecoder";
const char* const kOutputChoice =
    "an output choice of upstream's evaluation; segx infer --task "
    "chooses the output";

const std::vector<Detectron2KeyRule> kTable = {
    // Meta-architecture, input normalisation.
    {"MODEL.META_ARCHITECTURE", H,
     "architecture: MaskFormer (Mask2Former's or MaskFormer's repository), OneFormer; others "
     "(VideoMaskFormer, SemanticSegmentor, R-CNN, ...) refused",
     ""},
    {"MODEL.PIXEL_MEAN", H, "pixel_mean (3 values, RGB: INPUT.FORMAT is checked)", ""},
    {"MODEL.PIXEL_STD", H, "pixel_std (3 values)", ""},
    {"INPUT.FORMAT", C,
     "\"RGB\" (segx feeds RGB images; BGR weights would need their first "
     "convolution's channels reversed)",
     ""},
    {"MODEL.WEIGHTS", N, "the checkpoint upstream loads; segx model import is given it", ""},
    {"MODEL.DEVICE", N, "where upstream runs; segx chooses its device", ""},
    {"MODEL.LOAD_PROPOSALS", N, kOtherArch, ""},
    {"MODEL.MASK_ON", N, kOtherArch, ""},
    {"MODEL.KEYPOINT_ON", N, kOtherArch, ""},
    {"MODEL.IS_TRAIN", N,
     "OneFormer: builds the text encoder of the training's contrastive loss (its weights are "
     "skipped)",
     ""},
    {"MODEL.IS_DEMO", C,
     "False (OneFormer's demo mode filters instances by OBJECT_MASK_THRESHOLD; segx infers as "
     "upstream's evaluation)",
     kOneFormer},
    {"MODEL.TEXT_ENCODER.*", N, "OneFormer's text encoder: the training's contrastive loss", ""},
    // Backbone.
    {"MODEL.BACKBONE.NAME", H,
     "backbone: build_resnet_backbone, build_resnet_deeplab_backbone (resnet), "
     "D2SwinTransformer (swin), D2ConvNeXt (convnext, OneFormer); others (D2DiNAT, ...) refused",
     ""},
    {"MODEL.BACKBONE.FREEZE_AT", N, "frozen stages: training only", ""},
    {"MODEL.RESNETS.DEPTH", H, "resnet.depth", kResNet},
    {"MODEL.RESNETS.STEM_OUT_CHANNELS", H, "resnet.stem_out_channels", kResNet},
    {"MODEL.RESNETS.RES2_OUT_CHANNELS", H, "resnet.res2_out_channels (64 for R18/R34)", kResNet},
    {"MODEL.RESNETS.WIDTH_PER_GROUP", H, "resnet.width_per_group", kResNet},
    {"MODEL.RESNETS.NUM_GROUPS", H, "resnet.num_groups (1 for R18/R34)", kResNet},
    {"MODEL.RESNETS.STRIDE_IN_1X1", H, "resnet.stride_in_1x1", kResNet},
    {"MODEL.RESNETS.RES5_DILATION", H, "resnet.res5_dilation (1 or 2; 4 refused)", kResNet},
    {"MODEL.RESNETS.NORM", H,
     "resnet.norm: FrozenBN, GN; BN, SyncBN, naiveSyncBN, nnSyncBN become FrozenBN (the same "
     "function at inference); others refused",
     kResNet},
    {"MODEL.RESNETS.OUT_FEATURES", C, "res2, res3, res4 and res5 (what the pixel decoder reads)",
     kResNet},
    {"MODEL.RESNETS.DEFORM_ON_PER_STAGE", C, "all False (segx has no deformable convolution)",
     kResNet},
    {"MODEL.RESNETS.DEFORM_MODULATED", N, "read only for deformable stages, which are refused", ""},
    {"MODEL.RESNETS.DEFORM_NUM_GROUPS", N, "read only for deformable stages, which are refused",
     ""},
    {"MODEL.RESNETS.STEM_TYPE", H, "resnet.stem_type (\"basic\" or \"deeplab\")", kDeepLab},
    {"MODEL.RESNETS.RES4_DILATION", C, "1 (2 refused)", kDeepLab},
    {"MODEL.RESNETS.RES5_MULTI_GRID", H, "resnet.res5_multi_grid (3 values)", kDeepLab},
    {"MODEL.SWIN.PRETRAIN_IMG_SIZE", H, "swin.pretrain_img_size", kSwin},
    {"MODEL.SWIN.PATCH_SIZE", H, "swin.patch_size (4)", kSwin},
    {"MODEL.SWIN.EMBED_DIM", H, "swin.embed_dim", kSwin},
    {"MODEL.SWIN.DEPTHS", H, "swin.depths", kSwin},
    {"MODEL.SWIN.NUM_HEADS", H, "swin.num_heads", kSwin},
    {"MODEL.SWIN.WINDOW_SIZE", H, "swin.window_size", kSwin},
    {"MODEL.SWIN.MLP_RATIO", H, "swin.mlp_ratio", kSwin},
    {"MODEL.SWIN.QKV_BIAS", H, "swin.qkv_bias", kSwin},
    {"MODEL.SWIN.QK_SCALE", H, "swin.qk_scale (None: 0, upstream's head_dim^-0.5)", kSwin},
    {"MODEL.SWIN.DROP_PATH_RATE", H, "swin.drop_path_rate", kSwin},
    {"MODEL.SWIN.APE", H, "swin.ape", kSwin},
    {"MODEL.SWIN.PATCH_NORM", H, "swin.patch_norm", kSwin},
    {"MODEL.SWIN.OUT_FEATURES", C, "res2, res3, res4 and res5", kSwin},
    {"MODEL.SWIN.DROP_RATE", N, kDropout, ""},
    {"MODEL.SWIN.ATTN_DROP_RATE", N, kDropout, ""},
    {"MODEL.SWIN.USE_CHECKPOINT", N, "gradient checkpointing: training only", ""},
    {"MODEL.CONVNEXT.DEPTHS", H, "convnext.depths", kConvNeXt},
    {"MODEL.CONVNEXT.DIMS", H, "convnext.dims", kConvNeXt},
    {"MODEL.CONVNEXT.DROP_PATH_RATE", H, "convnext.drop_path_rate", kConvNeXt},
    {"MODEL.CONVNEXT.LSIT", H, "convnext.layer_scale_init_value", kConvNeXt},
    {"MODEL.CONVNEXT.IN_CHANNELS", C, "3", kConvNeXt},
    {"MODEL.CONVNEXT.OUT_INDICES", C, "[0, 1, 2, 3]", kConvNeXt},
    {"MODEL.CONVNEXT.OUT_FEATURES", C, "res2, res3, res4 and res5", kConvNeXt},
    {"MODEL.DiNAT.*", N, "the D2DiNAT backbone, which segx refuses (MODEL.BACKBONE.NAME)", ""},
    // Pixel decoder.
    {"MODEL.SEM_SEG_HEAD.NAME", C,
     "MaskFormerHead (Mask2Former, MaskFormer) or OneFormerHead (OneFormer); the per-pixel "
     "baselines refused",
     ""},
    {"MODEL.SEM_SEG_HEAD.PIXEL_DECODER_NAME", H,
     "pixel_decoder.name: MSDeformAttnPixelDecoder (msdeformattn), BasePixelDecoder (fpn), "
     "TransformerEncoderPixelDecoder (transformer_encoder)",
     ""},
    {"MODEL.SEM_SEG_HEAD.IN_FEATURES", C, "res2, res3, res4 and res5", ""},
    {"MODEL.SEM_SEG_HEAD.NUM_CLASSES", H, "num_classes", ""},
    {"MODEL.SEM_SEG_HEAD.CONVS_DIM", H, "pixel_decoder.conv_dim", ""},
    {"MODEL.SEM_SEG_HEAD.MASK_DIM", H, "pixel_decoder.mask_dim", ""},
    {"MODEL.SEM_SEG_HEAD.NORM", H, "pixel_decoder.norm (\"GN\" or \"\")", ""},
    {"MODEL.SEM_SEG_HEAD.TRANSFORMER_ENC_LAYERS", H, "pixel_decoder.transformer_enc_layers",
     "the MSDeformAttnPixelDecoder and TransformerEncoderPixelDecoder"},
    {"MODEL.SEM_SEG_HEAD.COMMON_STRIDE", H, "pixel_decoder.common_stride", kMsDeform},
    {"MODEL.SEM_SEG_HEAD.DEFORMABLE_TRANSFORMER_ENCODER_IN_FEATURES", H,
     "pixel_decoder.transformer_in_features", kMsDeform},
    {"MODEL.SEM_SEG_HEAD.DEFORMABLE_TRANSFORMER_ENCODER_N_POINTS", H, "pixel_decoder.n_points",
     kMsDeform},
    {"MODEL.SEM_SEG_HEAD.DEFORMABLE_TRANSFORMER_ENCODER_N_HEADS", N,
     "no upstream code reads it (the encoder's heads are MASK_FORMER.NHEADS or "
     "ONE_FORMER.NHEADS)",
     ""},
    {"MODEL.SEM_SEG_HEAD.SEM_EMBED_DIM", N, kNobody, ""},
    {"MODEL.SEM_SEG_HEAD.INST_EMBED_DIM", N, kNobody, ""},
    {"MODEL.SEM_SEG_HEAD.IGNORE_VALUE", N, kLoss, ""},
    {"MODEL.SEM_SEG_HEAD.LOSS_WEIGHT", N, kLoss, ""},
    {"MODEL.SEM_SEG_HEAD.LOSS_TYPE", N, "DeepLab's head only", ""},
    {"MODEL.SEM_SEG_HEAD.PROJECT_FEATURES", N, "DeepLab's head only", ""},
    {"MODEL.SEM_SEG_HEAD.PROJECT_CHANNELS", N, "DeepLab's head only", ""},
    {"MODEL.SEM_SEG_HEAD.ASPP_CHANNELS", N, "DeepLab's head only", ""},
    {"MODEL.SEM_SEG_HEAD.ASPP_DILATIONS", N, "DeepLab's head only", ""},
    {"MODEL.SEM_SEG_HEAD.ASPP_DROPOUT", N, "DeepLab's head only", ""},
    {"MODEL.SEM_SEG_HEAD.USE_DEPTHWISE_SEPARABLE_CONV", N, "DeepLab's head only", ""},
    // Transformer decoder: Mask2Former and MaskFormer.
    {"MODEL.MASK_FORMER.TRANSFORMER_DECODER_NAME", H,
     "architecture: MultiScaleMaskedTransformerDecoder (mask2former), StandardTransformerDecoder "
     "(maskformer); others refused",
     kMaskFormerHeads},
    {"MODEL.MASK_FORMER.HIDDEN_DIM", H, "decoder.hidden_dim", kMaskFormerHeads},
    {"MODEL.MASK_FORMER.NUM_OBJECT_QUERIES", H, "decoder.num_queries", kMaskFormerHeads},
    {"MODEL.MASK_FORMER.NHEADS", H,
     "decoder.nheads and pixel_decoder.transformer_nheads (the pixel decoder's encoder heads)",
     kMaskFormerHeads},
    {"MODEL.MASK_FORMER.DIM_FEEDFORWARD", H,
     "decoder.dim_feedforward; pixel_decoder.transformer_dim_feedforward for the "
     "TransformerEncoderPixelDecoder",
     kMaskFormerHeads},
    {"MODEL.MASK_FORMER.DEC_LAYERS", H, "decoder.dec_layers", kMaskFormerHeads},
    {"MODEL.MASK_FORMER.PRE_NORM", H,
     "decoder.pre_norm; pixel_decoder.transformer_pre_norm for the TransformerEncoderPixelDecoder",
     kMaskFormerHeads},
    {"MODEL.MASK_FORMER.ENFORCE_INPUT_PROJ", H, "decoder.enforce_input_proj", kMaskFormerHeads},
    {"MODEL.MASK_FORMER.ENC_LAYERS", H, "decoder.enc_layers (MaskFormer's decoder only)",
     "maskformer's StandardTransformerDecoder"},
    {"MODEL.MASK_FORMER.TRANSFORMER_IN_FEATURE", H,
     "decoder.transformer_in_feature (maskformer: res2..res5 or transformer_encoder); mask2former: "
     "checked to give the decoder CONVS_DIM channels (multi_scale_pixel_decoder)",
     kMaskFormerHeads},
    {"MODEL.MASK_FORMER.SIZE_DIVISIBILITY", H,
     "size_divisibility (-1: the backbone's, 0 for "
     "ResNet, 32 for Swin)",
     kMaskFormerHeads},
    {"MODEL.MASK_FORMER.TEST.OBJECT_MASK_THRESHOLD", H, "test.object_mask_threshold",
     kMaskFormerHeads},
    {"MODEL.MASK_FORMER.TEST.OVERLAP_THRESHOLD", H, "test.overlap_threshold", kMaskFormerHeads},
    {"MODEL.MASK_FORMER.TEST.SEM_SEG_POSTPROCESSING_BEFORE_INFERENCE", H,
     "test.sem_seg_postprocess_before_inference", kMaskFormerHeads},
    {"MODEL.MASK_FORMER.TEST.PANOPTIC_ON", H,
     "test.sem_seg_postprocess_before_inference (as upstream, which forces it on for panoptic); "
     "otherwise an output choice (segx infer --task)",
     kMaskFormerHeads},
    {"MODEL.MASK_FORMER.TEST.INSTANCE_ON", H,
     "test.sem_seg_postprocess_before_inference (Mask2Former forces it on for instance); "
     "otherwise an output choice (segx infer --task)",
     "Mask2Former's repository"},
    {"MODEL.MASK_FORMER.TEST.SEMANTIC_ON", N, kOutputChoice, ""},
    {"MODEL.MASK_FORMER.DROPOUT", N, kDropout, ""},
    {"MODEL.MASK_FORMER.DEEP_SUPERVISION", N, kLoss, ""},
    {"MODEL.MASK_FORMER.NO_OBJECT_WEIGHT", N, kLoss, ""},
    {"MODEL.MASK_FORMER.CLASS_WEIGHT", N, kLoss, ""},
    {"MODEL.MASK_FORMER.DICE_WEIGHT", N, kLoss, ""},
    {"MODEL.MASK_FORMER.MASK_WEIGHT", N, kLoss, ""},
    {"MODEL.MASK_FORMER.TRAIN_NUM_POINTS", N, kLoss, ""},
    {"MODEL.MASK_FORMER.OVERSAMPLE_RATIO", N, kLoss, ""},
    {"MODEL.MASK_FORMER.IMPORTANCE_SAMPLE_RATIO", N, kLoss, ""},
    // Transformer decoder: OneFormer.
    {"MODEL.ONE_FORMER.TRANSFORMER_DECODER_NAME", C,
     "ContrastiveMultiScaleMaskedTransformerDecoder", kOneFormer},
    {"MODEL.ONE_FORMER.HIDDEN_DIM", H, "decoder.hidden_dim", kOneFormer},
    {"MODEL.ONE_FORMER.NUM_OBJECT_QUERIES", H, "decoder.num_queries", kOneFormer},
    {"MODEL.ONE_FORMER.NHEADS", H, "decoder.nheads and pixel_decoder.transformer_nheads",
     kOneFormer},
    {"MODEL.ONE_FORMER.DIM_FEEDFORWARD", H, "decoder.dim_feedforward", kOneFormer},
    {"MODEL.ONE_FORMER.DEC_LAYERS", H, "decoder.dec_layers", kOneFormer},
    {"MODEL.ONE_FORMER.CLASS_DEC_LAYERS", H, "oneformer.class_dec_layers", kOneFormer},
    {"MODEL.ONE_FORMER.PRE_NORM", H, "decoder.pre_norm", kOneFormer},
    {"MODEL.ONE_FORMER.ENFORCE_INPUT_PROJ", H, "decoder.enforce_input_proj", kOneFormer},
    {"MODEL.ONE_FORMER.USE_TASK_NORM", H, "oneformer.use_task_norm", kOneFormer},
    {"MODEL.ONE_FORMER.ENC_LAYERS", C, "0 (encoder layers of the class transformer)", kOneFormer},
    {"MODEL.ONE_FORMER.TRANSFORMER_IN_FEATURE", C,
     "a feature that gives the decoder CONVS_DIM channels (multi_scale_pixel_decoder)", kOneFormer},
    {"MODEL.ONE_FORMER.SIZE_DIVISIBILITY", H, "size_divisibility (-1: the backbone's)", kOneFormer},
    {"MODEL.ONE_FORMER.NUM_OBJECT_CTX", N, kNobody, ""},
    {"MODEL.ONE_FORMER.DROPOUT", N, kDropout, ""},
    {"MODEL.ONE_FORMER.DEEP_SUPERVISION", N, kLoss, ""},
    {"MODEL.ONE_FORMER.NO_OBJECT_WEIGHT", N, kLoss, ""},
    {"MODEL.ONE_FORMER.CLASS_WEIGHT", N, kLoss, ""},
    {"MODEL.ONE_FORMER.DICE_WEIGHT", N, kLoss, ""},
    {"MODEL.ONE_FORMER.MASK_WEIGHT", N, kLoss, ""},
    {"MODEL.ONE_FORMER.CONTRASTIVE_WEIGHT", N, kLoss, ""},
    {"MODEL.ONE_FORMER.CONTRASTIVE_TEMPERATURE", N, kLoss, ""},
    {"MODEL.ONE_FORMER.TRAIN_NUM_POINTS", N, kLoss, ""},
    {"MODEL.ONE_FORMER.OVERSAMPLE_RATIO", N, kLoss, ""},
    {"MODEL.ONE_FORMER.IMPORTANCE_SAMPLE_RATIO", N, kLoss, ""},
    {"MODEL.TEST.OBJECT_MASK_THRESHOLD", H, "test.object_mask_threshold", kOneFormer},
    {"MODEL.TEST.OVERLAP_THRESHOLD", H, "test.overlap_threshold", kOneFormer},
    {"MODEL.TEST.SEM_SEG_POSTPROCESSING_BEFORE_INFERENCE", H,
     "test.sem_seg_postprocess_before_inference", kOneFormer},
    {"MODEL.TEST.PANOPTIC_ON", H, "test.sem_seg_postprocess_before_inference", kOneFormer},
    {"MODEL.TEST.INSTANCE_ON", H, "test.sem_seg_postprocess_before_inference", kOneFormer},
    {"MODEL.TEST.SEMANTIC_ON", N, kOutputChoice, ""},
    {"MODEL.TEST.DETECTION_ON", N, kOutputChoice, ""},
    {"MODEL.TEST.TASK", N, kOutputChoice, ""},
    {"INPUT.TASK_SEQ_LEN", H, "oneformer.task_seq_len", kOneFormer},
    {"MODEL.ANCHOR_GENERATOR.*", N, kOtherArch, ""},
    {"MODEL.PROPOSAL_GENERATOR.*", N, kOtherArch, ""},
    {"MODEL.RPN.*", N, kOtherArch, ""},
    {"MODEL.ROI_HEADS.*", N, kOtherArch, ""},
    {"MODEL.ROI_BOX_HEAD.*", N, kOtherArch, ""},
    {"MODEL.ROI_BOX_CASCADE_HEAD.*", N, kOtherArch, ""},
    {"MODEL.ROI_MASK_HEAD.*", N, kOtherArch, ""},
    {"MODEL.ROI_KEYPOINT_HEAD.*", N, kOtherArch, ""},
    {"MODEL.RETINANET.*", N, kOtherArch, ""},
    {"MODEL.FPN.*", N, kOtherArch, ""},
    {"MODEL.PANOPTIC_FPN.*", N, kOtherArch, ""},
    // Inference settings.
    {"INPUT.MIN_SIZE_TEST", H, "test.min_size", ""},
    {"INPUT.MAX_SIZE_TEST", H, "test.max_size", ""},
    {"TEST.DETECTIONS_PER_IMAGE", H, "test.topk_per_image", ""},
    {"TEST.AUG.ENABLED", C, "False (test-time augmentation is not segx's inference)", ""},
    {"TEST.AUG.*", N, "test-time augmentation, which is off", ""},
    {"TEST.EVAL_PERIOD", N, kRun, ""},
    {"TEST.EXPECTED_RESULTS", N, kRun, ""},
    {"TEST.KEYPOINT_OKS_SIGMAS", N, kOtherArch, ""},
    {"TEST.PRECISE_BN.*", N, kTraining, ""},
    {"INPUT.MIN_SIZE_TRAIN", N, kAugment, ""},
    {"INPUT.MIN_SIZE_TRAIN_SAMPLING", N, kAugment, ""},
    {"INPUT.MAX_SIZE_TRAIN", N, kAugment, ""},
    {"INPUT.RANDOM_FLIP", N, kAugment, ""},
    {"INPUT.CROP.*", N, kAugment, ""},
    {"INPUT.COLOR_AUG_SSD", N, kAugment, ""},
    {"INPUT.IMAGE_SIZE", N, kAugment, ""},
    {"INPUT.MIN_SCALE", N, kAugment, ""},
    {"INPUT.MAX_SCALE", N, kAugment, ""},
    {"INPUT.SIZE_DIVISIBILITY", N,
     "padding of training crops (inference pads to "
     "MASK_FORMER.SIZE_DIVISIBILITY)",
     ""},
    {"INPUT.MASK_FORMAT", N, "training annotations", ""},
    {"INPUT.DATASET_MAPPER_NAME", N, "the training data loader", ""},
    {"INPUT.MAX_SEQ_LEN", N, "OneFormer's text queries: the training's contrastive loss", ""},
    {"INPUT.TASK_PROB.*", N, "OneFormer's task sampling in training", ""},
    {"INPUT.SAMPLING_FRAME_NUM", N, "video training", ""},
    {"INPUT.SAMPLING_FRAME_RANGE", N, "video training", ""},
    {"INPUT.SAMPLING_FRAME_SHUFFLE", N, "video training", ""},
    {"INPUT.AUGMENTATIONS", N, "video training", ""},
    {"DATASETS.TRAIN", H,
     "thing_classes, class_names, category_ids: segx's category list of DATASETS.TRAIN[0] where "
     "segx has one",
     ""},
    {"DATASETS.*", N, kRun, ""},
    {"DATALOADER.*", N, kTraining, ""},
    {"SOLVER.*", N, kTraining, ""},
    {"VERSION", N, "the config format's version (checked while reading)", ""},
    {"FLOAT32_PRECISION", N, "matrix multiplication precision of upstream's run", ""},
    {"OUTPUT_DIR", N, kRun, ""},
    {"SEED", N, kRun, ""},
    {"CUDNN_BENCHMARK", N, kRun, ""},
    {"VIS_PERIOD", N, kRun, ""},
    {"GLOBAL.*", N, kRun, ""},
    {"WANDB.*", N, kRun, ""},
};

bool matches(const std::string& pattern, const std::string& key) {
  if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0)
    return key.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  return key == pattern;
}

}  // namespace

const std::vector<Detectron2KeyRule>& detectron2_key_table() {
  return kTable;
}

const Detectron2KeyRule* detectron2_key_rule(const std::string& key) {
  auto it = std::find_if(kTable.begin(), kTable.end(),
                         [&](const Detectron2KeyRule& r) { return matches(r.pattern, key); });
  return it == kTable.end() ? nullptr : &*it;
}

}  // namespace segx::model
