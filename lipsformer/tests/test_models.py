"""Every registered variant and every component switch: forward, backward, timm interface."""

from __future__ import annotations

import pytest
import timm
import torch
from conftest import MICRO_CSWIN, MICRO_SWIN

from lipsformer import STANDARD_COUNTERPARTS, LipsFormerCSwin, LipsFormerSwin
from lipsformer.complexity import count_macs, count_params
from lipsformer.models.layers import CenterNorm, DepthwiseConvBranch

VARIANTS = sorted(timm.list_models("lipsformer_*"))
# the real architectures at a small input: the window/stripe sizes must divide the feature maps
TINY_INPUT = {name: dict(img_size=64, window_size=4) for name in VARIANTS if "_swin_" in name}
TINY_INPUT["lipsformer_cswin_tiny"] = dict(img_size=64)


def _check_forward_backward(model: torch.nn.Module, size: int) -> torch.Tensor:
    x = torch.randn(2, 3, size, size)
    out = model(x)
    assert out.shape == (2, model.num_classes)
    assert torch.isfinite(out).all()
    out.square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"parameters without gradient: {missing}"
    bad = [n for n, p in model.named_parameters() if not torch.isfinite(p.grad).all()]
    assert not bad, f"non-finite gradients: {bad}"
    return out


def test_all_variants_are_registered():
    assert VARIANTS == [
        "lipsformer_cswin_tiny",
        "lipsformer_swin_base",
        "lipsformer_swin_small",
        "lipsformer_swin_tiny",
    ]
    assert set(TINY_INPUT) == set(VARIANTS)


@pytest.mark.parametrize("name", VARIANTS)
def test_registered_variant_forward_backward(name):
    torch.manual_seed(0)
    model = timm.create_model(name, num_classes=7, drop_path_rate=0.1, **TINY_INPUT[name])
    assert isinstance(model, (LipsFormerSwin, LipsFormerCSwin))
    assert model.pretrained_cfg["classifier"] == "head.fc"
    _check_forward_backward(model, TINY_INPUT[name]["img_size"])


SWITCHES = [
    dict(),
    dict(norm_layer="layer"),
    dict(weight_init="xavier"),
    dict(weight_init="trunc_normal"),
    dict(attn_type="dot"),
    dict(residual="plain"),
    dict(norm_position="pre"),
    dict(dwconv_branches=0),
    dict(dwconv_branches=1),
    dict(normalize_v=True, nu=2.0, qk_eps=1e-6),
    STANDARD_COUNTERPARTS,
]


@pytest.mark.parametrize(
    "switch", SWITCHES, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or "lipsformer"
)
@pytest.mark.parametrize("family", ["swin", "cswin"])
def test_component_switches_train(family, switch):
    torch.manual_seed(0)
    name, base = (
        ("lipsformer_swin_tiny", dict(MICRO_SWIN, shift=True))
        if family == "swin"
        else ("lipsformer_cswin_tiny", MICRO_CSWIN)
    )
    model = timm.create_model(name, **dict(base, **switch))
    _check_forward_backward(model, 16)
    norms = {
        type(m).__name__ for m in model.modules() if isinstance(m, (CenterNorm, torch.nn.LayerNorm))
    }
    assert norms == ({"LayerNorm"} if switch.get("norm_layer") == "layer" else {"CenterNorm"})
    branches = [m for m in model.modules() if isinstance(m, DepthwiseConvBranch)]
    blocks = sum(base["depths"])
    assert len(branches) == blocks * switch.get("dwconv_branches", 2)


def test_invalid_switches_are_rejected():
    with pytest.raises(ValueError, match="norm_layer"):
        timm.create_model("lipsformer_swin_tiny", norm_layer="batch", **MICRO_SWIN)
    with pytest.raises(ValueError, match="attn_type"):
        timm.create_model("lipsformer_swin_tiny", attn_type="linear", **MICRO_SWIN)
    with pytest.raises(ValueError, match="norm_position"):
        timm.create_model("lipsformer_swin_tiny", norm_position="sandwich", **MICRO_SWIN)
    with pytest.raises(ValueError, match="not divisible by window"):
        timm.create_model("lipsformer_swin_tiny", img_size=64)  # 16x16 map, window 7
    with pytest.raises(TypeError):
        timm.create_model("lipsformer_swin_tiny", no_such_option=1, **MICRO_SWIN)


def test_timm_model_interface():
    torch.manual_seed(0)
    model = timm.create_model("lipsformer_swin_tiny", **MICRO_SWIN).eval()
    x = torch.randn(2, 3, 16, 16)
    feats = model.forward_features(x)
    assert feats.shape == (2, 4, 4, 32)  # NHWC after the final norm
    torch.testing.assert_close(model.forward_head(feats), model(x))
    assert model.forward_head(feats, pre_logits=True).shape == (2, 32)
    model.reset_classifier(3)
    assert model(x).shape == (2, 3) and model.get_classifier().out_features == 3
    model.set_grad_checkpointing(True)
    model.train()
    model(x).sum().backward()
    assert any("relative_position_bias_table" in n for n in model.no_weight_decay())
    assert model.feature_info[-1]["num_chs"] == 32


def test_shifted_windows_change_the_function():
    torch.manual_seed(0)
    plain = timm.create_model("lipsformer_swin_tiny", **MICRO_SWIN).eval()
    shifted = timm.create_model("lipsformer_swin_tiny", shift=True, **MICRO_SWIN).eval()
    shifted.load_state_dict(plain.state_dict())
    assert shifted.layers[0].blocks[1].shift == 2 and plain.layers[0].blocks[1].shift == 0
    x = torch.randn(1, 3, 16, 16)
    assert (plain(x) - shifted(x)).abs().max() > 1e-4


def test_cswin_tiny_matches_the_paper_params_and_flops():
    """Paper: LipsFormer-CSwin-T has 24M parameters and 4.7G FLOPs at 224x224."""
    model = timm.create_model("lipsformer_cswin_tiny")
    params, macs = count_params(model) / 1e6, count_macs(model) / 1e9
    assert params == pytest.approx(24, abs=0.5), params
    assert macs == pytest.approx(4.7, abs=0.05), macs


def test_flop_counter_reproduces_swin_t():
    """The counting convention gives timm's Swin-T its published 4.5G / 28M."""
    model = timm.create_model("swin_tiny_patch4_window7_224")
    assert count_params(model) / 1e6 == pytest.approx(28.3, abs=0.1)
    assert count_macs(model) / 1e9 == pytest.approx(4.5, abs=0.05)
