"""The Lipschitz modules: CenterNorm, spectral init, scaled cosine attention, weighted residual."""

from __future__ import annotations

import pytest
import timm
import torch
import torch.nn as nn
from conftest import MICRO_CSWIN, MICRO_SWIN

from lipsformer.models.layers import (
    AttentionKernel,
    CenterNorm,
    ResidualScale,
    init_weights_,
    l2_normalize,
    spectral_norm_of,
)
from lipsformer.models.lipsformer import explicit_attention


def test_centernorm_output_has_zero_mean_per_token():
    torch.manual_seed(0)
    norm = CenterNorm(24)
    x = torch.randn(3, 5, 7, 24) * 4 + 2
    y = norm(x)
    assert y.shape == x.shape
    torch.testing.assert_close(y.mean(-1), torch.zeros(3, 5, 7), atol=1e-5, rtol=0)
    # affine identity: CN(x) is the centred input rescaled by D/(D-1)
    torch.testing.assert_close(y, (x - x.mean(-1, keepdim=True)) * 24 / 23)


def test_centernorm_lipschitz_constant_matches_formula():
    """Lip(CN) = D/(D-1) * max|gamma|, against the spectral norm of its (constant) Jacobian."""
    torch.manual_seed(0)
    dim = 16
    norm = CenterNorm(dim)
    jacobian = lambda: torch.autograd.functional.jacobian(norm, torch.randn(dim))  # noqa: E731
    # gamma = 1: the Jacobian is D/(D-1) times the centring projection, the formula is attained
    sigma = torch.linalg.matrix_norm(jacobian(), ord=2).item()
    assert sigma == pytest.approx(dim / (dim - 1), rel=1e-5)
    assert norm.lipschitz_constant() == pytest.approx(dim / (dim - 1))
    # any gamma: max|gamma| <= sigma <= D/(D-1) max|gamma| (the projection drops only 1's direction)
    with torch.no_grad():
        norm.weight.copy_(torch.randn(dim) * 2)
        norm.bias.copy_(torch.randn(dim))
    sigma = torch.linalg.matrix_norm(jacobian(), ord=2).item()
    g = norm.weight.abs().max().item()
    assert norm.lipschitz_constant() == pytest.approx(dim / (dim - 1) * g)
    assert g * (1 - 1e-6) <= sigma <= norm.lipschitz_constant() * (1 + 1e-6)
    # unlike LayerNorm, CenterNorm does not undo input scaling
    x = torch.randn(4, dim)
    with torch.no_grad():
        torch.testing.assert_close(norm(3 * x) - norm.bias, 3 * (norm(x) - norm.bias))


@pytest.mark.parametrize(
    "name,kwargs", [("lipsformer_swin_tiny", MICRO_SWIN), ("lipsformer_cswin_tiny", MICRO_CSWIN)]
)
def test_spectral_init_gives_every_weight_unit_spectral_norm(name, kwargs):
    torch.manual_seed(0)
    model = timm.create_model(name, **kwargs)
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    assert len(layers) > 10
    for m in layers:
        assert spectral_norm_of(m.weight).item() == pytest.approx(1.0, abs=1e-4)


def test_xavier_init_is_the_same_draw_without_rescaling():
    lin_a, lin_b = nn.Linear(64, 32), nn.Linear(64, 32)
    torch.manual_seed(1)
    init_weights_(lin_a, "xavier")
    torch.manual_seed(1)
    init_weights_(lin_b, "spectral")
    ratio = lin_a.weight / lin_b.weight
    torch.testing.assert_close(
        ratio, torch.full_like(ratio, spectral_norm_of(lin_a.weight).item()), rtol=1e-4, atol=0
    )
    assert spectral_norm_of(lin_a.weight).item() > 1.2  # Xavier alone is not spectrally normalised
    with pytest.raises(ValueError, match="weight_init"):
        init_weights_(lin_a, "orthogonal")


