"""Runs one official model on CPU and records its tensors for segx's parity tests.

Used by gen_model_fixtures.py (one fixture per process). Tensors are taken where the official
modules return them (forward hooks and wrappers of the official methods); nothing here computes a
model value itself, except the query index of each instance, which repeats instance_inference's
own top-k on the same input (upstream does not return it).
"""
import json
import os
import re
import sys

import torch
import torch.nn.functional as F

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, SCRIPTS)
from segx_safetensors import tensor_bytes, write_safetensors  # noqa: E402

WEIGHT_SEED = 0
INPUT_SEED = 1
CLASS_SCALE = 6.0  # spreads the class probabilities so that thresholds keep some queries
MASK_SCALE = 4.0  # sharpens the masks so that several queries win pixels
QUERY_SCALE = 4.0
TRAINING_ONLY = ("criterion.", "text_encoder.", "text_projector.", "prompt_ctx.")


class Recorder:
    def __init__(self):
        self.tensors = {}
        self.second_pass = False  # the backbone alone on an unpadded input

    def __call__(self, name, t):
        if self.second_pass:
            name = name.replace("input.normalized", "backbone_unpadded.input").replace(
                "backbone.", "backbone_unpadded.")
        if name in self.tensors:
            raise SystemExit(f"model_fixture_capture: '{name}' recorded twice")
        t = t.detach().cpu()
        self.tensors[name] = t.clone() if t.dtype != torch.bool else t.to(torch.uint8)


def perturb(model, gen, var_low=0.5):
    """Seeded changes to the official init so that every parameter matters: norm scales and
    shifts, frozen batch-norm statistics (running variances in [var_low, var_low + 1]), biases,
    relative position biases, layer scales."""
    with torch.no_grad():
        named = list(model.named_parameters()) + list(model.named_buffers())
        for name, p in named:
            if name.startswith(TRAINING_ONLY) or not p.is_floating_point():
                continue
            noise = lambda s: torch.randn(p.shape, generator=gen) * s  # noqa: E731
            if name.endswith("running_var"):
                p.copy_(torch.rand(p.shape, generator=gen) + var_low)
            elif name.endswith("running_mean"):
                p.copy_(noise(0.1))
            elif "relative_position_bias_table" in name or "absolute_pos_embed" in name:
                p.copy_(noise(0.5))
            elif name.endswith("gamma") or (p.dim() == 1 and name.endswith("weight")):
                p.copy_(1 + noise(0.2))
            elif name.endswith("bias"):
                p.add_(noise(0.05))
            elif re.search(r"query_(feat|embed)\.weight$", name):
                p.mul_(QUERY_SCALE)  # queries that differ more classify more differently
        for name, p in model.named_parameters():
            if re.search(r"class_embed\.(weight|bias)$", name):
                p.mul_(CLASS_SCALE)
            if re.search(r"mask_embed\.layers\.2\.(weight|bias)$", name):
                p.mul_(MASK_SCALE)


def hook_output(rec, module, name, transform=None):
    def hook(_m, _inputs, output):
        rec(name, transform(output) if transform else output)
    module.register_forward_hook(hook)


def capture_backbone(rec, model):
    """Backbone internals under the official module paths ("backbone.layers.0.blocks.1"), and
    the res2..res5 outputs ("backbone.res2") with the normalised padded input."""
    patterns = [
        r"patch_embed", r"layers\.\d+\.blocks\.\d+", r"layers\.\d+\.downsample",  # Swin
        r"downsample_layers\.\d+", r"stages\.\d+\.\d+",                            # ConvNeXt
        r"stem",                                                                   # ResNet
    ]
    for path, module in model.backbone.named_modules():
        if any(re.fullmatch(p, path) for p in patterns):
            hook_output(rec, module, "backbone." + path)

    def outputs(_m, inputs, output):
        rec("input.normalized", inputs[0])
        for k in sorted(output):
            rec("backbone." + k, output[k])
    model.backbone.register_forward_hook(outputs)


