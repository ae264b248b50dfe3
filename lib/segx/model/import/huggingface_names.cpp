// Hugging Face -> detectron2 tensor names: the conversion scripts of transformers read backwards.
// Each function names the script function it inverts (huggingface/transformers, path @ commit):
//   M2F
//   src/transformers/models/mask2former/convert_mask2former_original_pytorch_checkpoint_to_pytorch.py
//        @ 019760818965c71b0a4d38e95820ee0b6cee4240
//   ONE  src/transformers/models/oneformer/convert_to_hf_oneformer.py
//        @ 08196ab2530bdff6c80e5975abb7cd53a78e2bbe
//   MFR  src/transformers/models/maskformer/convert_maskformer_resnet_to_pytorch.py
//        @ 0004a3c206a354820edc45954e80b6657f10a7c7
//   MFS  src/transformers/models/maskformer/convert_maskformer_swin_to_pytorch.py
//        @ 06fefc4d4fec6025a798bfac282af3a3884a11fc
//   CNX  src/transformers/models/convnext/convert_convnext_to_pytorch.py
//        @ cc5ef1af4da170c1679639d20199da7f8ef0efa8
// Where a script splits a fused tensor (Swin's qkv, nn.MultiheadAttention's in_proj), the rule
// concatenates the parts back in the order the script slices them. M2F and ONE slice the decoder's
// in_proj at a literal 256 (every released model is 256 wide): the split is at hidden_dim, which
// the literal stands for, and concatenating the three parts is the same for any width.
#include "segx/model/import/huggingface_names.hpp"

#include <fmt/format.h>

#include <array>