def _qkv(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(2, 3, 9, 8, generator=g) for _ in range(3)]


@pytest.mark.parametrize("fused", [True, False])
def test_cosine_attention_is_invariant_to_q_and_k_scaling(fused):
    kernel = AttentionKernel(8, attn_type="cosine", tau=10.0).eval()
    kernel.fused_attn = fused
    q, k, v = _qkv()
    scale_q = torch.rand(2, 3, 9, 1) * 50 + 0.1  # a positive scale per query token
    scale_k = torch.rand(2, 3, 9, 1) * 50 + 0.1
    torch.testing.assert_close(
        kernel(q * scale_q, k * scale_k, v, None), kernel(q, k, v, None), atol=1e-5, rtol=1e-5
    )


def test_dot_product_attention_is_not_scale_invariant():
    """The control: the invariance above is a property of SCSA, not of the test."""
    kernel = AttentionKernel(8, attn_type="dot").eval()
    q, k, v = _qkv()
    assert (kernel(q * 5, k, v, None) - kernel(q, k, v, None)).abs().max() > 1e-2


def test_temperature_and_paper_value_normalisation():
    q, k, v = _qkv(1)
    code = AttentionKernel(8, tau=12.0, normalize_v=False).eval()
    paper = AttentionKernel(8, tau=12.0, normalize_v=True, nu=2.0, qk_eps=1e-6).eval()
    attn = torch.softmax(12.0 * l2_normalize(q, None) @ l2_normalize(k, None).transpose(-1, -2), -1)
    torch.testing.assert_close(code(q, k, v, None), attn @ v, atol=1e-5, rtol=1e-5)
    out = paper(q, k, v, None)
    # outputs are convex combinations of nu * unit vectors: norms at most nu, whatever v's scale
    assert out.norm(dim=-1).max() <= 2.0 + 1e-5
    torch.testing.assert_close(paper(q, k, 100 * v, None), out, atol=1e-5, rtol=1e-5)


def test_l2_normalize_paper_form_is_bounded_near_zero():
    x = torch.full((4,), 1e-5)
    assert l2_normalize(x, 1e-6).norm() < 0.05  # q/sqrt(|q|^2 + eps): small inputs stay small
    assert l2_normalize(x, None).norm() == pytest.approx(1.0)  # code form: always unit


def test_residual_scale_init_and_model_alpha_defaults():
    torch.manual_seed(0)
    assert torch.equal(ResidualScale(6, 0.25).scale, torch.full((6,), 0.25))
    swin = timm.create_model("lipsformer_swin_tiny", **MICRO_SWIN)
    cswin = timm.create_model("lipsformer_cswin_tiny", **MICRO_CSWIN)
    swin_alphas = {m.alpha_init for m in swin.modules() if isinstance(m, ResidualScale)}
    cswin_alphas = {m.alpha_init for m in cswin.modules() if isinstance(m, ResidualScale)}
    assert swin_alphas == {1 / 4}  # 1 / sum(depths) = 1 / (2 + 2)
    assert cswin_alphas == {0.2}  # what the official CSwin block actually builds
    plain = timm.create_model("lipsformer_swin_tiny", residual="plain", **MICRO_SWIN)
    assert not any(isinstance(m, ResidualScale) for m in plain.modules())


def test_explicit_attention_path_matches_fused():
    torch.manual_seed(0)
    for name, kwargs in (
        ("lipsformer_swin_tiny", dict(MICRO_SWIN, shift=True)),
        ("lipsformer_cswin_tiny", MICRO_CSWIN),
    ):
        model = timm.create_model(name, **kwargs).eval()
        x = torch.randn(2, 3, 16, 16)
        fused = model(x)
        with explicit_attention(model):
            explicit = model(x)
        torch.testing.assert_close(fused, explicit, atol=1e-5, rtol=1e-4)
        assert all(m.fused_attn for m in model.modules() if hasattr(m, "fused_attn"))