def capture_msdeformattn_decoder(rec, pd):
    for i, m in enumerate(pd.input_proj):
        hook_output(rec, m, f"pixel_decoder.input_proj.{i}")
    for i, m in enumerate(pd.transformer.encoder.layers):
        hook_output(rec, m, f"pixel_decoder.encoder.layer{i}")
    for i, m in enumerate(pd.output_convs):
        hook_output(rec, m, f"pixel_decoder.fpn.output_conv{i}")
    original = pd.forward_features

    def forward_features(features):
        out = original(features)  # OneFormer's returns two more values (unused at inference)
        mask_features, encoder_features, multi_scale = out[:3]
        rec("pixel_decoder.mask_features", mask_features)
        rec("pixel_decoder.transformer_encoder_features", encoder_features)
        for i, f in enumerate(multi_scale):
            rec(f"pixel_decoder.multi_scale_features.{i}", f)
        return out
    pd.forward_features = forward_features


def capture_maskformer_decoder(rec, pd):
    """BasePixelDecoder / TransformerEncoderPixelDecoder of MaskFormer (sequence-first encoder
    layers are recorded batch-first, as segx's trace has them)."""
    for i, m in enumerate(pd.output_convs):
        hook_output(rec, m, f"pixel_decoder.fpn.output_conv{i}")
    if hasattr(pd, "transformer"):
        hook_output(rec, pd.input_proj, "pixel_decoder.input_proj")
        hook_output(rec, pd.pe_layer, "pixel_decoder.pos")
        for i, m in enumerate(pd.transformer.encoder.layers):
            hook_output(rec, m, f"pixel_decoder.encoder.layer{i}", lambda t: t.transpose(0, 1))
    original = pd.forward_features

    def forward_features(features):
        mask_features, encoder_features = original(features)
        rec("pixel_decoder.mask_features", mask_features)
        if encoder_features is not None:
            rec("pixel_decoder.transformer_encoder_features", encoder_features)
        return mask_features, encoder_features
    pd.forward_features = forward_features


def capture_masked_predictor(rec, model, predictor):
    """Mask2Former / OneFormer masked-attention decoder: each layer's sub-blocks and each
    prediction head (logits, masks, the attention mask of the first head of attention)."""
    for i in range(predictor.num_layers):
        hook_output(rec, predictor.transformer_cross_attention_layers[i],
                    f"predictor.layer{i}.cross_attn")
        hook_output(rec, predictor.transformer_self_attention_layers[i],
                    f"predictor.layer{i}.self_attn")
        hook_output(rec, predictor.transformer_ffn_layers[i], f"predictor.layer{i}.ffn")
    if hasattr(predictor, "class_transformer"):
        hook_output(rec, predictor.class_transformer, "predictor.class_transformer.hs",
                    lambda out: out[0])
    if hasattr(model, "task_mlp"):
        def task(_m, inputs, output):
            rec("task.tokens", inputs[0])
            rec("task.mlp_out", output)
        model.task_mlp.register_forward_hook(task)
    original = predictor.forward_prediction_heads
    count = [0]

    def heads(output, mask_features, *args, **kwargs):
        logits, masks, attn_mask = original(output, mask_features, *args, **kwargs)
        k = count[0]
        count[0] += 1
        rec(f"predictor.pred{k}.logits", logits)
        rec(f"predictor.pred{k}.masks", masks)
        b, q = masks.shape[:2]
        rec(f"predictor.pred{k}.attn_mask", attn_mask.view(b, -1, q, attn_mask.shape[-1])[:, 0])
        return logits, masks, attn_mask
    predictor.forward_prediction_heads = heads


