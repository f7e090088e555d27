"""Convert official DAB-DETR checkpoints (IDEA-Research/DAB-DETR, a.k.a. SlongLiu/DAB-DETR) to
the keys of ``SwitchableDABDETR`` and mmdet's 80 contiguous COCO labels.

Official checkpoints are ``{'model', 'optimizer', 'lr_scheduler', 'epoch', 'args'}`` where
``args`` is an ``argparse.Namespace``. They are read with ``weights_only=True`` and an
allow-list that adds only ``argparse.Namespace`` (plus the numpy globals some runs pickle), never
by unpickling arbitrary objects.

Key layout of the official model (``models/DAB_DETR/{DABDETR,transformer,backbone}.py``):
``backbone.0.body.*`` (torchvision ResNet, FrozenBatchNorm2d), ``input_proj``,
``transformer.encoder.layers.N.{self_attn(nn.MultiheadAttention),linear1,linear2,norm1,norm2,
activation}``, ``transformer.encoder.query_scale``, ``transformer.decoder.layers.N.{sa_*_proj,
self_attn.out_proj,norm1,ca_*_proj,cross_attn.out_proj,norm2,linear1,linear2,norm3,activation}``
(``ca_qpos_proj`` only in layer 0), ``transformer.decoder.{norm,query_scale,ref_point_head,
ref_anchor_head,bbox_embed}`` (the last is ``bbox_embed`` again, shared for the anchor update),
``transformer.patterns`` (3-pattern models), ``refpoint_embed``, ``class_embed`` (91 = largest
COCO id + 1 rows, row index = category id) and ``bbox_embed``.
"""

from __future__ import annotations

import argparse
import re
from collections import OrderedDict

import torch
from torch import Tensor

# COCO category ids of mmdet's 80 contiguous labels, in label order
COCO_CATEGORY_IDS = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28,
    31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54,
    55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81,
    82, 84, 85, 86, 87, 88, 89, 90)

# (official regex, mmdet replacement), first match wins
_RULES = [
    (r"^backbone\.0\.body\.", "backbone."),
    (r"^input_proj\.", "neck.convs.0.conv."),
    (r"^transformer\.encoder\.layers\.(\d+)\.self_attn\.", r"encoder.layers.\1.self_attn.attn."),
    # FFN: Sequential(Sequential(linear1, activation, dropout), linear2, dropout)
    (r"^transformer\.(en|de)coder\.layers\.(\d+)\.linear1\.", r"\1coder.layers.\2.ffn.layers.0.0."),
    (r"^transformer\.(en|de)coder\.layers\.(\d+)\.activation\.",
     r"\1coder.layers.\2.ffn.layers.0.1."),
    (r"^transformer\.(en|de)coder\.layers\.(\d+)\.linear2\.", r"\1coder.layers.\2.ffn.layers.1."),
    (r"^transformer\.(en|de)coder\.layers\.(\d+)\.norm(\d)\.",
     lambda m: f"{m[1]}coder.layers.{m[2]}.norms.{int(m[3]) - 1}."),
    (r"^transformer\.decoder\.layers\.(\d+)\.sa_(\w+)_proj\.",
     r"decoder.layers.\1.self_attn.\2_proj."),
    (r"^transformer\.decoder\.layers\.(\d+)\.ca_(\w+)_proj\.",
     r"decoder.layers.\1.cross_attn.\2_proj."),
    (r"^transformer\.decoder\.layers\.(\d+)\.(self|cross)_attn\.out_proj\.",
     r"decoder.layers.\1.\2_attn.out_proj."),
    (r"^transformer\.decoder\.norm\.", "decoder.post_norm."),
    (r"^transformer\.(encoder|decoder)\.(query_scale|ref_point_head|ref_anchor_head)\.",
     r"\1.\2."),
    (r"^transformer\.patterns\.", "patterns."),
    (r"^bbox_embed\.", "bbox_head.fc_reg."),
    (r"^class_embed\.", "bbox_head.fc_cls."),
    (r"^refpoint_embed\.weight$", "query_embedding.weight"),
]
# the decoder's copy of the shared box head (same tensors as bbox_embed)
_DUPLICATES = re.compile(r"^transformer\.decoder\.bbox_embed\.")
_FROZEN_BN = re.compile(r"^backbone\.(bn1|layer\d\.\d+\.(bn\d|downsample\.1))\.running_var$")


class UnknownOfficialKeyError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def official_key_to_mmdet(key: str) -> str:
    for pattern, replacement in _RULES:
        new, count = re.subn(pattern, replacement, key)
        if count:
            return new
    raise UnknownOfficialKeyError(f"no mapping for official key '{key}'")


def load_official_checkpoint(path: str) -> dict:
    """``torch.load`` with weights_only=True, allowing ``argparse.Namespace`` in ``args``."""
    with torch.serialization.safe_globals([argparse.Namespace]):
        return torch.load(path, map_location="cpu", weights_only=True)


def convert_state_dict(official: dict[str, Tensor], random_refpoints_xy: bool = False,
                       category_ids: tuple[int, ...] = COCO_CATEGORY_IDS) -> OrderedDict:
    """Official DAB-DETR ``model`` state dict -> ``SwitchableDABDETR`` state dict.

    ``category_ids[i]`` is the official class row that becomes label ``i`` (COCO: 91 -> 80).
    With ``random_refpoints_xy`` (official "fixxy" models) the anchors split into the frozen
    ``query_xy`` buffer and the trainable w, h of ``query_embedding``.
    """
    converted = OrderedDict()
    for key, value in official.items():
        if _DUPLICATES.match(key):
            continue
        new_key = official_key_to_mmdet(key)
        if new_key.startswith("bbox_head.fc_cls."):
            value = value[list(category_ids)]
        if new_key == "query_embedding.weight" and random_refpoints_xy:
            converted["query_xy"] = value[:, :2].clone()
            value = value[:, 2:]
        converted[new_key] = value.clone()
        if _FROZEN_BN.match(new_key):  # FrozenBatchNorm2d has no batch counter
            counter_key = new_key.replace("running_var", "num_batches_tracked")
            converted[counter_key] = torch.tensor(0, dtype=torch.long)
    return converted


def convert_checkpoint(src: str, dst: str) -> dict:
    """Read an official checkpoint, write an mmengine-style ``{'meta', 'state_dict'}`` file."""
    checkpoint = load_official_checkpoint(src)
    args = checkpoint.get("args")
    random_xy = bool(getattr(args, "random_refpoints_xy", False))
    state_dict = convert_state_dict(checkpoint["model"], random_refpoints_xy=random_xy)
    meta = dict(source=src, converted_from="IDEA-Research/DAB-DETR",
                random_refpoints_xy=random_xy,
                num_patterns=int(getattr(args, "num_patterns", 0) or 0),
                epoch=int(checkpoint.get("epoch", -1)))
    torch.save(dict(meta=meta, state_dict=state_dict), dst)
    return meta