namespace segx::model {
namespace {

using Rules = std::vector<HuggingFaceNameRule>;

void rename(Rules& r, const std::string& d2, const std::string& hf) {
  r.push_back({d2, {hf}});
}

// "<d2>.weight/.bias" <- "<hf>.weight/.bias"
void weight_bias(Rules& r, const std::string& d2, const std::string& hf) {
  rename(r, d2 + ".weight", hf + ".weight");
  rename(r, d2 + ".bias", hf + ".bias");
}

void qkv(Rules& r, const std::string& d2, const std::string& q, const std::string& k,
         const std::string& v) {
  r.push_back({d2, {q, k, v}});
}

// detectron2 Conv2d with a norm: "<d2>.weight", "<d2>.norm.*" <- transformers' Sequential(conv,
// norm): "<hf>.0.weight", "<hf>.1.*".
void conv_norm(Rules& r, const std::string& d2, const std::string& hf) {
  rename(r, d2 + ".weight", hf + ".0.weight");
  weight_bias(r, d2 + ".norm", hf + ".1");
}

// ---- backbones -------------------------------------------------------------------------------

// M2F replace_swin_backbone (ONE replace_swin_backbone is the same); MFS create_rename_keys and
// read_in_swin_q_k_v for MaskFormer's MaskFormerSwinBackbone.
void swin(Rules& r, const SwinConfig& c, HuggingFaceSwinLayout layout) {
  const bool mf = layout == HuggingFaceSwinLayout::MaskFormerSwin;
  const std::string e = "model.pixel_level_module.encoder.";
  const std::string m = mf ? e + "model." : e;  // MaskFormerSwinBackbone.model
  weight_bias(r, "backbone.patch_embed.proj", m + "embeddings.patch_embeddings.projection");
  weight_bias(r, "backbone.patch_embed.norm", m + "embeddings.norm");
  const int stages = static_cast<int>(c.depths.size());
  for (int i = 0; i < stages; ++i) {
    for (int j = 0; j < c.depths[i]; ++j) {
      const auto s = fmt::format("backbone.layers.{}.blocks.{}.", i, j);
      const auto d = fmt::format("{}encoder.layers.{}.blocks.{}.", m, i, j);
      weight_bias(r, s + "norm1", d + "layernorm_before");
      rename(r, s + "attn.relative_position_bias_table",
             d + "attention.self.relative_position_bias_table");
      const auto a = d + "attention.self.";
      qkv(r, s + "attn.qkv.weight", a + "query.weight", a + "key.weight", a + "value.weight");
      if (c.qkv_bias)
        qkv(r, s + "attn.qkv.bias", a + "query.bias", a + "key.bias", a + "value.bias");
      weight_bias(r, s + "attn.proj", d + "attention.output.dense");
      weight_bias(r, s + "norm2", d + "layernorm_after");
      weight_bias(r, s + "mlp.fc1", d + "intermediate.dense");
      weight_bias(r, s + "mlp.fc2", d + "output.dense");
      r.push_back({s + "attn.relative_position_index",
                   {d + "attention.self.relative_position_index"},
                   true});
    }
    if (i < stages - 1) {
      const auto s = fmt::format("backbone.layers.{}.downsample.", i);
      const auto d = fmt::format("{}encoder.layers.{}.downsample.", m, i);
      rename(r, s + "reduction.weight", d + "reduction.weight");
      weight_bias(r, s + "norm", d + "norm");
    }
    weight_bias(r, fmt::format("backbone.norm{}", i),
                mf ? fmt::format("{}hidden_states_norms.{}", e, i)
                   : fmt::format("{}hidden_states_norms.stage{}", e, i + 1));
  }
}

// CNX rename_key over D2ConvNeXt's names (facebookresearch/ConvNeXt's, which it shares), under
// ConvNextBackbone's prefix; D2ConvNeXt's out norms norm{i} are ConvNextBackbone's
// hidden_states_norms.stage{i+1}, as ONE maps Swin's (transformers converts no OneFormer
// ConvNeXt).
void convnext(Rules& r, const ConvNeXtConfig& c) {
  const std::string e = "model.pixel_level_module.encoder.";
  weight_bias(r, "backbone.downsample_layers.0.0", e + "embeddings.patch_embeddings");
  weight_bias(r, "backbone.downsample_layers.0.1", e + "embeddings.layernorm");
  for (std::size_t s = 0; s < c.depths.size(); ++s) {
    if (s > 0)
      for (int k = 0; k < 2; ++k)
        weight_bias(r, fmt::format("backbone.downsample_layers.{}.{}", s, k),
                    fmt::format("{}encoder.stages.{}.downsampling_layer.{}", e, s, k));
    for (int j = 0; j < c.depths[s]; ++j) {
      const auto d2 = fmt::format("backbone.stages.{}.{}.", s, j);
      const auto hf = fmt::format("{}encoder.stages.{}.layers.{}.", e, s, j);
      weight_bias(r, d2 + "dwconv", hf + "dwconv");
      weight_bias(r, d2 + "norm", hf + "layernorm");
      weight_bias(r, d2 + "pwconv1", hf + "pwconv1");
      weight_bias(r, d2 + "pwconv2", hf + "pwconv2");
      if (c.layer_scale_init_value > 0) rename(r, d2 + "gamma", hf + "layer_scale_parameter");
    }
    weight_bias(r, fmt::format("backbone.norm{}", s),
                fmt::format("{}hidden_states_norms.stage{}", e, s + 1));
  }
}

// detectron2 FrozenBatchNorm2d <- transformers' BatchNorm2d ("normalization").
void frozen_bn(Rules& r, const std::string& d2, const std::string& hf) {
  for (const char* p : {"weight", "bias", "running_mean", "running_var"})
    rename(r, d2 + ".norm." + p, hf + ".normalization." + p);
}

// MFR create_rename_keys, the backbone part (ResNetBackbone).
void resnet(Rules& r, const ResNetConfig& c) {
  const std::string e = "model.pixel_level_module.encoder.";
  rename(r, "backbone.stem.conv1.weight", e + "embedder.embedder.convolution.weight");
  frozen_bn(r, "backbone.stem.conv1", e + "embedder.embedder");
  std::array<int, 4> blocks{3, 4, 6, 3};
  if (c.depth == 101) blocks = {3, 4, 23, 3};
  if (c.depth == 152) blocks = {3, 8, 36, 3};
  int in = c.stem_out_channels;
  for (int s = 0; s < 4; ++s) {
    const int out = c.res2_out_channels << s;
    for (int j = 0; j < blocks[s]; ++j) {
      const auto d2 = fmt::format("backbone.res{}.{}", s + 2, j);
      const auto hf = fmt::format("{}encoder.stages.{}.layers.{}", e, s, j);
      // MFR renames every stage's first shortcut; both models have one only where the block
      // changes channels (stride changes them too in every stage but the first)
      if (j == 0 && in != out) {
        rename(r, d2 + ".shortcut.weight", hf + ".shortcut.convolution.weight");
        frozen_bn(r, d2 + ".shortcut", hf + ".shortcut");
      }
      for (int i = 0; i < 3; ++i) {
        rename(r, fmt::format("{}.conv{}.weight", d2, i + 1),
               fmt::format("{}.layer.{}.convolution.weight", hf, i));
        frozen_bn(r, fmt::format("{}.conv{}", d2, i + 1), fmt::format("{}.layer.{}", hf, i));
      }
      in = out;
    }
  }
}

// ---- pixel decoders ---------------------------------------------------------------------------

// M2F / ONE replace_pixel_module (MSDeformAttnPixelDecoder).
void msdeformattn(Rules& r, const PixelDecoderConfig& c) {
  const std::string d2 = "sem_seg_head.pixel_decoder.";
  const std::string hf = "model.pixel_level_module.decoder.";
  // The scripts rename adapter_1/layer_1: the one FPN level of common_stride 4 under res3..res5.
  int levels = 0;
  for (int stride = 8; stride > c.common_stride; stride /= 2) ++levels;
  for (int i = 1; i <= levels; ++i) {
    conv_norm(r, fmt::format("{}adapter_{}", d2, i), fmt::format("{}adapter_{}", hf, i));
    conv_norm(r, fmt::format("{}layer_{}", d2, i), fmt::format("{}layer_{}", hf, i));
  }
  for (std::size_t i = 0; i < c.transformer_in_features.size(); ++i)
    for (int j = 0; j < 2; ++j)
      weight_bias(r, fmt::format("{}input_proj.{}.{}", d2, i, j),
                  fmt::format("{}input_projections.{}.{}", hf, i, j));
  rename(r, d2 + "transformer.level_embed", hf + "level_embed");
  for (int l = 0; l < c.transformer_enc_layers; ++l) {
    const auto s = fmt::format("{}transformer.encoder.layers.{}.", d2, l);
    const auto d = fmt::format("{}encoder.layers.{}.", hf, l);
    weight_bias(r, s + "linear1", d + "fc1");
    weight_bias(r, s + "linear2", d + "fc2");
    weight_bias(r, s + "norm1", d + "self_attn_layer_norm");
    weight_bias(r, s + "norm2", d + "final_layer_norm");
    for (const char* n : {"attention_weights", "output_proj", "sampling_offsets", "value_proj"})
      weight_bias(r, s + "self_attn." + n, d + "self_attn." + n);
  }
  weight_bias(r, d2 + "mask_features", hf + "mask_projection");
}

// MFR / MFS create_rename_keys, the FPN part (BasePixelDecoder). The scripts read the model zoo's
// .pkl, whose keys predate MaskFormerHead's version 2 ("sem_seg_head.layer_4"); detectron2 loads
// them as "sem_seg_head.pixel_decoder.layer_4", the names segx takes.
void fpn(Rules& r) {
  const std::string d2 = "sem_seg_head.pixel_decoder.";
  const std::string hf = "model.pixel_level_module.decoder.";
  conv_norm(r, d2 + "layer_4", hf + "fpn.stem");
  for (int source = 3, target = 0; source > 0; --source, ++target) {
    conv_norm(r, fmt::format("{}adapter_{}", d2, source),
              fmt::format("{}fpn.layers.{}.proj", hf, target));
    conv_norm(r, fmt::format("{}layer_{}", d2, source),
              fmt::format("{}fpn.layers.{}.block", hf, target));
  }
  weight_bias(r, d2 + "mask_features", hf + "mask_projection");
}

// ---- transformer decoders ---------------------------------------------------------------------

// q/k/v projections of transformers' attention, "<hf>.{q,k,v}_proj", back into
// nn.MultiheadAttention's in_proj_weight / in_proj_bias at "<d2>".
void in_proj(Rules& r, const std::string& d2, const std::string& hf) {
  qkv(r, d2 + ".in_proj_weight", hf + ".q_proj.weight", hf + ".k_proj.weight",
      hf + ".v_proj.weight");
  qkv(r, d2 + ".in_proj_bias", hf + ".q_proj.bias", hf + ".k_proj.bias", hf + ".v_proj.bias");
}

// nn.MultiheadAttention kept whole by the scripts (rename_keys_for_attn).
void attention(Rules& r, const std::string& d2, const std::string& hf) {
  rename(r, d2 + ".in_proj_weight", hf + ".in_proj_weight");
  rename(r, d2 + ".in_proj_bias", hf + ".in_proj_bias");
  weight_bias(r, d2 + ".out_proj", hf + ".out_proj");
}

// M2F replace_transformer_module (rename_keys_in_masked_attention_decoder,
// replace_keys_qkv_transformer_decoder) and replace_universal_segmentation_module.
void masked_decoder(Rules& r, const DecoderConfig& c) {
  const std::string d2 = "sem_seg_head.predictor.";
  const std::string t = "model.transformer_module.";
  for (int i = 0; i < c.dec_layers - 1; ++i) {
    const auto sa = fmt::format("{}transformer_self_attention_layers.{}.", d2, i);
    const auto ca = fmt::format("{}transformer_cross_attention_layers.{}.", d2, i);
    const auto ff = fmt::format("{}transformer_ffn_layers.{}.", d2, i);
    const auto d = fmt::format("{}decoder.layers.{}.", t, i);
    in_proj(r, sa + "self_attn", d + "self_attn");
    weight_bias(r, sa + "self_attn.out_proj", d + "self_attn.out_proj");
    weight_bias(r, sa + "norm", d + "self_attn_layer_norm");
    attention(r, ca + "multihead_attn", d + "cross_attn");
    weight_bias(r, ca + "norm", d + "cross_attn_layer_norm");
    weight_bias(r, ff + "linear1", d + "fc1");
    weight_bias(r, ff + "linear2", d + "fc2");
    weight_bias(r, ff + "norm", d + "final_layer_norm");
  }
  weight_bias(r, d2 + "decoder_norm", t + "decoder.layernorm");
  for (int i = 0; i < 3; ++i)
    weight_bias(r, fmt::format("{}mask_embed.layers.{}", d2, i),
                fmt::format("{}decoder.mask_predictor.mask_embedder.{}.0", t, i));
  rename(r, d2 + "query_embed.weight", t + "queries_embedder.weight");
  rename(r, d2 + "query_feat.weight", t + "queries_features.weight");
  rename(r, d2 + "level_embed.weight", t + "level_embed.weight");
  weight_bias(r, d2 + "class_embed", "class_predictor");
}

// ONE replace_transformer_module (and replace_keys_qkv_transformer_decoder), replace_task_mlp.
void oneformer_decoder(Rules& r, const ModelConfig& c) {
  const std::string d2 = "sem_seg_head.predictor.";
  const std::string t = "model.transformer_module.";
  rename(r, d2 + "query_embed.weight", t + "queries_embedder.weight");
  rename(r, d2 + "level_embed.weight", t + "level_embed.weight");
  weight_bias(r, d2 + "decoder_norm", t + "decoder.decoder_norm");
  weight_bias(r, d2 + "class_input_proj", t + "decoder.query_input_projection");
  weight_bias(r, d2 + "class_embed", t + "decoder.class_embed");
  for (int i = 0; i < 3; ++i)
    weight_bias(r, fmt::format("{}mask_embed.layers.{}", d2, i),
                fmt::format("{}decoder.mask_embed.layers.{}.0", t, i));
  weight_bias(r, d2 + "class_transformer.decoder.norm",
              t + "decoder.query_transformer.decoder.norm");
  for (int i = 0; i < c.oneformer.class_dec_layers; ++i) {
    const auto s = fmt::format("{}class_transformer.decoder.layers.{}.", d2, i);
    const auto d = fmt::format("{}decoder.query_transformer.decoder.layers.{}.", t, i);
    for (const char* n : {"linear1", "linear2", "norm1", "norm2", "norm3"})
      weight_bias(r, s + n, d + n);
    attention(r, s + "self_attn", d + "self_attn");
    attention(r, s + "multihead_attn", d + "multihead_attn");
  }
  for (int i = 0; i < c.decoder.dec_layers - 1; ++i) {
    const auto d = fmt::format("{}decoder.layers.{}.", t, i);
    const auto ca = fmt::format("{}transformer_cross_attention_layers.{}.", d2, i);
    weight_bias(r, ca + "norm", d + "cross_attn.norm");
    attention(r, ca + "multihead_attn", d + "cross_attn.multihead_attn");
    const auto sa = fmt::format("{}transformer_self_attention_layers.{}.", d2, i);
    weight_bias(r, sa + "norm", d + "self_attn.norm");
    weight_bias(r, sa + "self_attn.out_proj", d + "self_attn.self_attn.out_proj");
    in_proj(r, sa + "self_attn", d + "self_attn.self_attn");
    const auto ff = fmt::format("{}transformer_ffn_layers.{}.", d2, i);
    for (const char* n : {"linear1", "linear2", "norm"}) weight_bias(r, ff + n, d + "ffn." + n);
  }
  for (int i = 0; i < 2; ++i)
    weight_bias(r, fmt::format("task_mlp.layers.{}", i),
                fmt::format("model.task_encoder.task_mlp.layers.{}.0", i));
}

// The channels of the backbone's last stage (res5), which MaskFormer's decoder reads.
int res5_channels(const ModelConfig& c) {
  if (c.backbone == "swin") return c.swin.embed_dim << (c.swin.depths.size() - 1);
  if (c.backbone == "convnext") return c.convnext.dims.back();
  return c.resnet.res2_out_channels * 8;
}

// MFR / MFS create_rename_keys (the decoder and heads) and read_in_decoder_q_k_v.
void detr_decoder(Rules& r, const ModelConfig& c) {
  const std::string d2 = "sem_seg_head.predictor.";
  const std::string t = "model.transformer_module.";
  for (int i = 0; i < c.decoder.dec_layers; ++i) {
    const auto s = fmt::format("{}transformer.decoder.layers.{}.", d2, i);
    const auto d = fmt::format("{}decoder.layers.{}.", t, i);
    in_proj(r, s + "self_attn", d + "self_attn");
    weight_bias(r, s + "self_attn.out_proj", d + "self_attn.out_proj");
    in_proj(r, s + "multihead_attn", d + "encoder_attn");
    weight_bias(r, s + "multihead_attn.out_proj", d + "encoder_attn.out_proj");
    weight_bias(r, s + "linear1", d + "fc1");
    weight_bias(r, s + "linear2", d + "fc2");
    weight_bias(r, s + "norm1", d + "self_attn_layer_norm");
    weight_bias(r, s + "norm2", d + "encoder_attn_layer_norm");
    weight_bias(r, s + "norm3", d + "final_layer_norm");
  }
  weight_bias(r, d2 + "transformer.decoder.norm", t + "decoder.layernorm");
  rename(r, d2 + "query_embed.weight", t + "queries_embedder.weight");
  // MaskFormerTransformerModule has input_projection only where the channels differ (as the
  // official TransformerPredictor without ENFORCE_INPUT_PROJ)
  if (res5_channels(c) != c.decoder.hidden_dim)
    weight_bias(r, d2 + "input_proj", t + "input_projection");
  weight_bias(r, d2 + "class_embed", "class_predictor");
  for (int i = 0; i < 3; ++i)
    weight_bias(r, fmt::format("{}mask_embed.layers.{}", d2, i),
                fmt::format("mask_embedder.{}.0", i));
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<HuggingFaceNameRule> huggingface_name_rules(const ModelConfig& c,
                                                        HuggingFaceSwinLayout swin_layout) {
  Rules r;
  if (c.backbone == "swin") swin(r, c.swin, swin_layout);
  if (c.backbone == "convnext") convnext(r, c.convnext);
  if (c.backbone == "resnet") resnet(r, c.resnet);
  if (c.is_maskformer()) {
    fpn(r);
    detr_decoder(r, c);
  } else {
    msdeformattn(r, c.pixel_decoder);
    if (c.is_oneformer())
      oneformer_decoder(r, c);
    else
      masked_decoder(r, c.decoder);
  }
  return r;
}

std::string huggingface_ignored_tensor(const std::string& name) {
  if (starts_with(name, "criterion.")) return "the loss's own tensor (training only)";
  if (ends_with(name, ".num_batches_tracked"))
    return "BatchNorm's update counter (frozen here, as detectron2's FrozenBatchNorm2d)";
  if (name == "model.pixel_level_module.encoder.model.layernorm.weight" ||
      name == "model.pixel_level_module.encoder.model.layernorm.bias")
    return "MaskFormerSwinModel's final norm, which MaskFormerSwinBackbone does not use (the "
           "conversion leaves it at its initial value)";
  if (starts_with(name, "model.text_mapper."))
    return "OneFormer's text encoder (is_training: the contrastive loss only)";
  return {};
}

}  // namespace segx::model