def capture_standard_predictor(rec, predictor):
    """MaskFormer's TransformerPredictor: decoder layers (sequence-first, as upstream) and every
    layer's logits and masks (deep supervision)."""
    if isinstance(predictor.input_proj, torch.nn.Conv2d):
        hook_output(rec, predictor.input_proj, "predictor.input_proj")
    for i, m in enumerate(predictor.transformer.decoder.layers):
        hook_output(rec, m, f"predictor.decoder.layer{i}")

    def outputs(_m, _inputs, out):
        aux = out.get("aux_outputs", [])
        for k, o in enumerate(aux):
            rec(f"predictor.pred{k}.logits", o["pred_logits"])
            rec(f"predictor.pred{k}.masks", o["pred_masks"])
        rec(f"predictor.pred{len(aux)}.logits", out["pred_logits"])
        rec(f"predictor.pred{len(aux)}.masks", out["pred_masks"])
    predictor.register_forward_hook(outputs)


def capture_instances(rec, model):
    """The query index of each instance: instance_inference's own top-k, repeated on the same
    logits, then its thing filter (upstream returns classes and scores only)."""
    original = model.instance_inference

    def instance_inference(mask_cls, mask_pred, *args):
        result = original(mask_cls, mask_pred, *args)
        k = model.sem_seg_head.num_classes
        scores = F.softmax(mask_cls, dim=-1)[:, :-1]
        _, top = scores.flatten(0, 1).topk(model.test_topk_per_image, sorted=False)
        labels, query = top % k, top // k
        if model.panoptic_on:
            things = set(model.metadata.thing_dataset_id_to_contiguous_id.values())
            keep = torch.tensor([int(lab) in things for lab in labels], dtype=torch.bool)
            labels, query = labels[keep], query[keep]
        if not torch.equal(labels, result.pred_classes):
            raise SystemExit("model_fixture_capture: the repeated top-k differs from upstream's")
        rec("post.instances.query_index", query)
        rec("post.instances.pred_classes", result.pred_classes)
        rec("post.instances.scores", result.scores)
        return result
    model.instance_inference = instance_inference


def record_results(rec, meta, result):
    rec("post.sem_seg.argmax", result["sem_seg"].argmax(0).to(torch.int32))
    if "panoptic_seg" in result:
        seg, info = result["panoptic_seg"]
        rec("post.panoptic_seg", seg)
        meta["post.panoptic_segments_info"] = info


def thing_ids(cfg):
    from detectron2.data import MetadataCatalog
    meta = MetadataCatalog.get(cfg.DATASETS.TRAIN[0])
    ids = getattr(meta, "thing_dataset_id_to_contiguous_id", None)
    return sorted(ids.values()) if ids else []


def make_fixture(name, config_path, opts, hw, notes, out_dir, backbone_only=False, var_low=0.5):
    sys.path.insert(0, os.path.join(os.environ.get("PEERS_DIR", os.path.join(
        SCRIPTS, "..", "..", "shared", "peers"))))
    from forward import make_cfg
    from detectron2.modeling import build_model

    torch.set_num_threads(2)
    torch.manual_seed(WEIGHT_SEED)
    cfg = make_cfg(config_path, list(opts))
    model = build_model(cfg).eval()
    perturb(model, torch.Generator().manual_seed(WEIGHT_SEED + 1), var_low)
    arch = cfg.MODEL.META_ARCHITECTURE
    rec = Recorder()
    capture_backbone(rec, model)
    if not backbone_only:
        pd, predictor = model.sem_seg_head.pixel_decoder, model.sem_seg_head.predictor
        if hasattr(predictor, "forward_prediction_heads"):
            capture_msdeformattn_decoder(rec, pd)
            capture_masked_predictor(rec, model, predictor)
        else:
            capture_maskformer_decoder(rec, pd)
            capture_standard_predictor(rec, predictor)
        if hasattr(model, "instance_inference") and getattr(model, "instance_on", False):
            capture_instances(rec, model)

    gen = torch.Generator().manual_seed(INPUT_SEED)
    h, w = hw
    image = torch.randint(0, 256, (3, h, w), generator=gen, dtype=torch.uint8)
    rec("input.image_u8", image)
    meta = {"fixture": name, "notes": notes,
            "config_file": os.path.relpath(config_path, os.path.join(SCRIPTS, "..", "..",
                                                                      "shared", "peers")),
            "opts": list(opts), "meta_architecture": arch, "backbone": cfg.MODEL.BACKBONE.NAME,
            "weight_seed": WEIGHT_SEED, "input_seed": INPUT_SEED, "class_scale": CLASS_SCALE, "mask_scale": MASK_SCALE,
            "query_scale": QUERY_SCALE,
            "input_hw": [h, w], "torch": torch.__version__, "threads": torch.get_num_threads(),
            "thing_contiguous_ids": thing_ids(cfg)}
    if var_low != 0.5:
        meta["running_var_low"] = var_low
    with torch.no_grad():
        if backbone_only:
            x = (image.float() - model.pixel_mean) / model.pixel_std
            model.backbone(x.unsqueeze(0))
        else:
            sample = {"image": image.float(), "height": h, "width": w,
                      "task": "The task is panoptic"}
            record_results(rec, meta, model([sample])[0])
        # The backbone alone on an input that is not a multiple of its patch size or of 32:
        # upstream pads inside the backbone (Swin's patch embedding, windows, patch merging).
        rec.second_pass = True
        model.backbone(torch.randn(1, 3, h - 1, w - 7, generator=gen))
    write(out_dir, model, cfg, rec, meta)


