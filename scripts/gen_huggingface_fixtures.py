#!/usr/bin/python3
"""Hugging Face checkpoint folders made from segx's official parity fixtures, without transformers.

  scripts/gen_huggingface_fixtures.py [NAME ...] [--out tests/parity/model/data/huggingface]

Each folder is what transformers' own conversion script would have written for the official
checkpoint of a parity fixture (tests/parity/model/data/NAME/weights.safetensors, detectron2
names, and its config.yaml): the tensors renamed to transformers' layout by transcribing the
conversion scripts' renaming rules line by line (each function below names the function it
follows), and config.json as `PretrainedConfig.to_dict()` would emit it for the configuration
class (every attribute its __init__ sets, the backbone's config nested), plus model.safetensors.
It is the oracle of segx's C++ import (lib/segx/model/import/huggingface.cpp), written
independently of that file's table: the C++ import of each folder must give back the fixture's
weights.safetensors bit for bit and its model.json.

transformers, as read (huggingface/transformers, path @ commit):
  M2F   src/transformers/models/mask2former/convert_mask2former_original_pytorch_checkpoint_to_pytorch.py
        @ 019760818965c71b0a4d38e95820ee0b6cee4240
  ONE   src/transformers/models/oneformer/convert_to_hf_oneformer.py
        @ 08196ab2530bdff6c80e5975abb7cd53a78e2bbe
  MFR   src/transformers/models/maskformer/convert_maskformer_resnet_to_pytorch.py
        @ 0004a3c206a354820edc45954e80b6657f10a7c7
  MFS   src/transformers/models/maskformer/convert_maskformer_swin_to_pytorch.py
        @ 06fefc4d4fec6025a798bfac282af3a3884a11fc
  CNX   src/transformers/models/convnext/convert_convnext_to_pytorch.py
        @ cc5ef1af4da170c1679639d20199da7f8ef0efa8
  configuration_mask2former.py @ f8d994c1b4ddf2d5323bbd83282db1ecae20cf3b,
  configuration_oneformer.py @ b39782da06db496e7c2528808f42718e54157709,
  configuration_maskformer.py @ 4e0291eb0db424c006c41f3b52369922ffd9c776,
  swin/configuration_swin.py @ 01ae98ae2414210efd0d9ac1ffe78ff21588f1f7,
  convnext/configuration_convnext.py @ bbe7c6c94d1c6da3a7e4dfd8df64d908897324e9,
  swin/modeling_swin.py @ 0004a3c206a354820edc45954e80b6657f10a7c7 (relative_position_index).

Where the fixtures leave the scripts' path (each marked "deviation" below):
  - M2F and ONE split the decoder's self-attention in_proj with a hard-coded 256 (every released
    model is 256 wide); the fixtures are 32 wide, so the split uses hidden_dim, which is what 256
    stands for.
  - The scripts pick the backbone config from a hub model by EMBED_DIM (96/128/192) and raise for
    others; the fixtures' Swin is 8 wide, so its SwinConfig is written from MODEL.SWIN.*.
  - transformers has no OneFormer ConvNeXt conversion: its ConvNeXt backbone follows CNX's
    rename_key (facebookresearch/ConvNeXt names, which D2ConvNeXt shares) under OneFormer's encoder
    prefix, and D2ConvNeXt's out norms norm{i} go to ConvNextBackbone's hidden_states_norms.stage{i+1}
    as ONE does for Swin's norm{i}.
  - MFR reads the model zoo's .pkl, whose pixel decoder keys predate MaskFormerHead's version 2
    ("sem_seg_head.layer_4", upgraded to "sem_seg_head.pixel_decoder.layer_4" on load): the
    fixture's names are turned back into those before MFR's rules apply.
  - D2Swin's relative_position_index buffers are not in the fixtures' weights: the folder carries
    the ones transformers' SwinSelfAttention registers (a persistent buffer, so save_pretrained
    writes it), computed as it computes them. Likewise BatchNorm's num_batches_tracked (0) and the
    criterion's empty_weight, which transformers' models hold and save.
  - MFR renames a shortcut in each stage's first block; where that block keeps its channels and
    stride neither detectron2 nor transformers has one (this fixture's res2.0: stem 16, res2 16).
  - id2label: the label files on the hub are not at hand; names are "class_<i>".
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from segx_safetensors import tensor_bytes, write_safetensors  # noqa: E402

DATA = os.path.join(ROOT, "tests", "parity", "model", "data")
TRANSFORMERS_VERSION = "4.46.0"

_NP = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32,
       "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        blob = f.read()
    header.pop("__metadata__", None)
    out = {}
    for name, h in header.items():
        a, b = h["data_offsets"]
        arr = np.frombuffer(blob[a:b], dtype=_NP[h["dtype"]]).reshape(h["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def pop_all(renamed_keys, dst_state_dict, src_state_dict):
    # M2F / ONE OriginalXCheckpointToOursConverter.pop_all
    for src_key, dst_key in renamed_keys:
        dst_state_dict[dst_key] = src_state_dict.pop(src_key)


def swin_relative_position_index(window_size):
    # swin/modeling_swin.py SwinSelfAttention.__init__ (the buffer transformers registers)
    coords_h = torch.arange(window_size)
    coords_w = torch.arange(window_size)
    coords = torch.stack(torch.meshgrid([coords_h, coords_w], indexing="ij"))
    coords_flatten = torch.flatten(coords, 1)
    relative_coords = coords_flatten[:, :, None] - coords_flatten[:, None, :]
    relative_coords = relative_coords.permute(1, 2, 0).contiguous()
    relative_coords[:, :, 0] += window_size - 1
    relative_coords[:, :, 1] += window_size - 1
    relative_coords[:, :, 0] *= 2 * window_size - 1
    return relative_coords.sum(-1)


def take_index(src_state_dict, key, window_size):
    # deviation: the fixtures carry no D2Swin index buffers; transformers' model holds its own
    if key in src_state_dict:
        return src_state_dict.pop(key)
    return swin_relative_position_index(window_size)


# ---- Swin backbone: M2F replace_swin_backbone (ONE replace_swin_backbone is the same, with
# num_layers - 1 for M2F's literal 3) ----------------------------------------------------------
def replace_swin_backbone(dst_state_dict, src_state_dict, depths, window_size):
    dst_prefix = "pixel_level_module.encoder"
    src_prefix = "backbone"

    renamed_keys = [
        (f"{src_prefix}.patch_embed.proj.weight",
         f"{dst_prefix}.embeddings.patch_embeddings.projection.weight"),
        (f"{src_prefix}.patch_embed.proj.bias", f"{dst_prefix}.embeddings.patch_embeddings.projection.bias"),
        (f"{src_prefix}.patch_embed.norm.weight", f"{dst_prefix}.embeddings.norm.weight"),
        (f"{src_prefix}.patch_embed.norm.bias", f"{dst_prefix}.embeddings.norm.bias"),
    ]
    num_layers = len(depths)
    for layer_idx in range(num_layers):
        for block_idx in range(depths[layer_idx]):
            s = f"{src_prefix}.layers.{layer_idx}.blocks.{block_idx}"
            d = f"{dst_prefix}.encoder.layers.{layer_idx}.blocks.{block_idx}"
            renamed_keys.extend([
                (f"{s}.norm1.weight", f"{d}.layernorm_before.weight"),
                (f"{s}.norm1.bias", f"{d}.layernorm_before.bias"),
                (f"{s}.attn.relative_position_bias_table", f"{d}.attention.self.relative_position_bias_table"),
            ])
            src_att_weight = src_state_dict[f"{s}.attn.qkv.weight"]
            src_att_bias = src_state_dict[f"{s}.attn.qkv.bias"]
            size = src_att_weight.shape[0]
            offset = size // 3
            dst_state_dict[f"{d}.attention.self.query.weight"] = src_att_weight[:offset, :]
            dst_state_dict[f"{d}.attention.self.query.bias"] = src_att_bias[:offset]
            dst_state_dict[f"{d}.attention.self.key.weight"] = src_att_weight[offset: offset * 2, :]
            dst_state_dict[f"{d}.attention.self.key.bias"] = src_att_bias[offset: offset * 2]
            dst_state_dict[f"{d}.attention.self.value.weight"] = src_att_weight[-offset:, :]
            dst_state_dict[f"{d}.attention.self.value.bias"] = src_att_bias[-offset:]
            src_state_dict.pop(f"{s}.attn.qkv.weight")
            src_state_dict.pop(f"{s}.attn.qkv.bias")
            renamed_keys.extend([
                (f"{s}.attn.proj.weight", f"{d}.attention.output.dense.weight"),
                (f"{s}.attn.proj.bias", f"{d}.attention.output.dense.bias"),
            ])
            renamed_keys.extend([
                (f"{s}.norm2.weight", f"{d}.layernorm_after.weight"),
                (f"{s}.norm2.bias", f"{d}.layernorm_after.bias"),
            ])
            renamed_keys.extend([
                (f"{s}.mlp.fc1.weight", f"{d}.intermediate.dense.weight"),
                (f"{s}.mlp.fc1.bias", f"{d}.intermediate.dense.bias"),
                (f"{s}.mlp.fc2.weight", f"{d}.output.dense.weight"),
                (f"{s}.mlp.fc2.bias", f"{d}.output.dense.bias"),
            ])
            # (s.attn.relative_position_index -> d.attention.self.relative_position_index)
            dst_state_dict[f"{d}.attention.self.relative_position_index"] = take_index(
                src_state_dict, f"{s}.attn.relative_position_index", window_size)

        if layer_idx < num_layers - 1:
            s = f"{src_prefix}.layers.{layer_idx}"
            d = f"{dst_prefix}.encoder.layers.{layer_idx}"
            renamed_keys.extend([
                (f"{s}.downsample.reduction.weight", f"{d}.downsample.reduction.weight"),
                (f"{s}.downsample.norm.weight", f"{d}.downsample.norm.weight"),
                (f"{s}.downsample.norm.bias", f"{d}.downsample.norm.bias"),
            ])

        renamed_keys.extend([
            (f"{src_prefix}.norm{layer_idx}.weight", f"{dst_prefix}.hidden_states_norms.stage{layer_idx + 1}.weight"),
            (f"{src_prefix}.norm{layer_idx}.bias", f"{dst_prefix}.hidden_states_norms.stage{layer_idx + 1}.bias"),
        ])
    pop_all(renamed_keys, dst_state_dict, src_state_dict)


# ---- ConvNeXt backbone of OneFormer: CNX rename_key (deviation, see the module docstring) ----------
def convnext_rename_key(name):
    # CNX rename_key, verbatim
    if "downsample_layers.0.0" in name:
        name = name.replace("downsample_layers.0.0", "embeddings.patch_embeddings")
    if "downsample_layers.0.1" in name:
        name = name.replace("downsample_layers.0.1", "embeddings.norm")  # we rename to layernorm later on
    if "downsample_layers.1.0" in name:
        name = name.replace("downsample_layers.1.0", "stages.1.downsampling_layer.0")
    if "downsample_layers.1.1" in name:
        name = name.replace("downsample_layers.1.1", "stages.1.downsampling_layer.1")
    if "downsample_layers.2.0" in name:
        name = name.replace("downsample_layers.2.0", "stages.2.downsampling_layer.0")
    if "downsample_layers.2.1" in name:
        name = name.replace("downsample_layers.2.1", "stages.2.downsampling_layer.1")
    if "downsample_layers.3.0" in name:
        name = name.replace("downsample_layers.3.0", "stages.3.downsampling_layer.0")
    if "downsample_layers.3.1" in name:
        name = name.replace("downsample_layers.3.1", "stages.3.downsampling_layer.1")
    if "stages" in name and "downsampling_layer" not in name:
        # stages.0.0. for instance should be renamed to stages.0.layers.0.
        name = name[: len("stages.0")] + ".layers" + name[len("stages.0"):]
    if "stages" in name:
        name = name.replace("stages", "encoder.stages")
    if "norm" in name:
        name = name.replace("norm", "layernorm")
    if "gamma" in name:
        name = name.replace("gamma", "layer_scale_parameter")
    if "head" in name:
        name = name.replace("head", "classifier")
    return name


def replace_convnext_backbone(dst_state_dict, src_state_dict, num_stages):
    dst_prefix = "pixel_level_module.encoder"
    for i in range(num_stages):
        # D2ConvNeXt's out norm{i} -> ConvNextBackbone.hidden_states_norms[stage{i+1}]
        for p in ("weight", "bias"):
            dst_state_dict[f"{dst_prefix}.hidden_states_norms.stage{i + 1}.{p}"] = src_state_dict.pop(
                f"backbone.norm{i}.{p}")
    for key in [k for k in src_state_dict if k.startswith("backbone.")]:
        dst_state_dict[f"{dst_prefix}.{convnext_rename_key(key[len('backbone.'):])}"] = src_state_dict.pop(key)


# ---- MSDeformAttn pixel decoder: M2F replace_pixel_module (ONE's is the same) ---------------------
def replace_pixel_module(dst_state_dict, src_state_dict, encoder_layers):
    dst_prefix = "pixel_level_module.decoder"
    src_prefix = "sem_seg_head.pixel_decoder"

    def rename_keys_for_weight_bias(src_prefix, dst_prefix):
        return [(f"{src_prefix}.weight", f"{dst_prefix}.weight"), (f"{src_prefix}.bias", f"{dst_prefix}.bias")]

    def rename_keys_for_self_attn(src_prefix, dst_prefix):
        self_attn_keys = []
        self_attn_keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.attention_weights", f"{dst_prefix}.attention_weights"))
        self_attn_keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.output_proj", f"{dst_prefix}.output_proj"))
        self_attn_keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.sampling_offsets", f"{dst_prefix}.sampling_offsets"))
        self_attn_keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.value_proj", f"{dst_prefix}.value_proj"))
        return self_attn_keys

    def rename_keys_for_encoder_layer(src_prefix, dst_prefix):
        encoder_keys = []
        encoder_keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.linear1", f"{dst_prefix}.fc1"))
        encoder_keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.linear2", f"{dst_prefix}.fc2"))
        encoder_keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.norm1", f"{dst_prefix}.self_attn_layer_norm"))
        encoder_keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.norm2", f"{dst_prefix}.final_layer_norm"))
        encoder_keys.extend(rename_keys_for_self_attn(f"{src_prefix}.self_attn", f"{dst_prefix}.self_attn"))
        return encoder_keys

    renamed_keys = [
        (f"{src_prefix}.adapter_1.weight", f"{dst_prefix}.adapter_1.0.weight"),
        (f"{src_prefix}.adapter_1.norm.weight", f"{dst_prefix}.adapter_1.1.weight"),
        (f"{src_prefix}.adapter_1.norm.bias", f"{dst_prefix}.adapter_1.1.bias"),
    ]
    renamed_keys.extend([
        (f"{src_prefix}.layer_1.weight", f"{dst_prefix}.layer_1.0.weight"),
        (f"{src_prefix}.layer_1.norm.weight", f"{dst_prefix}.layer_1.1.weight"),
        (f"{src_prefix}.layer_1.norm.bias", f"{dst_prefix}.layer_1.1.bias"),
    ])
    for i in range(3):
        for j in range(2):
            renamed_keys.extend([
                (f"{src_prefix}.input_proj.{i}.{j}.weight", f"{dst_prefix}.input_projections.{i}.{j}.weight"),
                (f"{src_prefix}.input_proj.{i}.{j}.bias", f"{dst_prefix}.input_projections.{i}.{j}.bias"),
            ])
    renamed_keys.extend([(f"{src_prefix}.transformer.level_embed", f"{dst_prefix}.level_embed")])
    for layer_idx in range(encoder_layers):
        renamed_keys.extend(rename_keys_for_encoder_layer(
            f"{src_prefix}.transformer.encoder.layers.{layer_idx}", f"{dst_prefix}.encoder.layers.{layer_idx}"))
    renamed_keys.extend([
        (f"{src_prefix}.mask_features.weight", f"{dst_prefix}.mask_projection.weight"),
        (f"{src_prefix}.mask_features.bias", f"{dst_prefix}.mask_projection.bias"),
    ])
    pop_all(renamed_keys, dst_state_dict, src_state_dict)


# ---- Mask2Former masked-attention decoder: M2F replace_transformer_module --------------------------
def m2f_rename_keys_in_masked_attention_decoder(decoder_layers):
    dst_prefix = "transformer_module.decoder"
    src_prefix = "sem_seg_head.predictor"
    rename_keys = []
    for i in range(decoder_layers - 1):
        sa = f"{src_prefix}.transformer_self_attention_layers.{i}"
        ca = f"{src_prefix}.transformer_cross_attention_layers.{i}"
        ff = f"{src_prefix}.transformer_ffn_layers.{i}"
        d = f"{dst_prefix}.layers.{i}"
        rename_keys.append((f"{sa}.self_attn.out_proj.weight", f"{d}.self_attn.out_proj.weight"))
        rename_keys.append((f"{sa}.self_attn.out_proj.bias", f"{d}.self_attn.out_proj.bias"))
        rename_keys.append((f"{sa}.norm.weight", f"{d}.self_attn_layer_norm.weight"))
        rename_keys.append((f"{sa}.norm.bias", f"{d}.self_attn_layer_norm.bias"))
        rename_keys.append((f"{ca}.multihead_attn.in_proj_weight", f"{d}.cross_attn.in_proj_weight"))
        rename_keys.append((f"{ca}.multihead_attn.in_proj_bias", f"{d}.cross_attn.in_proj_bias"))
        rename_keys.append((f"{ca}.multihead_attn.out_proj.weight", f"{d}.cross_attn.out_proj.weight"))
        rename_keys.append((f"{ca}.multihead_attn.out_proj.bias", f"{d}.cross_attn.out_proj.bias"))
        rename_keys.append((f"{ca}.norm.weight", f"{d}.cross_attn_layer_norm.weight"))
        rename_keys.append((f"{ca}.norm.bias", f"{d}.cross_attn_layer_norm.bias"))
        rename_keys.append((f"{ff}.linear1.weight", f"{d}.fc1.weight"))
        rename_keys.append((f"{ff}.linear1.bias", f"{d}.fc1.bias"))
        rename_keys.append((f"{ff}.linear2.weight", f"{d}.fc2.weight"))
        rename_keys.append((f"{ff}.linear2.bias", f"{d}.fc2.bias"))
        rename_keys.append((f"{ff}.norm.weight", f"{d}.final_layer_norm.weight"))
        rename_keys.append((f"{ff}.norm.bias", f"{d}.final_layer_norm.bias"))
    return rename_keys


def m2f_replace_transformer_module(dst_state_dict, src_state_dict, decoder_layers, hidden_dim):
    dst_prefix = "transformer_module"
    src_prefix = "sem_seg_head.predictor"
    # replace_masked_attention_decoder
    renamed_keys = m2f_rename_keys_in_masked_attention_decoder(decoder_layers)
    renamed_keys.extend([
        (f"{src_prefix}.decoder_norm.weight", f"{dst_prefix}.decoder.layernorm.weight"),
        (f"{src_prefix}.decoder_norm.bias", f"{dst_prefix}.decoder.layernorm.bias"),
    ])
    mlp_len = 3
    for i in range(mlp_len):
        renamed_keys.extend([
            (f"{src_prefix}.mask_embed.layers.{i}.weight", f"{dst_prefix}.decoder.mask_predictor.mask_embedder.{i}.0.weight"),
            (f"{src_prefix}.mask_embed.layers.{i}.bias", f"{dst_prefix}.decoder.mask_predictor.mask_embedder.{i}.0.bias"),
        ])
    pop_all(renamed_keys, dst_state_dict, src_state_dict)
    renamed_keys = [
        (f"{src_prefix}.query_embed.weight", f"{dst_prefix}.queries_embedder.weight"),
        (f"{src_prefix}.query_feat.weight", f"{dst_prefix}.queries_features.weight"),
        (f"{src_prefix}.level_embed.weight", f"{dst_prefix}.level_embed.weight"),
    ]
    pop_all(renamed_keys, dst_state_dict, src_state_dict)
    # replace_keys_qkv_transformer_decoder
    n = hidden_dim  # deviation: the script's literal 256
    for i in range(decoder_layers - 1):
        in_proj_weight = src_state_dict.pop(f"{src_prefix}.transformer_self_attention_layers.{i}.self_attn.in_proj_weight")
        in_proj_bias = src_state_dict.pop(f"{src_prefix}.transformer_self_attention_layers.{i}.self_attn.in_proj_bias")
        d = f"{dst_prefix}.decoder.layers.{i}.self_attn"
        dst_state_dict[f"{d}.q_proj.weight"] = in_proj_weight[:n, :]
        dst_state_dict[f"{d}.q_proj.bias"] = in_proj_bias[:n]
        dst_state_dict[f"{d}.k_proj.weight"] = in_proj_weight[n:2 * n, :]
        dst_state_dict[f"{d}.k_proj.bias"] = in_proj_bias[n:2 * n]
        dst_state_dict[f"{d}.v_proj.weight"] = in_proj_weight[-n:, :]
        dst_state_dict[f"{d}.v_proj.bias"] = in_proj_bias[-n:]


# ---- OneFormer decoder: ONE replace_transformer_module and replace_task_mlp ------------------------
def one_replace_transformer_module(dst_state_dict, src_state_dict, decoder_layers, query_dec_layers, hidden_dim):
    dst_prefix = "transformer_module"
    src_prefix = "sem_seg_head.predictor"

    def rename_keys_for_weight_bias(src_prefix, dst_prefix):
        return [(f"{src_prefix}.weight", f"{dst_prefix}.weight"), (f"{src_prefix}.bias", f"{dst_prefix}.bias")]

    def rename_keys_for_attn(src_prefix, dst_prefix):
        attn_keys = [
            (f"{src_prefix}.in_proj_bias", f"{dst_prefix}.in_proj_bias"),
            (f"{src_prefix}.in_proj_weight", f"{dst_prefix}.in_proj_weight"),
        ]
        attn_keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.out_proj", f"{dst_prefix}.out_proj"))
        return attn_keys

    def rename_keys_for_self_attn(src_prefix, dst_prefix):
        return rename_keys_for_weight_bias(f"{src_prefix}.out_proj", f"{dst_prefix}.out_proj")

    def rename_keys_for_query_transformer_layer(src_prefix, dst_prefix):
        keys = []
        for n in ("linear1", "linear2", "norm1", "norm2", "norm3"):
            keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.{n}", f"{dst_prefix}.{n}"))
        keys.extend(rename_keys_for_attn(f"{src_prefix}.self_attn", f"{dst_prefix}.self_attn"))
        keys.extend(rename_keys_for_attn(f"{src_prefix}.multihead_attn", f"{dst_prefix}.multihead_attn"))
        return keys

    def rename_keys_for_cross_attn_layer(src_prefix, dst_prefix):
        keys = rename_keys_for_weight_bias(f"{src_prefix}.norm", f"{dst_prefix}.norm")
        keys.extend(rename_keys_for_attn(f"{src_prefix}.multihead_attn", f"{dst_prefix}.multihead_attn"))
        return keys

    def rename_keys_for_self_attn_layer(src_prefix, dst_prefix):
        keys = rename_keys_for_weight_bias(f"{src_prefix}.norm", f"{dst_prefix}.norm")
        keys.extend(rename_keys_for_self_attn(f"{src_prefix}.self_attn", f"{dst_prefix}.self_attn"))
        return keys

    def rename_keys_for_ffn_layer(src_prefix, dst_prefix):
        keys = []
        for n in ("linear1", "linear2", "norm"):
            keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.{n}", f"{dst_prefix}.{n}"))
        return keys

    def rename_keys_for_transformer_decoder_layer(src_prefix, dst_prefix, idx):
        keys = rename_keys_for_cross_attn_layer(
            f"{src_prefix}.transformer_cross_attention_layers.{idx}", f"{dst_prefix}.{idx}.cross_attn")
        keys.extend(rename_keys_for_self_attn_layer(
            f"{src_prefix}.transformer_self_attention_layers.{idx}", f"{dst_prefix}.{idx}.self_attn"))
        keys.extend(rename_keys_for_ffn_layer(f"{src_prefix}.transformer_ffn_layers.{idx}", f"{dst_prefix}.{idx}.ffn"))
        return keys

    renamed_keys = [
        (f"{src_prefix}.query_embed.weight", f"{dst_prefix}.queries_embedder.weight"),
        (f"{src_prefix}.level_embed.weight", f"{dst_prefix}.level_embed.weight"),
    ]
    renamed_keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.decoder_norm", f"{dst_prefix}.decoder.decoder_norm"))
    renamed_keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.class_input_proj", f"{dst_prefix}.decoder.query_input_projection"))
    renamed_keys.extend(rename_keys_for_weight_bias(f"{src_prefix}.class_embed", f"{dst_prefix}.decoder.class_embed"))
    for i in range(3):
        renamed_keys.extend(rename_keys_for_weight_bias(
            f"{src_prefix}.mask_embed.layers.{i}", f"{dst_prefix}.decoder.mask_embed.layers.{i}.0"))
    renamed_keys.extend(rename_keys_for_weight_bias(
        f"{src_prefix}.class_transformer.decoder.norm", f"{dst_prefix}.decoder.query_transformer.decoder.norm"))
    for i in range(query_dec_layers):
        renamed_keys.extend(rename_keys_for_query_transformer_layer(
            f"{src_prefix}.class_transformer.decoder.layers.{i}",
            f"{dst_prefix}.decoder.query_transformer.decoder.layers.{i}"))
    for i in range(decoder_layers - 1):
        renamed_keys.extend(rename_keys_for_transformer_decoder_layer(f"{src_prefix}", f"{dst_prefix}.decoder.layers", i))
    pop_all(renamed_keys, dst_state_dict, src_state_dict)

    # replace_keys_qkv_transformer_decoder
    n = hidden_dim  # deviation: the script's literal 256
    for i in range(decoder_layers - 1):
        in_proj_weight = src_state_dict.pop(f"{src_prefix}.transformer_self_attention_layers.{i}.self_attn.in_proj_weight")
        in_proj_bias = src_state_dict.pop(f"{src_prefix}.transformer_self_attention_layers.{i}.self_attn.in_proj_bias")
        d = f"transformer_module.decoder.layers.{i}.self_attn.self_attn"
        dst_state_dict[f"{d}.q_proj.weight"] = in_proj_weight[:n, :]
        dst_state_dict[f"{d}.q_proj.bias"] = in_proj_bias[:n]
        dst_state_dict[f"{d}.k_proj.weight"] = in_proj_weight[n:2 * n, :]
        dst_state_dict[f"{d}.k_proj.bias"] = in_proj_bias[n:2 * n]
        dst_state_dict[f"{d}.v_proj.weight"] = in_proj_weight[-n:, :]
        dst_state_dict[f"{d}.v_proj.bias"] = in_proj_bias[-n:]


def one_replace_task_mlp(dst_state_dict, src_state_dict):
    dst_prefix = "task_encoder"
    src_prefix = "task_mlp"
    renamed_keys = []
    for i in range(2):
        for p in ("weight", "bias"):
            renamed_keys.append((f"{src_prefix}.layers.{i}.{p}", f"{dst_prefix}.task_mlp.layers.{i}.0.{p}"))
    pop_all(renamed_keys, dst_state_dict, src_state_dict)


# ---- MaskFormer with ResNet: MFR create_rename_keys and read_in_decoder_q_k_v ----------------------
def mfr_create_rename_keys(depths, decoder_layers):
    rename_keys = []
    rename_keys.append(("backbone.stem.conv1.weight", "model.pixel_level_module.encoder.embedder.embedder.convolution.weight"))
    for p in ("weight", "bias", "running_mean", "running_var"):
        rename_keys.append((f"backbone.stem.conv1.norm.{p}", f"model.pixel_level_module.encoder.embedder.embedder.normalization.{p}"))
    for stage_idx in range(len(depths)):
        for layer_idx in range(depths[stage_idx]):
            s = f"backbone.res{stage_idx + 2}.{layer_idx}"
            d = f"model.pixel_level_module.encoder.encoder.stages.{stage_idx}.layers.{layer_idx}"
            if layer_idx == 0:
                rename_keys.append((f"{s}.shortcut.weight", f"{d}.shortcut.convolution.weight"))
                for p in ("weight", "bias", "running_mean", "running_var"):
                    rename_keys.append((f"{s}.shortcut.norm.{p}", f"{d}.shortcut.normalization.{p}"))
            for i in range(3):
                rename_keys.append((f"{s}.conv{i + 1}.weight", f"{d}.layer.{i}.convolution.weight"))
                for p in ("weight", "bias", "running_mean", "running_var"):
                    rename_keys.append((f"{s}.conv{i + 1}.norm.{p}", f"{d}.layer.{i}.normalization.{p}"))
    # FPN
    rename_keys.append(("sem_seg_head.layer_4.weight", "model.pixel_level_module.decoder.fpn.stem.0.weight"))
    rename_keys.append(("sem_seg_head.layer_4.norm.weight", "model.pixel_level_module.decoder.fpn.stem.1.weight"))
    rename_keys.append(("sem_seg_head.layer_4.norm.bias", "model.pixel_level_module.decoder.fpn.stem.1.bias"))
    for source_index, target_index in zip(range(3, 0, -1), range(0, 3)):
        f = f"model.pixel_level_module.decoder.fpn.layers.{target_index}"
        rename_keys.append((f"sem_seg_head.adapter_{source_index}.weight", f"{f}.proj.0.weight"))
        rename_keys.append((f"sem_seg_head.adapter_{source_index}.norm.weight", f"{f}.proj.1.weight"))
        rename_keys.append((f"sem_seg_head.adapter_{source_index}.norm.bias", f"{f}.proj.1.bias"))
        rename_keys.append((f"sem_seg_head.layer_{source_index}.weight", f"{f}.block.0.weight"))
        rename_keys.append((f"sem_seg_head.layer_{source_index}.norm.weight", f"{f}.block.1.weight"))
        rename_keys.append((f"sem_seg_head.layer_{source_index}.norm.bias", f"{f}.block.1.bias"))
    rename_keys.append(("sem_seg_head.mask_features.weight", "model.pixel_level_module.decoder.mask_projection.weight"))
    rename_keys.append(("sem_seg_head.mask_features.bias", "model.pixel_level_module.decoder.mask_projection.bias"))
    # Transformer decoder
    for idx in range(decoder_layers):
        s = f"sem_seg_head.predictor.transformer.decoder.layers.{idx}"
        d = f"model.transformer_module.decoder.layers.{idx}"
        for p in ("weight", "bias"):
            rename_keys.append((f"{s}.self_attn.out_proj.{p}", f"{d}.self_attn.out_proj.{p}"))
            rename_keys.append((f"{s}.multihead_attn.out_proj.{p}", f"{d}.encoder_attn.out_proj.{p}"))
            rename_keys.append((f"{s}.linear1.{p}", f"{d}.fc1.{p}"))
            rename_keys.append((f"{s}.linear2.{p}", f"{d}.fc2.{p}"))
            rename_keys.append((f"{s}.norm1.{p}", f"{d}.self_attn_layer_norm.{p}"))
            rename_keys.append((f"{s}.norm2.{p}", f"{d}.encoder_attn_layer_norm.{p}"))
            rename_keys.append((f"{s}.norm3.{p}", f"{d}.final_layer_norm.{p}"))
    rename_keys.append(("sem_seg_head.predictor.transformer.decoder.norm.weight", "model.transformer_module.decoder.layernorm.weight"))
    rename_keys.append(("sem_seg_head.predictor.transformer.decoder.norm.bias", "model.transformer_module.decoder.layernorm.bias"))
    # heads on top
    rename_keys.append(("sem_seg_head.predictor.query_embed.weight", "model.transformer_module.queries_embedder.weight"))
    rename_keys.append(("sem_seg_head.predictor.input_proj.weight", "model.transformer_module.input_projection.weight"))
    rename_keys.append(("sem_seg_head.predictor.input_proj.bias", "model.transformer_module.input_projection.bias"))
    rename_keys.append(("sem_seg_head.predictor.class_embed.weight", "class_predictor.weight"))
    rename_keys.append(("sem_seg_head.predictor.class_embed.bias", "class_predictor.bias"))
    for i in range(3):
        rename_keys.append((f"sem_seg_head.predictor.mask_embed.layers.{i}.weight", f"mask_embedder.{i}.0.weight"))
        rename_keys.append((f"sem_seg_head.predictor.mask_embed.layers.{i}.bias", f"mask_embedder.{i}.0.bias"))
    return rename_keys


def rename_key(dct, old, new):
    val = dct.pop(old)
    dct[new] = val


def mfr_read_in_decoder_q_k_v(state_dict, decoder_layers, hidden_size, config_hidden_size):
    # config_hidden_size: MFR's `config.hidden_size`, MaskFormerConfig's alias of mask_feature_size
    # (used for q_proj.bias only, as the script has it)
    for idx in range(decoder_layers):
        for s_attn, d_attn in (("self_attn", "self_attn"), ("multihead_attn", "encoder_attn")):
            in_proj_weight = state_dict.pop(f"sem_seg_head.predictor.transformer.decoder.layers.{idx}.{s_attn}.in_proj_weight")
            in_proj_bias = state_dict.pop(f"sem_seg_head.predictor.transformer.decoder.layers.{idx}.{s_attn}.in_proj_bias")
            d = f"model.transformer_module.decoder.layers.{idx}.{d_attn}"
            state_dict[f"{d}.q_proj.weight"] = in_proj_weight[:hidden_size, :]
            state_dict[f"{d}.q_proj.bias"] = in_proj_bias[:config_hidden_size]
            state_dict[f"{d}.k_proj.weight"] = in_proj_weight[hidden_size: hidden_size * 2, :]
            state_dict[f"{d}.k_proj.bias"] = in_proj_bias[hidden_size: hidden_size * 2]
            state_dict[f"{d}.v_proj.weight"] = in_proj_weight[-hidden_size:, :]
            state_dict[f"{d}.v_proj.bias"] = in_proj_bias[-hidden_size:]


# ---- config.json: PretrainedConfig.to_dict() of each configuration class ---------------------------
def pretrained_config_common(architectures=None, id2label=None, extra=None):
    """The attributes PretrainedConfig.__init__ sets on every config, with their defaults."""
    out = {
        "return_dict": True, "output_hidden_states": False, "output_attentions": False,
        "torchscript": False, "torch_dtype": None, "use_bfloat16": False, "tf_legacy_loss": False,
        "pruned_heads": {}, "tie_word_embeddings": True, "chunk_size_feed_forward": 0,
        "is_encoder_decoder": False, "is_decoder": False, "cross_attention_hidden_size": None,
        "add_cross_attention": False, "tie_encoder_decoder": False, "max_length": 20,
        "min_length": 0, "do_sample": False, "early_stopping": False, "num_beams": 1,
        "num_beam_groups": 1, "diversity_penalty": 0.0, "temperature": 1.0, "top_k": 50,
        "top_p": 1.0, "typical_p": 1.0, "repetition_penalty": 1.0, "length_penalty": 1.0,
        "no_repeat_ngram_size": 0, "encoder_no_repeat_ngram_size": 0, "bad_words_ids": None,
        "num_return_sequences": 1, "output_scores": False, "return_dict_in_generate": False,
        "forced_bos_token_id": None, "forced_eos_token_id": None, "remove_invalid_values": False,
        "exponential_decay_length_penalty": None, "suppress_tokens": None,
        "begin_suppress_tokens": None, "architectures": architectures, "finetuning_task": None,
        "id2label": {"0": "LABEL_0", "1": "LABEL_1"}, "label2id": {"LABEL_0": 0, "LABEL_1": 1},
        "tokenizer_class": None, "prefix": None, "bos_token_id": None, "pad_token_id": None,
        "eos_token_id": None, "sep_token_id": None, "decoder_start_token_id": None,
        "task_specific_params": None, "problem_type": None, "_name_or_path": "",
        "transformers_version": TRANSFORMERS_VERSION,
    }
    if id2label is not None:
        out["id2label"] = {str(k): v for k, v in id2label.items()}
        out["label2id"] = {v: k for k, v in id2label.items()}
    out.update(extra or {})
    return out


def stage_out(n):
    names = ["stem"] + [f"stage{i}" for i in range(1, n + 1)]
    return {"stage_names": names, "out_features": names[1:], "out_indices": list(range(1, n + 1))}


def swin_config(m):
    s = m["SWIN"]
    d = pretrained_config_common()
    d.update({  # swin/configuration_swin.py SwinConfig.__init__
        "image_size": s["PRETRAIN_IMG_SIZE"], "patch_size": s["PATCH_SIZE"], "num_channels": 3,
        "embed_dim": s["EMBED_DIM"], "depths": s["DEPTHS"], "num_layers": len(s["DEPTHS"]),
        "num_heads": s["NUM_HEADS"], "window_size": s["WINDOW_SIZE"], "mlp_ratio": s["MLP_RATIO"],
        "qkv_bias": s["QKV_BIAS"], "hidden_dropout_prob": s["DROP_RATE"],
        "attention_probs_dropout_prob": s["ATTN_DROP_RATE"],
        "drop_path_rate": s["DROP_PATH_RATE"], "hidden_act": "gelu",
        "use_absolute_embeddings": s["APE"], "layer_norm_eps": 1e-5, "initializer_range": 0.02,
        "encoder_stride": 32, "hidden_size": int(s["EMBED_DIM"] * 2 ** (len(s["DEPTHS"]) - 1)),
        "model_type": "swin",
    })
    d.update(stage_out(len(s["DEPTHS"])))
    return d


def convnext_config(m):
    c = m["CONVNEXT"]
    d = pretrained_config_common()
    d.update({  # convnext/configuration_convnext.py ConvNextConfig.__init__
        "num_channels": 3, "patch_size": 4, "num_stages": len(c["DEPTHS"]),
        "hidden_sizes": c["DIMS"], "depths": c["DEPTHS"], "hidden_act": "gelu",
        "initializer_range": 0.02, "layer_norm_eps": 1e-12,
        "layer_scale_init_value": c["LSIT"], "drop_path_rate": c["DROP_PATH_RATE"],
        "image_size": 224, "model_type": "convnext",
    })
    d.update(stage_out(len(c["DEPTHS"])))
    return d


def resnet_config(m):
    r = m["RESNETS"]
    depths = {50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3]}[r["DEPTH"]]
    d = pretrained_config_common()
    d.update({  # resnet/configuration_resnet.py ResNetConfig.__init__
        "num_channels": 3, "embedding_size": r["STEM_OUT_CHANNELS"],
        "hidden_sizes": [r["RES2_OUT_CHANNELS"] * 2 ** i for i in range(4)], "depths": depths,
        "layer_type": "bottleneck", "hidden_act": "relu", "downsample_in_first_stage": False,
        "downsample_in_bottleneck": r["STRIDE_IN_1X1"], "model_type": "resnet",
    })
    d.update(stage_out(4))
    return d


def labels(n):
    return {i: f"class_{i}" for i in range(n)}


def mask2former_config(cfg):
    m = cfg["MODEL"]
    mf, s = m["MASK_FORMER"], m["SEM_SEG_HEAD"]
    d = pretrained_config_common(["Mask2FormerForUniversalSegmentation"], labels(s["NUM_CLASSES"]))
    # M2F OriginalMask2FormerConfigToOursConverter: backbone_config.drop_path_rate,
    # attention_probs_dropout_prob and depths from MODEL.SWIN (already so in swin_config)
    d.update({  # Mask2FormerConfig.__init__ (configuration_mask2former.py) with M2F's arguments
        "backbone_config": swin_config(m), "feature_size": s["CONVS_DIM"],
        "mask_feature_size": s["MASK_DIM"], "hidden_dim": mf["HIDDEN_DIM"],
        "encoder_feedforward_dim": 1024, "activation_function": "relu",
        "encoder_layers": s["TRANSFORMER_ENC_LAYERS"], "decoder_layers": mf["DEC_LAYERS"],
        "num_attention_heads": mf["NHEADS"], "dropout": mf["DROPOUT"],
        "dim_feedforward": mf["DIM_FEEDFORWARD"], "pre_norm": mf["PRE_NORM"],
        # M2F passes enforce_input_proj=..., which is no __init__ argument: PretrainedConfig keeps
        # it as an attribute, and enforce_input_projection keeps its default
        "enforce_input_projection": False, "enforce_input_proj": mf["ENFORCE_INPUT_PROJ"],
        "common_stride": s["COMMON_STRIDE"], "ignore_value": s["IGNORE_VALUE"],
        "num_queries": mf["NUM_OBJECT_QUERIES"], "no_object_weight": mf["NO_OBJECT_WEIGHT"],
        "class_weight": mf["CLASS_WEIGHT"], "mask_weight": mf["MASK_WEIGHT"],
        "dice_weight": mf["DICE_WEIGHT"], "train_num_points": mf["TRAIN_NUM_POINTS"],
        "oversample_ratio": mf["OVERSAMPLE_RATIO"],
        "importance_sample_ratio": mf["IMPORTANCE_SAMPLE_RATIO"], "init_std": 0.02,
        "init_xavier_std": 1.0, "use_auxiliary_loss": mf["DEEP_SUPERVISION"],
        "feature_strides": [4, 8, 16, 32], "output_auxiliary_logits": None,
        "num_hidden_layers": mf["DEC_LAYERS"], "backbone": None,
        "use_pretrained_backbone": False, "use_timm_backbone": False, "backbone_kwargs": None,
        "model_type": "mask2former",
    })
    return d


def oneformer_config(cfg, backbone_config):
    m = cfg["MODEL"]
    of, s, te = m["ONE_FORMER"], m["SEM_SEG_HEAD"], m["TEXT_ENCODER"]
    d = pretrained_config_common(["OneFormerForUniversalSegmentation"], labels(s["NUM_CLASSES"]))
    d.update({"output_attentions": True, "output_hidden_states": True, "return_dict": True})
    d.update({  # OneFormerConfig.__init__ (configuration_oneformer.py) with ONE's arguments
        "backbone_config": backbone_config, "backbone": None, "use_pretrained_backbone": False,
        "use_timm_backbone": False, "backbone_kwargs": None, "ignore_value": s["IGNORE_VALUE"],
        "num_queries": of["NUM_OBJECT_QUERIES"], "no_object_weight": of["NO_OBJECT_WEIGHT"],
        "class_weight": of["CLASS_WEIGHT"], "mask_weight": of["MASK_WEIGHT"],
        "dice_weight": of["DICE_WEIGHT"], "contrastive_weight": of["CONTRASTIVE_WEIGHT"],
        "contrastive_temperature": of["CONTRASTIVE_TEMPERATURE"],
        "train_num_points": of["TRAIN_NUM_POINTS"], "oversample_ratio": of["OVERSAMPLE_RATIO"],
        "importance_sample_ratio": of["IMPORTANCE_SAMPLE_RATIO"], "init_std": 0.02,
        "init_xavier_std": 1.0, "layer_norm_eps": 1e-05, "is_training": False,
        "use_auxiliary_loss": of["DEEP_SUPERVISION"], "output_auxiliary_logits": True,
        "strides": [4, 8, 16, 32], "task_seq_len": cfg["INPUT"]["TASK_SEQ_LEN"],
        "text_encoder_width": te["WIDTH"], "text_encoder_context_length": te["CONTEXT_LENGTH"],
        "text_encoder_num_layers": te["NUM_LAYERS"], "text_encoder_vocab_size": te["VOCAB_SIZE"],
        "text_encoder_proj_layers": te["PROJ_NUM_LAYERS"], "text_encoder_n_ctx": te["N_CTX"],
        "conv_dim": s["CONVS_DIM"], "mask_dim": s["MASK_DIM"], "hidden_dim": of["HIDDEN_DIM"],
        "encoder_feedforward_dim": 1024, "norm": s["NORM"],
        "encoder_layers": s["TRANSFORMER_ENC_LAYERS"], "decoder_layers": of["DEC_LAYERS"],
        "use_task_norm": of["USE_TASK_NORM"], "num_attention_heads": of["NHEADS"],
        "dropout": of["DROPOUT"], "dim_feedforward": of["DIM_FEEDFORWARD"],
        "pre_norm": of["PRE_NORM"], "enforce_input_proj": of["ENFORCE_INPUT_PROJ"],
        "query_dec_layers": of["CLASS_DEC_LAYERS"], "common_stride": s["COMMON_STRIDE"],
        "num_hidden_layers": of["DEC_LAYERS"],
        # ONE passes these, which are no __init__ arguments: kept as attributes
        "num_classes": s["NUM_CLASSES"], "max_seq_len": cfg["INPUT"]["MAX_SEQ_LEN"],
        "model_type": "oneformer",
    })
    return d


def detr_config(mf):
    d = pretrained_config_common()
    d.update({  # detr/configuration_detr.py DetrConfig.__init__, MaskFormer's decoder
        "use_timm_backbone": True, "backbone_config": None, "num_channels": 3,
        "num_queries": mf["NUM_OBJECT_QUERIES"], "d_model": mf["HIDDEN_DIM"],
        "encoder_ffn_dim": 2048, "encoder_layers": 6, "encoder_attention_heads": 8,
        "decoder_ffn_dim": mf["DIM_FEEDFORWARD"], "decoder_layers": mf["DEC_LAYERS"],
        "decoder_attention_heads": mf["NHEADS"], "dropout": mf["DROPOUT"],
        "attention_dropout": 0.0, "activation_dropout": 0.0, "activation_function": "relu",
        "init_std": 0.02, "init_xavier_std": 1.0, "encoder_layerdrop": 0.0,
        "decoder_layerdrop": 0.0, "num_hidden_layers": 6, "auxiliary_loss": False,
        "position_embedding_type": "sine", "backbone": "resnet50",
        "use_pretrained_backbone": True, "backbone_kwargs": None, "dilation": False,
        "class_cost": 1, "bbox_cost": 5, "giou_cost": 2, "mask_loss_coefficient": 1,
        "dice_loss_coefficient": 1, "bbox_loss_coefficient": 5, "giou_loss_coefficient": 2,
        "eos_coefficient": 0.1, "model_type": "detr",
    })
    return d


def maskformer_config(cfg):
    m = cfg["MODEL"]
    mf, s = m["MASK_FORMER"], m["SEM_SEG_HEAD"]
    d = pretrained_config_common(["MaskFormerForInstanceSegmentation"], labels(s["NUM_CLASSES"]))
    decoder = detr_config(mf)
    d.update({  # MaskFormerConfig.__init__ (configuration_maskformer.py)
        "backbone_config": resnet_config(m), "decoder_config": decoder,
        "fpn_feature_size": s["CONVS_DIM"], "mask_feature_size": s["MASK_DIM"],
        "init_std": 0.02, "init_xavier_std": 1.0, "cross_entropy_weight": 1.0,
        "dice_weight": mf["DICE_WEIGHT"], "mask_weight": mf["MASK_WEIGHT"],
        "use_auxiliary_loss": False, "no_object_weight": mf["NO_OBJECT_WEIGHT"],
        "output_auxiliary_logits": None,
        "num_attention_heads": decoder["encoder_attention_heads"],
        "num_hidden_layers": decoder["num_hidden_layers"], "backbone": None,
        "use_pretrained_backbone": False, "use_timm_backbone": False, "backbone_kwargs": None,
        "model_type": "maskformer",
    })
    return d


def empty_weight(num_labels, eos_coef):
    # the criterion's buffer (Mask2FormerLoss / OneFormerLoss / MaskFormerLoss __init__)
    w = torch.ones(num_labels + 1)
    w[-1] = eos_coef
    return w


# ---- the fixtures -------------------------------------------------------------------------------
def make_mask2former(cfg, src):
    m = cfg["MODEL"]
    dst = {}
    replace_swin_backbone(dst, src, m["SWIN"]["DEPTHS"], m["SWIN"]["WINDOW_SIZE"])
    replace_pixel_module(dst, src, m["SEM_SEG_HEAD"]["TRANSFORMER_ENC_LAYERS"])
    m2f_replace_transformer_module(dst, src, m["MASK_FORMER"]["DEC_LAYERS"], m["MASK_FORMER"]["HIDDEN_DIM"])
    # M2F convert(): the Mask2FormerModel becomes Mask2FormerForUniversalSegmentation.model
    out = {f"model.{k}": v for k, v in dst.items()}
    # M2F replace_universal_segmentation_module
    pop_all([("sem_seg_head.predictor.class_embed.weight", "class_predictor.weight"),
             ("sem_seg_head.predictor.class_embed.bias", "class_predictor.bias")], out, src)
    out["criterion.empty_weight"] = empty_weight(m["SEM_SEG_HEAD"]["NUM_CLASSES"], m["MASK_FORMER"]["NO_OBJECT_WEIGHT"])
    return out, mask2former_config(cfg), None


def make_oneformer(cfg, src, meta):
    m = cfg["MODEL"]
    dst = {}
    if m["BACKBONE"]["NAME"] == "D2SwinTransformer":
        replace_swin_backbone(dst, src, m["SWIN"]["DEPTHS"], m["SWIN"]["WINDOW_SIZE"])
        backbone = swin_config(m)
    else:
        replace_convnext_backbone(dst, src, len(m["CONVNEXT"]["DEPTHS"]))
        backbone = convnext_config(m)
    replace_pixel_module(dst, src, m["SEM_SEG_HEAD"]["TRANSFORMER_ENC_LAYERS"])
    of = m["ONE_FORMER"]
    one_replace_transformer_module(dst, src, of["DEC_LAYERS"], of["CLASS_DEC_LAYERS"], of["HIDDEN_DIM"])
    one_replace_task_mlp(dst, src)
    out = {f"model.{k}": v for k, v in dst.items()}
    out["criterion.empty_weight"] = empty_weight(m["SEM_SEG_HEAD"]["NUM_CLASSES"], of["NO_OBJECT_WEIGHT"])
    # ONE OriginalOneFormerConfigToProcessorConverter -> OneFormerImageProcessor.to_dict(), whose
    # metadata is image_processing_oneformer.py prepare_metadata(class_info)
    n = m["SEM_SEG_HEAD"]["NUM_CLASSES"]
    metadata = {str(i): f"class_{i}" for i in range(n)}
    metadata["thing_ids"] = meta["thing_contiguous_ids"]
    metadata["class_names"] = [f"class_{i}" for i in range(n)]
    inp = cfg["INPUT"]
    processor = {
        "do_resize": True, "size": {"shortest_edge": inp["MIN_SIZE_TEST"], "longest_edge": inp["MAX_SIZE_TEST"]},
        "resample": 2, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
        "image_mean": [v / 255 for v in m["PIXEL_MEAN"]], "image_std": [v / 255 for v in m["PIXEL_STD"]],
        "ignore_index": 255, "do_reduce_labels": False, "repo_path": "shi-labs/oneformer_demo",
        "class_info_file": "ade20k_panoptic.json", "num_text": of["NUM_OBJECT_QUERIES"] - m["TEXT_ENCODER"]["N_CTX"],
        "num_labels": n, "metadata": metadata, "image_processor_type": "OneFormerImageProcessor",
        "processor_class": "OneFormerProcessor",
    }
    return out, oneformer_config(cfg, backbone), processor


def make_maskformer_resnet(cfg, src):
    m = cfg["MODEL"]
    mf = m["MASK_FORMER"]
    # deviation: back to the model zoo .pkl's names (MaskFormerHead version 1), which MFR reads
    state_dict = {}
    for k, v in src.items():
        state_dict[k.replace("sem_seg_head.pixel_decoder.", "sem_seg_head.")] = v
    src.clear()
    depths = {50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3]}[m["RESNETS"]["DEPTH"]]
    for old, new in mfr_create_rename_keys(depths, mf["DEC_LAYERS"]):
        # deviation: MFR renames every stage's first shortcut (R50/R101 have one everywhere);
        # detectron2 and transformers' ResNet both leave it out where a block keeps its channels
        # and stride, as this fixture's res2.0 does (stem 16 -> res2 16)
        if ".0.shortcut." in old and old not in state_dict:
            continue
        rename_key(state_dict, old, new)
    mfr_read_in_decoder_q_k_v(state_dict, mf["DEC_LAYERS"], mf["HIDDEN_DIM"], m["SEM_SEG_HEAD"]["MASK_DIM"])
    # the model's BatchNorm2d counters and the criterion's buffer, as save_pretrained writes them
    for k in [k for k in state_dict if k.endswith(".normalization.running_mean")]:
        state_dict[k[: -len("running_mean")] + "num_batches_tracked"] = torch.tensor(0, dtype=torch.int64)
    state_dict["criterion.empty_weight"] = empty_weight(m["SEM_SEG_HEAD"]["NUM_CLASSES"], mf["NO_OBJECT_WEIGHT"])
    return state_dict, maskformer_config(cfg), None


FIXTURES = {
    "m2f_swin_w7": "Mask2Former, Swin (window 7)",
    "oneformer_swin": "OneFormer, Swin",
    "oneformer_convnext": "OneFormer, ConvNeXt",
    "maskformer_r50_fpn": "MaskFormer, ResNet-50",
}


def make(name, out_dir):
    src_dir = os.path.join(DATA, name)
    with open(os.path.join(src_dir, "config.yaml")) as f:
        cfg = yaml.safe_load(f)
    with open(os.path.join(src_dir, "meta.json")) as f:
        meta = json.load(f)
    src = read_safetensors(os.path.join(src_dir, "weights.safetensors"))
    arch = meta["meta_architecture"]
    if arch == "OneFormer":
        tensors, config, processor = make_oneformer(cfg, src, meta)
    elif cfg["MODEL"]["SEM_SEG_HEAD"]["PIXEL_DECODER_NAME"] == "MSDeformAttnPixelDecoder":
        tensors, config, processor = make_mask2former(cfg, src)
    else:
        tensors, config, processor = make_maskformer_resnet(cfg, src)
    if src:  # the scripts log these as "Not copied keys"
        raise SystemExit(f"{name}: official tensors left unconverted: {sorted(src)[:8]}")
    for k in tensors:
        if k.startswith(("backbone.", "sem_seg_head.", "task_mlp.")):
            raise SystemExit(f"{name}: {k} kept its detectron2 name")
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"),
                      {k: tensor_bytes(v) for k, v in tensors.items()}, {"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    if processor:
        with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
            json.dump(processor, f, indent=2, sort_keys=True)
            f.write("\n")
    print(f"{folder}: {len(tensors)} tensors ({FIXTURES[name]})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=list(FIXTURES))
    ap.add_argument("--out", default=os.path.join(DATA, "huggingface"))
    args = ap.parse_args()
    for name in args.names:
        if name not in FIXTURES:
            raise SystemExit(f"unknown fixture {name} (one of {', '.join(FIXTURES)})")
        make(name, args.out)


if __name__ == "__main__":
    main()
