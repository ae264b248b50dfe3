"""The official config defaults of Mask2Former, MaskFormer and OneFormer, as their train_net.py
builds them, and a typed JSON form of yacs values; shared by gen_detectron2_defaults.py and
gen_detectron2_config_refs.py.

Typed JSON: int, float (always written with a point or an exponent), bool, None, str and list
as JSON writes them; a tuple as {"(tuple)": [...]}; a config node as an object.
Import only in a process that sees the peers (source /tmp/segx-peers/env.sh), and use one
repository per process: upstream's registries collide.
"""
import math
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.environ.get("PEERS_DIR", os.path.join(ROOT, "..", "shared", "peers"))

# segx's repository names: (folder under the peers' src/, the add_*_config functions that
# train_net.py calls after get_cfg() and add_deeplab_config(), in its order)
REPOSITORIES = {
    "mask2former": ("Mask2Former", ["mask2former.add_maskformer2_config"]),
    "mask2former_video": ("Mask2Former", ["mask2former.add_maskformer2_config",
                                          "mask2former_video.add_maskformer2_video_config"]),
    "maskformer": ("MaskFormer", ["mask_former.add_mask_former_config"]),
    "oneformer": ("OneFormer", ["oneformer.add_common_config", "oneformer.add_swin_config",
                                "oneformer.add_dinat_config", "oneformer.add_convnext_config",
                                "oneformer.add_oneformer_config"]),
}


def official_defaults(repo):
    """detectron2's get_cfg(), add_deeplab_config() and the repository's add_*_config()."""
    import importlib
    from detectron2.config import get_cfg
    from detectron2.projects.deeplab import add_deeplab_config
    cfg = get_cfg()
    add_deeplab_config(cfg)
    for name in REPOSITORIES[repo][1]:
        module, function = name.rsplit(".", 1)
        getattr(importlib.import_module(module), function)(cfg)
    return cfg


def typed(value):
    """A yacs value in typed JSON form (see the module docstring)."""
    from detectron2.config import CfgNode
    if isinstance(value, CfgNode) or isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"(tuple)": [typed(v) for v in value]}
    if isinstance(value, list):
        return [typed(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {"(float)": repr(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"(python)": type(value).__name__, "repr": repr(value)}


def leaves(tree, prefix=""):
    """(dotted key, typed value) of every leaf of a typed tree."""
    for k, v in tree.items():
        if isinstance(v, dict) and not any(m in v for m in ("(tuple)", "(float)", "(python)")):
            yield from leaves(v, prefix + k + ".")
        else:
            yield prefix + k, v