def write(out_dir, model, cfg, rec, meta):
    os.makedirs(out_dir, exist_ok=True)
    state = {k: v for k, v in model.state_dict().items()
             if not k.startswith(TRAINING_ONLY) and v.dtype != torch.int64}
    if "post.sem_seg.argmax" not in rec.tensors:  # a backbone-only fixture
        state = {k: v for k, v in state.items() if k.startswith("backbone.")}
    write_safetensors(os.path.join(out_dir, "weights.safetensors"),
                      {k: tensor_bytes(v) for k, v in state.items()})
    write_safetensors(os.path.join(out_dir, "outputs.safetensors"),
                      {k: tensor_bytes(v) for k, v in rec.tensors.items()})
    meta["num_state_dict_entries"] = len(state)
    meta["outputs_index"] = {k: [str(v.dtype).replace("torch.", ""), list(v.shape)]
                             for k, v in sorted(rec.tensors.items())}
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "config.yaml"), "w") as f:
        f.write(cfg.dump())
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(segx_model_config(cfg, meta["thing_contiguous_ids"]), f, indent=1)
        f.write("\n")


def segx_model_config(cfg, things):
    """The segx model config of these weights: each key read off the resolved config."""
    m = cfg.MODEL
    arch = {"MaskFormer": "mask2former", "OneFormer": "oneformer"}[m.META_ARCHITECTURE]
    if arch == "mask2former" and m.SEM_SEG_HEAD.PIXEL_DECODER_NAME != "MSDeformAttnPixelDecoder":
        arch = "maskformer"  # MaskFormer's repository names its meta-architecture MaskFormer too
    head = m.ONE_FORMER if arch == "oneformer" else m.MASK_FORMER
    test = m.TEST if arch == "oneformer" else m.MASK_FORMER.TEST
    s = m.SEM_SEG_HEAD
    backbone = {"build_resnet_backbone": "resnet", "build_resnet_deeplab_backbone": "resnet",
                "D2SwinTransformer": "swin", "D2ConvNeXt": "convnext"}[m.BACKBONE.NAME]
    out = {"architecture": arch, "num_classes": s.NUM_CLASSES,
           "pixel_mean": list(m.PIXEL_MEAN), "pixel_std": list(m.PIXEL_STD),
           "size_divisibility": head.SIZE_DIVISIBILITY if head.SIZE_DIVISIBILITY >= 0 else 32,
           "backbone": backbone}
    if backbone == "resnet":
        r = m.RESNETS
        out["resnet"] = {"depth": r.DEPTH, "stem_type": r.STEM_TYPE if m.BACKBONE.NAME.endswith(
                             "deeplab_backbone") else "basic",
                         "stem_out_channels": r.STEM_OUT_CHANNELS,
                         "res2_out_channels": r.RES2_OUT_CHANNELS,
                         "width_per_group": r.WIDTH_PER_GROUP, "num_groups": r.NUM_GROUPS,
                         "stride_in_1x1": r.STRIDE_IN_1X1, "res5_dilation": r.RES5_DILATION}
        if m.BACKBONE.NAME.endswith("deeplab_backbone"):
            out["resnet"]["res5_multi_grid"] = list(r.RES5_MULTI_GRID)
    elif backbone == "swin":
        w = m.SWIN
        out["swin"] = {"pretrain_img_size": w.PRETRAIN_IMG_SIZE, "patch_size": w.PATCH_SIZE,
                       "embed_dim": w.EMBED_DIM, "depths": list(w.DEPTHS),
                       "num_heads": list(w.NUM_HEADS), "window_size": w.WINDOW_SIZE,
                       "mlp_ratio": w.MLP_RATIO, "qkv_bias": w.QKV_BIAS,
                       "qk_scale": w.QK_SCALE or 0, "drop_path_rate": w.DROP_PATH_RATE,
                       "ape": w.APE, "patch_norm": w.PATCH_NORM}
    else:
        c = m.CONVNEXT
        out["convnext"] = {"depths": list(c.DEPTHS), "dims": list(c.DIMS),
                           "drop_path_rate": c.DROP_PATH_RATE,
                           "layer_scale_init_value": c.LSIT}
    pd = {"name": {"MSDeformAttnPixelDecoder": "msdeformattn", "BasePixelDecoder": "fpn",
                   "TransformerEncoderPixelDecoder": "transformer_encoder"}[s.PIXEL_DECODER_NAME],
          "conv_dim": s.CONVS_DIM, "mask_dim": s.MASK_DIM, "norm": s.NORM}
    if pd["name"] == "msdeformattn":
        pd.update(transformer_enc_layers=s.TRANSFORMER_ENC_LAYERS, transformer_nheads=head.NHEADS,
                  transformer_dim_feedforward=1024,
                  n_points=s.DEFORMABLE_TRANSFORMER_ENCODER_N_POINTS,
                  common_stride=s.COMMON_STRIDE,
                  transformer_in_features=list(s.DEFORMABLE_TRANSFORMER_ENCODER_IN_FEATURES))
    elif pd["name"] == "transformer_encoder":
        pd.update(transformer_enc_layers=s.TRANSFORMER_ENC_LAYERS, transformer_nheads=head.NHEADS,
                  transformer_dim_feedforward=head.DIM_FEEDFORWARD,
                  transformer_pre_norm=head.PRE_NORM)
    out["pixel_decoder"] = pd
    out["decoder"] = {"hidden_dim": head.HIDDEN_DIM, "num_queries": head.NUM_OBJECT_QUERIES,
                      "nheads": head.NHEADS, "dim_feedforward": head.DIM_FEEDFORWARD,
                      "dec_layers": head.DEC_LAYERS, "pre_norm": head.PRE_NORM,
                      "enforce_input_proj": head.ENFORCE_INPUT_PROJ}
    if arch == "maskformer":
        out["decoder"].update(enc_layers=head.ENC_LAYERS,
                              transformer_in_feature=head.TRANSFORMER_IN_FEATURE)
    out["classifier"] = {"type": "linear"}
    before = test.SEM_SEG_POSTPROCESSING_BEFORE_INFERENCE or test.PANOPTIC_ON or (
        arch != "maskformer" and test.INSTANCE_ON)
    out["test"] = {"object_mask_threshold": test.OBJECT_MASK_THRESHOLD,
                   "overlap_threshold": test.OVERLAP_THRESHOLD,
                   "topk_per_image": cfg.TEST.DETECTIONS_PER_IMAGE,
                   "sem_seg_postprocess_before_inference": bool(before)}
    if arch == "oneformer":
        out["oneformer"] = {"class_dec_layers": head.CLASS_DEC_LAYERS,
                            "task_seq_len": cfg.INPUT.TASK_SEQ_LEN,
                            "use_task_norm": head.USE_TASK_NORM}
    out["thing_classes"] = things
    return out
