"""Official LipsFormer-Swin checkpoints (key names and shapes of models/lipsformer_swin.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import timm
import torch
from conftest import FOLDER

from lipsformer.convert import official_swin_arch, official_swin_to_timm, timm_to_official_swin


def official_state_dict(
    embed=96, depths=(2, 2, 6, 2), heads=(3, 6, 12, 24), window=7, classes=1000, seed=0
) -> dict[str, torch.Tensor]:
    """Keys and shapes as the official LipsFormerSwin saves them (written from the official module
    structure, independently of the converter): downsample at the end of stages 0-2, `nin` and
    two `dwconv_layers`/`scale_layers` per block, relative_position_index buffers, a bare head."""
    g = torch.Generator().manual_seed(seed)
    sd: dict[str, torch.Tensor] = {}

    def add(key, *shape, dtype=torch.float32):
        sd[key] = (
            torch.randn(*shape, generator=g)
            if dtype == torch.float32
            else torch.randint(0, (2 * window - 1) ** 2, shape, generator=g)
        )

    add("patch_embed.proj.weight", embed, 3, 4, 4)
    add("patch_embed.proj.bias", embed)
    add("patch_embed.norm.weight", embed)
    add("patch_embed.norm.bias", embed)
    dim = embed
    for i, (depth, h) in enumerate(zip(depths, heads, strict=True)):
        for j in range(depth):
            p = f"layers.{i}.blocks.{j}."
            for n in ("norm1", "norm2"):
                add(p + n + ".weight", dim)
                add(p + n + ".bias", dim)
            add(p + "attn.relative_position_bias_table", (2 * window - 1) ** 2, h)
            add(p + "attn.relative_position_index", window**2, window**2, dtype=torch.long)
            add(p + "attn.qkv.weight", 3 * dim, dim)
            add(p + "attn.qkv.bias", 3 * dim)
            add(p + "attn.proj.weight", dim, dim)
            add(p + "attn.proj.bias", dim)
            add(p + "mlp.fc1.weight", 4 * dim, dim)
            add(p + "mlp.fc1.bias", 4 * dim)
            add(p + "mlp.fc2.weight", dim, 4 * dim)
            add(p + "mlp.fc2.bias", dim)
            for b in range(2):
                add(p + f"dwconv_layers.{b}.weight", dim, 1, 7, 7)
                add(p + f"dwconv_layers.{b}.bias", dim)
                add(p + f"scale_layers.{b}.scale", dim)
            add(p + "alpha1.scale", dim)
            add(p + "alpha2.scale", dim)
            add(p + "nin.weight", dim, dim, 1, 1)
            add(p + "nin.bias", dim)
        if i < len(depths) - 1:
            add(f"layers.{i}.downsample.reduction.weight", 2 * dim, 4 * dim)
            add(f"layers.{i}.downsample.norm.weight", 4 * dim)
            add(f"layers.{i}.downsample.norm.bias", 4 * dim)
            dim *= 2
    add("norm.weight", dim)
    add("norm.bias", dim)
    add("head.weight", classes, dim)
    add("head.bias", classes)
    return sd


def test_official_swin_tiny_loads_strictly_and_round_trips():
    official = official_state_dict()
    converted = official_swin_to_timm({"model": official})
    model = timm.create_model("lipsformer_swin_tiny")
    model.load_state_dict(converted, strict=True)
    # tensors land where they belong
    torch.testing.assert_close(
        model.layers[1].downsample.reduction.weight,
        official["layers.0.downsample.reduction.weight"],
    )
    torch.testing.assert_close(
        model.layers[2].blocks[3].dw_branches[0].pwconv.weight,
        official["layers.2.blocks.3.nin.weight"],
    )
    torch.testing.assert_close(
        model.layers[0].blocks[1].dw_branches[1].alpha.scale,
        official["layers.0.blocks.1.scale_layers.1.scale"],
    )
    torch.testing.assert_close(model.head.fc.weight, official["head.weight"])
    back = timm_to_official_swin(model.state_dict())
    expected = {k: v for k, v in official.items() if "relative_position_index" not in k}
    assert back.keys() == expected.keys()
    for key in expected:
        torch.testing.assert_close(back[key], expected[key], rtol=0, atol=0)


def test_architecture_is_read_off_the_checkpoint():
    arch = official_swin_arch(official_state_dict(depths=(2, 2, 5, 2), classes=10))
    assert arch == dict(
        embed_dim=96,
        depths=(2, 2, 5, 2),
        num_heads=(3, 6, 12, 24),
        window_size=7,
        dwconv_branches=2,
        num_classes=10,
    )


def test_timm_pretrained_file_goes_through_the_filter(tmp_path):
    path = tmp_path / "lipsformer-swin-tiny.pth"
    official = official_state_dict(classes=10)
    torch.save({"model": official}, path)
    model = timm.create_model(
        "lipsformer_swin_tiny",
        pretrained=True,
        num_classes=10,
        pretrained_cfg_overlay=dict(file=str(path)),
    )
    torch.testing.assert_close(
        model.layers[3].blocks[1].attn.qkv.weight, official["layers.3.blocks.1.attn.qkv.weight"]
    )


def test_convert_tool_writes_a_loadable_timm_checkpoint(tmp_path):
    src, dst = tmp_path / "official.pth", tmp_path / "timm.pth"
    torch.save({"model": official_state_dict(), "epoch": 299}, src)
    proc = subprocess.run(
        [sys.executable, str(FOLDER / "tools" / "convert_official_ckpt.py"), str(src), str(dst)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "lipsformer_swin_tiny" in proc.stdout
    model = timm.create_model("lipsformer_swin_tiny")
    model.load_state_dict(torch.load(dst, weights_only=True), strict=True)
    with pytest.raises(subprocess.CalledProcessError):
        torch.save({"model": {"foo": torch.zeros(1)}}, src)
        subprocess.run(
            [
                sys.executable,
                str(FOLDER / "tools" / "convert_official_ckpt.py"),
                str(src),
                str(dst),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
