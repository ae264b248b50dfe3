"""Shared helpers of the checkpoint converters: a dependency-free safetensors writer and the
detectron2 YAML -> segx JSON model config conversion (python3-yaml, python3-torch only)."""
import json
import struct

_DTYPES = {  # torch dtype name -> (safetensors name, element size)
    "float32": ("F32", 4), "float16": ("F16", 2), "bfloat16": ("BF16", 2),
    "float64": ("F64", 8), "int64": ("I64", 8), "int32": ("I32", 4),
    "uint8": ("U8", 1), "bool": ("BOOL", 1),
}


def tensor_bytes(t):
    """(dtype name, shape, little-endian bytes) of a torch tensor (stored as float32)."""
    import torch
    t = t.detach().cpu().contiguous()
    if t.is_floating_point():
        t = t.to(torch.float32)
    name = str(t.dtype).replace("torch.", "")
    if name not in _DTYPES:
        raise SystemExit(f"cannot store dtype {name}")
    if t.numel() == 0:
        return _DTYPES[name][0], list(t.shape), b""
    data = t.reshape(-1).view(torch.uint8).numpy().tobytes()
    return _DTYPES[name][0], list(t.shape), data


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> (dtype, shape, bytes). Header padded to 8 bytes like the format."""
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    import os
    os.replace(tmp, path)


MASKFORMER_PIXEL_DECODERS = {"BasePixelDecoder": "fpn",
                             "TransformerEncoderPixelDecoder": "transformer_encoder"}


def pixel_decoder_config(s, head, maskformer_name):
    """The "pixel_decoder" section: MSDeformAttnPixelDecoder, or MaskFormer's named one."""
    out = {"conv_dim": s["CONVS_DIM"], "mask_dim": s["MASK_DIM"], "norm": s["NORM"]}
    if maskformer_name:
        out["name"] = maskformer_name
    if maskformer_name == "transformer_encoder":
        out.update(transformer_enc_layers=s["TRANSFORMER_ENC_LAYERS"],
                   transformer_nheads=head["NHEADS"],
                   transformer_dim_feedforward=head["DIM_FEEDFORWARD"],
                   transformer_pre_norm=head["PRE_NORM"])
    if not maskformer_name:
        out.update(transformer_enc_layers=s["TRANSFORMER_ENC_LAYERS"],
                   transformer_nheads=head["NHEADS"], transformer_dim_feedforward=1024,
                   n_points=s["DEFORMABLE_TRANSFORMER_ENCODER_N_POINTS"],
                   common_stride=s["COMMON_STRIDE"],
                   transformer_in_features=s["DEFORMABLE_TRANSFORMER_ENCODER_IN_FEATURES"])
    return out


def config_from_yaml(cfg, thing_classes=None):
    """segx JSON model config from a full detectron2 config (dict from config.yaml)."""
    m = cfg["MODEL"]
    one = "ONE_FORMER" in m and m.get("META_ARCHITECTURE", "") == "OneFormer"
    head = m["ONE_FORMER"] if one else m["MASK_FORMER"]
    r, s = m["RESNETS"], m["SEM_SEG_HEAD"]
    # The original MaskFormer names its meta-architecture MaskFormer too: its pixel decoders tell.
    pixel_decoder = MASKFORMER_PIXEL_DECODERS.get(s.get("PIXEL_DECODER_NAME", ""))
    deeplab = m["BACKBONE"]["NAME"] == "build_resnet_deeplab_backbone"
    if m["BACKBONE"]["NAME"] != "build_resnet_backbone" and not deeplab:
        raise SystemExit(f"backbone {m['BACKBONE']['NAME']} is not supported (ResNet only)")
    out = {
        "architecture": "oneformer" if one else "maskformer" if pixel_decoder else "mask2former",
        "num_classes": s["NUM_CLASSES"],
        "pixel_mean": m["PIXEL_MEAN"], "pixel_std": m["PIXEL_STD"],
        "size_divisibility": head.get("SIZE_DIVISIBILITY", 32),
        "resnet": {"depth": r["DEPTH"], "stem_out_channels": r["STEM_OUT_CHANNELS"],
                   "res2_out_channels": r["RES2_OUT_CHANNELS"],
                   "width_per_group": r["WIDTH_PER_GROUP"], "num_groups": r["NUM_GROUPS"],
                   "stride_in_1x1": r["STRIDE_IN_1X1"], "res5_dilation": r["RES5_DILATION"]},
        "pixel_decoder": pixel_decoder_config(s, head, pixel_decoder),
        "decoder": {"hidden_dim": head["HIDDEN_DIM"], "num_queries": head["NUM_OBJECT_QUERIES"],
                    "nheads": head["NHEADS"], "dim_feedforward": head["DIM_FEEDFORWARD"],
                    "dec_layers": head["DEC_LAYERS"], "pre_norm": head["PRE_NORM"],
                    "enforce_input_proj": head["ENFORCE_INPUT_PROJ"]},
        "classifier": {"type": "linear"},
        "test": {"object_mask_threshold": head["TEST"]["OBJECT_MASK_THRESHOLD"]
                 if "TEST" in head else 0.8,
                 "overlap_threshold": head["TEST"]["OVERLAP_THRESHOLD"] if "TEST" in head else 0.8,
                 "topk_per_image": cfg["TEST"]["DETECTIONS_PER_IMAGE"]},
        "thing_classes": thing_classes or [],
    }
    if deeplab:  # MaskFormer's R101c
        out["resnet"].update(stem_type=r["STEM_TYPE"], res5_multi_grid=r["RES5_MULTI_GRID"])
    if pixel_decoder:
        out["decoder"].update(enc_layers=head["ENC_LAYERS"],
                              transformer_in_feature=head["TRANSFORMER_IN_FEATURE"])
        test = head["TEST"]
        out["test"]["sem_seg_postprocess_before_inference"] = bool(
            test["SEM_SEG_POSTPROCESSING_BEFORE_INFERENCE"] or test["PANOPTIC_ON"])
    if one:
        out["oneformer"] = {"class_dec_layers": head["CLASS_DEC_LAYERS"],
                            "task_seq_len": cfg["INPUT"]["TASK_SEQ_LEN"],
                            "use_task_norm": head["USE_TASK_NORM"]}
    return out
