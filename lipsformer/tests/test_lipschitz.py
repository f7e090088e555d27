"""The Lipschitz upper bound never falls below an empirical estimate of the constant."""

from __future__ import annotations

import math

import pytest
import timm
import torch
import torch.nn as nn
from conftest import MICRO_CSWIN, MICRO_SWIN

from lipsformer import STANDARD_COUNTERPARTS
from lipsformer.lipschitz import (
    GELU_LIPSCHITZ,
    empirical_lipschitz,
    lipschitz_monitors,
    lipschitz_upper_bound,
    sample_images,
)
from lipsformer.models.layers import CenterNorm, ResidualScale

# a single-stage model keeps the bound tight enough for the comparison to be informative
ONE_STAGE = dict(
    img_size=8, patch_size=2, embed_dim=8, depths=(1,), num_heads=(2,), window_size=2, num_classes=3
)
CASES = [
    ("lipsformer_swin_tiny", ONE_STAGE, {}),
    ("lipsformer_swin_tiny", ONE_STAGE, dict(normalize_v=True, nu=1.0, qk_eps=1e-2)),
    ("lipsformer_swin_tiny", ONE_STAGE, dict(attn_type="dot")),
    ("lipsformer_swin_tiny", ONE_STAGE, dict(STANDARD_COUNTERPARTS)),
    ("lipsformer_swin_tiny", MICRO_SWIN, {}),
    ("lipsformer_swin_tiny", MICRO_SWIN, dict(STANDARD_COUNTERPARTS, shift=True)),
    ("lipsformer_cswin_tiny", MICRO_CSWIN, {}),
    ("lipsformer_cswin_tiny", MICRO_CSWIN, dict(STANDARD_COUNTERPARTS)),
]


def test_gelu_lipschitz_constant():
    x = torch.linspace(-6, 6, 200001, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(nn.functional.gelu(x).sum(), x)
    assert grad.abs().max().item() == pytest.approx(GELU_LIPSCHITZ, rel=1e-8)


def _perturb_(model: nn.Module, seed: int) -> None:
    """Move the model away from its init as training would: larger alpha/gamma, noisy weights."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, ResidualScale):
                m.scale.copy_(torch.rand(m.scale.shape, generator=g) * 0.8)
            elif isinstance(m, (CenterNorm, nn.LayerNorm)):
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
            elif isinstance(m, (nn.Linear, nn.Conv2d)):
                m.weight.add_(0.3 * m.weight.std() * torch.randn(m.weight.shape, generator=g))
                if m.bias is not None:
                    m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "name,base,switch",
    CASES,
    ids=[
        f"{n[11:]}-{'x'.join(map(str, b['depths']))}-{','.join(s) or 'code'}" for n, b, s in CASES
    ],
)
def test_bound_is_never_below_the_empirical_estimate(name, base, switch, seed):
    torch.manual_seed(seed)
    model = timm.create_model(name, **dict(base, **switch)).eval()
    if seed:
        _perturb_(model, seed)
    size = (base["img_size"], base["img_size"])
    bound = lipschitz_upper_bound(model, size)
    estimate = empirical_lipschitz(model, sample_images(3, size, seed=seed), iters=15)
    assert estimate > 0
    assert bound.log10 >= math.log10(estimate), (bound.log10, math.log10(estimate))


def test_bound_is_tight_for_a_linear_probe():
    """No blocks: patch embed -> CenterNorm -> pool -> head is linear, and the bound is the product
    of exact factors, so it can only exceed the true constant through the pooling."""
    torch.manual_seed(0)
    model = timm.create_model("lipsformer_swin_tiny", **dict(ONE_STAGE, depths=(0,))).eval()
    size = (8, 8)
    bound = lipschitz_upper_bound(model, size).value
    estimate = empirical_lipschitz(model, sample_images(2, size), iters=50)
    assert estimate <= bound * (1 + 1e-4)
    assert estimate >= 0.2 * bound


def test_paper_form_bound_is_global_and_code_form_depends_on_input_range():
    torch.manual_seed(0)
    paper = timm.create_model(
        "lipsformer_swin_tiny", normalize_v=True, qk_eps=1e-2, **ONE_STAGE
    ).eval()
    code = timm.create_model("lipsformer_swin_tiny", **ONE_STAGE).eval()
    code.load_state_dict(paper.state_dict())
    wide = dict(mean=(0.5, 0.5, 0.5), std=(0.01, 0.01, 0.01))  # pixel range +-50 instead of ~+-2.6
    assert lipschitz_upper_bound(paper, (8, 8), **wide).log10 == pytest.approx(
        lipschitz_upper_bound(paper, (8, 8)).log10, abs=1e-9
    )
    assert (
        lipschitz_upper_bound(code, (8, 8), **wide).log10
        > lipschitz_upper_bound(code, (8, 8)).log10 + 1
    )


def test_bound_components_and_monotonicity_in_alpha():
    torch.manual_seed(0)
    model = timm.create_model("lipsformer_swin_tiny", **MICRO_SWIN).eval()
    bound = lipschitz_upper_bound(model, (16, 16))
    names = [n for n, _ in bound.components]
    assert names[0] == "patch_embed" and names[-1] == "norm+pool+head"
    assert sum(v for _, v in bound.components) == pytest.approx(bound.log10)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, ResidualScale):
                m.scale.mul_(4)
    assert lipschitz_upper_bound(model, (16, 16)).log10 > bound.log10


def test_lipschitz_monitors():
    torch.manual_seed(0)
    model = timm.create_model("lipsformer_swin_tiny", **MICRO_SWIN)
    stats = lipschitz_monitors(model)
    assert stats["alpha_max"] == pytest.approx(0.25)
    assert stats["centernorm_gain_max"] == pytest.approx(16 / 15)  # D/(D-1) of the narrowest norm
    assert stats["linear_sigma_max"] == pytest.approx(1.0, abs=1e-4)  # spectral init


@pytest.mark.parametrize(
    "switch",
    [dict(normalize_v=True, nu=1.0, qk_eps=1.0), dict(qk_eps=1.0), dict(attn_type="dot")],
    ids=["paper", "raw-v", "dot"],
)
def test_attention_bound_holds_and_is_not_vacuous(switch):
    """Module-level check of the attention term: above the estimate, but within a modest factor
    (with eps = 1 the q/k normaliser is 1-Lipschitz: no 1/sqrt(eps) blow-up hides a bad bound)."""
    from lipsformer.lipschitz import _window_attention
    from lipsformer.models.lipsformer import WindowAttention

    torch.manual_seed(0)
    attn = WindowAttention(8, 2, window=2, qkv_bias=True, proj_drop=0.0, **switch).eval()
    radius = 3.0
    tokens = torch.randn(4, 4, 8)
    tokens = tokens * (radius * torch.rand(4, 4, 1) / tokens.norm(dim=-1, keepdim=True))
    bound = math.exp(_window_attention(attn, radius).log_lip)
    estimate = empirical_lipschitz(attn, tokens, iters=30)
    assert estimate <= bound
    assert bound <= 200 * estimate, (bound, estimate)
