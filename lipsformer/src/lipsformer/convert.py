"""Key mapping between official LipsFormer-Swin checkpoints and this package's timm models.

Official names (IDEA-Research/LipsFormer, models/lipsformer_swin.py), per block
``layers.{i}.blocks.{j}.``:

    dwconv_layers.{b}.weight/bias   ->  dw_branches.{b}.dwconv.weight/bias
    scale_layers.{b}.scale          ->  dw_branches.{b}.alpha.scale
    nin.weight/bias                 ->  dw_branches.0.pwconv.weight/bias  (1x1 conv of branch 1)
    alpha1.scale, alpha2.scale, norm1.*, norm2.*, attn.qkv.*, attn.proj.*,
    attn.relative_position_bias_table, mlp.fc1.*, mlp.fc2.*   ->  unchanged

and outside the blocks:

    layers.{i}.downsample.*   ->  layers.{i+1}.downsample.*   (Swin merges at the end of a stage,
                                                               timm at the start of the next)
    head.weight/bias          ->  head.fc.weight/bias
    *.relative_position_index, *.attn_mask                    ->  dropped (recomputed buffers)
"""

from __future__ import annotations

import re

import torch

_BLOCK_RENAMES_TO_TIMM = (
    (re.compile(r"\.dwconv_layers\.(\d+)\."), r".dw_branches.\1.dwconv."),
    (re.compile(r"\.scale_layers\.(\d+)\.scale$"), r".dw_branches.\1.alpha.scale"),
    (re.compile(r"\.nin\."), r".dw_branches.0.pwconv."),
)
_BLOCK_RENAMES_TO_OFFICIAL = (
    (re.compile(r"\.dw_branches\.0\.pwconv\."), r".nin."),
    (re.compile(r"\.dw_branches\.(\d+)\.dwconv\."), r".dwconv_layers.\1."),
    (re.compile(r"\.dw_branches\.(\d+)\.alpha\.scale$"), r".scale_layers.\1.scale"),
)
_DOWNSAMPLE = re.compile(r"^layers\.(\d+)\.downsample\.")
_DROPPED = ("relative_position_index", "attn_mask")


def is_official_swin_state_dict(state_dict: dict[str, torch.Tensor]) -> bool:
    """Official checkpoints carry a downsample in stage 0 or the original block names."""
    return any(
        k.startswith("layers.0.downsample.")
        or ".dwconv_layers." in k
        or ".nin." in k
        or k == "head.weight"
        for k in state_dict
    )


def _shift_downsample(key: str, offset: int) -> str:
    return _DOWNSAMPLE.sub(lambda m: f"layers.{int(m.group(1)) + offset}.downsample.", key)


def official_swin_to_timm(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename an official LipsFormer-Swin state dict (optionally wrapped in ``{'model': ...}``)."""
    state_dict = state_dict.get("model", state_dict)
    uses_dwconv = {k.split(".dwconv_layers.")[0] for k in state_dict if ".dwconv_layers." in k}
    out = {}
    for key, value in state_dict.items():
        if any(name in key for name in _DROPPED):
            continue
        if ".nin." in key and key.split(".nin.")[0] not in uses_dwconv:
            continue  # the official block builds `nin` even without depthwise branches; unused then
        for pattern, repl in _BLOCK_RENAMES_TO_TIMM:
            key = pattern.sub(repl, key)
        key = _shift_downsample(key, +1)
        if key.startswith("head.") and not key.startswith("head.fc."):
            key = "head.fc." + key[len("head.") :]
        out[key] = value
    return out


def timm_to_official_swin(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Inverse of :func:`official_swin_to_timm` (for exporting to the official code base)."""
    out = {}
    for key, value in state_dict.items():
        for pattern, repl in _BLOCK_RENAMES_TO_OFFICIAL:
            key = pattern.sub(repl, key)
        key = _shift_downsample(key, -1)
        if key.startswith("head.fc."):
            key = "head." + key[len("head.fc.") :]
        out[key] = value
    return out


def official_swin_arch(state_dict: dict[str, torch.Tensor]) -> dict[str, object]:
    """Read embed_dim, depths, num_heads, window size and class count off an official state dict."""
    state_dict = state_dict.get("model", state_dict)
    blocks: dict[int, set[int]] = {}
    heads: dict[int, int] = {}
    windows = [1]
    for key, value in state_dict.items():
        m = re.match(r"layers\.(\d+)\.blocks\.(\d+)\.", key)
        if m:
            stage, block = int(m.group(1)), int(m.group(2))
            blocks.setdefault(stage, set()).add(block)
            if key.endswith("attn.relative_position_bias_table"):
                heads[stage] = value.shape[1]
                windows.append((round(value.shape[0] ** 0.5) + 1) // 2)  # table is (2w-1)^2 x heads
    if not blocks:
        raise KeyError("no 'layers.{i}.blocks.{j}.*' keys: not a LipsFormer-Swin state dict")
    stages = sorted(blocks)
    arch = dict(
        embed_dim=state_dict["patch_embed.proj.weight"].shape[0],
        depths=tuple(len(blocks[s]) for s in stages),
        num_heads=tuple(heads[s] for s in stages),
        window_size=max(windows),
        dwconv_branches=len(
            {
                k
                for k in state_dict
                if k.startswith("layers.0.blocks.0.dwconv_layers.") and k.endswith("weight")
            }
        ),
    )
    if "head.weight" in state_dict:
        arch["num_classes"] = state_dict["head.weight"].shape[0]
    return arch
