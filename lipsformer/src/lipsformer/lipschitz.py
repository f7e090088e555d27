"""Upper bound and empirical estimate of a LipsFormer's Lipschitz constant (l2 -> l2).

Upper bound. The paper bounds the network by composing per-module constants: a weighted residual
followed by a norm N contributes Lip(N) * (1 + alpha * Lip(f)), Linear layers their spectral norm,
CenterNorm D/(D-1) * max|gamma|, and scaled cosine attention a constant that depends on tau, nu,
the q/k normalisation eps and the projection norms. :func:`lipschitz_upper_bound` evaluates that
composition module by module for a concrete model, with these per-module constants:

    Linear / non-overlapping conv     sigma_max(W)                          (exact)
    depthwise k x k conv              max_c ||kernel_c||_1                   (Young's inequality)
    GELU                              max_x |Phi(x) + x phi(x)| = 1.1289...  (at x = sqrt 2)
    CenterNorm                        D/(D-1) * max|gamma|                   (exact)
    LayerNorm                         max|gamma| / sqrt(eps)                 (Jacobian bound)
    alpha (weighted residual)         max|alpha|
    x + f(x)                          1 + Lip(f)
    global average pool over L tokens 1/sqrt(L)
    attention head, N tokens          sqrt(N) g_v + v_max * s * (g_q ||K'||_2 + g_k ||Q'||_2)

For the attention term (derived in the README, "Lipschitz bound"): the Jacobian of
out_i = sum_j P_ij v_j splits into P dV, whose norm is at most ||P||_2 <= sqrt(N) (P is row
stochastic) times the gain g_v of the value map, plus the softmax part sum_j dP_ij v_j, which is at
most max_j ||v_j|| times ||dS_i|| (softmax Jacobians J = diag(p) - pp^T satisfy
||V^T J u|| <= max_j ||v_j|| ||u||); dS = s (dQ' K'^T + Q' dK'^T). With cosine attention
Q' = Q/||Q|| has unit rows, so ||Q'||_2 <= sqrt(N), and g_q = c_n ||W_q|| with c_n the normaliser's
Lipschitz constant (eps^-1/2 in the paper's form, 1e12 for the official F.normalize clamp). With
the paper's normalised values, v_max = nu and g_v = nu c_n ||W_v||: the module is globally
Lipschitz. With the official raw values (and with dot-product attention) v_max and ||Q||_2 grow
with the input, so the bound holds on a bounded input set only: we carry a bound ``radius`` on
every token's norm through the network, starting from the box of normalised images. This bound is
of the same form as the paper's Theorem 1 as quoted by Nair (TMLR; n^2 nu tau eps^-1/2 ||W_K|| +
...), with sqrt(N) where that form has N and N^2.

Empirical estimate. :func:`empirical_lipschitz` takes the largest spectral norm of the
input-output Jacobian over sample inputs from the same box (power iteration with jvp/vjp); any
such value is a lower bound on the true constant, so the bound can never be below it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from timm.layers import ClassifierHead

from .models.layers import (
    AttentionKernel,
    CenterNorm,
    DepthwiseConvBranch,
    ResidualScale,
    normalization_lipschitz,
)
from .models.lipsformer import (
    LipsFormerCSwin,
    LipsFormerCSwinBlock,
    LipsFormerSwin,
    LipsFormerSwinBlock,
    MergeBlock,
    PatchEmbed,
    PatchMerging,
    WindowAttention,
    explicit_attention,
)

_SQRT2 = math.sqrt(2.0)
# max_x d/dx [x Phi(x)] = Phi(sqrt 2) + sqrt 2 phi(sqrt 2), where phi(x)(2 - x^2) = 0
GELU_LIPSCHITZ = 0.5 * (1 + math.erf(1.0)) + _SQRT2 * math.exp(-1.0) / math.sqrt(2 * math.pi)


@dataclass
class LipschitzBound:
    """log10 of the bound, plus each top-level component's log10 factor."""

    log10: float
    components: list[tuple[str, float]] = field(default_factory=list)

    @property
    def value(self) -> float:
        return 10.0**self.log10 if self.log10 < 308 else math.inf


@dataclass
class _Flow:
    """Running bound: natural log of the Lipschitz constant so far, and a per-token norm bound."""

    log_lip: float
    radius: float

    def then(self, lip: float, radius: float) -> _Flow:
        return _Flow(self.log_lip + _log(lip), radius)


def _log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def _sigma(weight: torch.Tensor) -> float:
    return torch.linalg.matrix_norm(
        weight.detach().double().reshape(weight.shape[0], -1), ord=2
    ).item()


def _vec_norm(t: torch.Tensor | None) -> float:
    return 0.0 if t is None else t.detach().double().norm().item()


def _linear(m: nn.Linear | nn.Conv2d, radius: float) -> tuple[float, float]:
    """A token-wise linear map (Linear, 1x1 conv, or a non-overlapping conv on grouped tokens)."""
    s = _sigma(m.weight)
    return s, s * radius + _vec_norm(m.bias)


def _depthwise(conv: nn.Conv2d, radius: float) -> tuple[float, float]:
    k = conv.weight.detach().double().flatten(1).abs()  # C x k*k
    return k.sum(1).max().item(), k.max(0).values.sum().item() * radius + _vec_norm(conv.bias)


def _norm(m: nn.Module, radius: float) -> tuple[float, float]:
    if isinstance(m, nn.Identity):
        return 1.0, radius
    if isinstance(m, CenterNorm):
        lip = m.lipschitz_constant()
        return lip, lip * radius + _vec_norm(m.bias)
    if isinstance(m, nn.LayerNorm):
        g = m.weight.detach().abs().max().item()
        # ||(x - mean)/sqrt(var + eps)|| <= sqrt(D) whatever x is
        return g / math.sqrt(m.eps), g * math.sqrt(m.normalized_shape[0]) + _vec_norm(m.bias)
    raise TypeError(f"no Lipschitz rule for norm {type(m).__name__}")


def _alpha(m: nn.Module) -> float:
    return m.scale.detach().abs().max().item() if isinstance(m, ResidualScale) else 1.0


def _residual(flow: _Flow, branch: _Flow, alpha: float) -> _Flow:
    """x + alpha * f(x), with `branch` the bound of f alone (log_lip relative to the input)."""
    lip = (
        math.log1p(alpha * math.exp(branch.log_lip))
        if branch.log_lip < 700
        else math.log(alpha) + branch.log_lip
    )
    return _Flow(flow.log_lip + lip, flow.radius + alpha * branch.radius)


def _mlp(mlp: nn.Module, radius: float) -> _Flow:
    l1, r = _linear(mlp.fc1, radius)
    l2, r = _linear(mlp.fc2, r)  # |GELU(x)| <= |x| elementwise, so the radius passes through
    return _Flow(_log(l1 * GELU_LIPSCHITZ * l2), r)


def _dw_branch(branch: DepthwiseConvBranch, radius: float) -> _Flow:
    lip, r = _depthwise(branch.dwconv, radius)
    if branch.pwconv is not None:
        lp, r = _linear(branch.pwconv, r)
        lip *= GELU_LIPSCHITZ * lp
    a = _alpha(branch.alpha)
    return _Flow(_log(lip * GELU_LIPSCHITZ * a), a * r)


def _head_bound(
    kernel: AttentionKernel, w_q, w_k, w_v, b_q, b_k, b_v, tokens: int, radius: float
) -> tuple[float, float, float]:
    """(Lipschitz bound, output norm bound, value-map gain) of one head on `tokens` tokens."""
    a, b, c = _sigma(w_q), _sigma(w_k), _sigma(w_v)
    c_n = normalization_lipschitz(kernel.qk_eps)
    sqrt_n = math.sqrt(tokens)
    if kernel.attn_type == "cosine":
        g_q, g_k, q_norm, k_norm = c_n * a, c_n * b, sqrt_n, sqrt_n
    else:
        g_q, g_k = a, b
        q_norm = sqrt_n * (a * radius + _vec_norm(b_q))
        k_norm = sqrt_n * (b * radius + _vec_norm(b_k))
    if kernel.normalize_v:
        g_v, v_max = kernel.nu * c_n * c, kernel.nu
    else:
        g_v, v_max = c, c * radius + _vec_norm(b_v)
    d_scores = kernel.scale * (g_q * k_norm + q_norm * g_k)
    return sqrt_n * g_v + v_max * d_scores, v_max, c


def _head_slices(qkv: nn.Linear, channel_offset: int, dim: int, heads: int):
    """Per-head rows of a fused qkv Linear for channels [offset, offset + dim) of q, k and v."""
    total = qkv.weight.shape[0] // 3
    hd = dim // heads
    for h in range(heads):
        rows = [
            slice(i * total + channel_offset + h * hd, i * total + channel_offset + (h + 1) * hd)
            for i in range(3)
        ]
        weights = [qkv.weight[r] for r in rows]
        biases = [None if qkv.bias is None else qkv.bias[r] for r in rows]
        yield rows, weights, biases


def _window_attention(attn: WindowAttention, radius: float) -> _Flow:
    dim = attn.qkv.weight.shape[1]
    sq_lip, sq_rad = 0.0, 0.0
    for _, (wq, wk, wv), (bq, bk, bv) in _head_slices(attn.qkv, 0, dim, attn.num_heads):
        lip, rad, _ = _head_bound(attn.kernel, wq, wk, wv, bq, bk, bv, attn.window**2, radius)
        sq_lip += lip**2
        sq_rad += rad**2
    lp, r = _linear(attn.proj, math.sqrt(sq_rad))
    return _Flow(_log(math.sqrt(sq_lip) * lp), r)


def _cswin_attention(block: LipsFormerCSwinBlock, radius: float) -> _Flow:
    dim = block.qkv.weight.shape[1]
    branch_dim = dim // len(block.attns)
    sq_lip, sq_rad = 0.0, 0.0
    for i, attn in enumerate(block.attns):
        hd = branch_dim // attn.num_heads
        lepe = attn.get_v.weight.detach().double().flatten(1).abs()  # channels x 9
        for h, (_, (wq, wk, wv), (bq, bk, bv)) in enumerate(
            _head_slices(block.qkv, i * branch_dim, branch_dim, attn.num_heads)
        ):
            lip, v_max, c = _head_bound(
                attn.kernel, wq, wk, wv, bq, bk, bv, attn.h_sp * attn.w_sp, radius
            )
            k = lepe[h * hd : (h + 1) * hd]
            raw_v = c * radius + _vec_norm(bv)
            lepe_rad = k.max(0).values.sum().item() * raw_v + _vec_norm(
                attn.get_v.bias[h * hd : (h + 1) * hd]
            )
            sq_lip += (attn.out_scale * (lip + k.sum(1).max().item() * c)) ** 2
            sq_rad += (attn.out_scale * (v_max + lepe_rad)) ** 2
    lp, r = _linear(block.proj, math.sqrt(sq_rad))
    return _Flow(_log(math.sqrt(sq_lip) * lp), r)


def _block(block: nn.Module, flow: _Flow) -> _Flow:
    for branch in block.dw_branches:
        flow = _residual(flow, _dw_branch(branch, flow.radius), 1.0)
    attn_fn = (
        (lambda r: _window_attention(block.attn, r))
        if isinstance(block, LipsFormerSwinBlock)
        else (lambda r: _cswin_attention(block, r))
    )
    if block.post_norm:
        # Swin: N1(x + a1 attn(x)); CSwin: x + a1 attn(x) (its norm1 is the identity). Then
        # N2(x + a2 mlp(x)) for both.
        flow = _residual(flow, attn_fn(flow.radius), _alpha(block.alpha1))
        flow = flow.then(*_norm(block.norm1, flow.radius))
        flow = _residual(flow, _mlp(block.mlp, flow.radius), _alpha(block.alpha2))
        return flow.then(*_norm(block.norm2, flow.radius))
    for norm, fn, alpha in (
        (block.norm1, attn_fn, block.alpha1),
        (block.norm2, lambda r: _mlp(block.mlp, r), block.alpha2),
    ):
        n_lip, n_rad = _norm(norm, flow.radius)
        inner = fn(n_rad)
        flow = _residual(flow, _Flow(inner.log_lip + _log(n_lip), inner.radius), _alpha(alpha))
    return flow


def _downsample(m: nn.Module, flow: _Flow) -> _Flow:
    if isinstance(m, nn.Identity):
        return flow
    # both regroup a 2x2 neighbourhood into one token (an isometry), doubling the token norm bound
    if isinstance(m, PatchMerging):
        flow = flow.then(*_norm(m.norm, 2 * flow.radius))
        return flow.then(*_linear(m.reduction, flow.radius))
    if isinstance(m, MergeBlock):
        flow = flow.then(*_linear(m.conv, 2 * flow.radius))
        return flow.then(*_norm(m.norm, flow.radius))
    raise TypeError(f"no Lipschitz rule for {type(m).__name__}")


def image_box(
    mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel range of normalised images: ((0 - mean)/std, (1 - mean)/std)."""
    mean, std = torch.tensor(mean), torch.tensor(std)
    return (0 - mean) / std, (1 - mean) / std


def lipschitz_upper_bound(
    model: nn.Module,
    input_size: tuple[int, int],
    mean=IMAGENET_DEFAULT_MEAN,
    std=IMAGENET_DEFAULT_STD,
) -> LipschitzBound:
    """Upper bound on the l2 Lipschitz constant of ``model`` (eval mode) on normalised images.

    The domain is every image of ``input_size`` whose pixels lie in [0, 1] before normalisation
    by ``mean``/``std``; models whose attention is globally Lipschitz (normalised v, paper form)
    get a bound that does not depend on it except through the per-token radius of raw-v parts.
    """
    if not isinstance(model, (LipsFormerSwin, LipsFormerCSwin)):
        raise TypeError(f"expected a LipsFormerSwin or LipsFormerCSwin, got {type(model).__name__}")
    lo, hi = image_box(mean, std)
    embed: PatchEmbed = model.patch_embed
    p = embed.patch_size
    patch_radius = math.sqrt(p * p * torch.maximum(lo.abs(), hi.abs()).pow(2).sum().item())
    flow = _Flow(0.0, patch_radius)
    components = []

    def record(name: str, before: _Flow, after: _Flow) -> None:
        components.append((name, (after.log_lip - before.log_lip) / math.log(10)))

    start = flow
    flow = flow.then(*_linear(embed.proj, flow.radius))
    flow = flow.then(*_norm(embed.norm, flow.radius))
    record("patch_embed", start, flow)
    for i, stage in enumerate(model.layers):
        start = flow
        flow = _downsample(stage.downsample, flow)
        if not isinstance(stage.downsample, nn.Identity):
            record(f"layers.{i}.downsample", start, flow)
        for j, block in enumerate(stage.blocks):
            start = flow
            flow = _block(block, flow)
            record(f"layers.{i}.blocks.{j}", start, flow)
    start = flow
    flow = flow.then(*_norm(model.norm, flow.radius))
    head: ClassifierHead = model.head
    stride = p * 2 ** (len(model.layers) - 1)
    tokens = (input_size[0] // stride) * (input_size[1] // stride)
    fc = head.fc
    fc_lip = _sigma(fc.weight) if isinstance(fc, nn.Linear) else 1.0
    flow = flow.then(fc_lip / math.sqrt(tokens), 0.0)
    record("norm+pool+head", start, flow)
    return LipschitzBound(flow.log_lip / math.log(10), components)


def empirical_lipschitz(model: nn.Module, inputs: torch.Tensor, iters: int = 20) -> float:
    """max over ``inputs`` of sigma_max(d model / d x), by power iteration on J^T J.

    Attention runs through its explicit (non-fused) path, which supports forward-mode AD.
    """
    was_training = model.training
    model.eval()
    best = 0.0
    with explicit_attention(model):
        gen = torch.Generator().manual_seed(0)
        for x in inputs:
            x = x.unsqueeze(0)
            v = torch.randn(x.shape, generator=gen, dtype=x.dtype)
            v = v / v.norm()
            sigma = 0.0
            _, vjp_fn = torch.func.vjp(model, x)
            for _ in range(iters):
                _, jv = torch.func.jvp(model, (x,), (v,))
                (jtjv,) = vjp_fn(jv)
                sigma = jv.norm().item()
                norm = jtjv.norm()
                if norm == 0:
                    break
                v = jtjv / norm
            best = max(best, sigma)
    model.train(was_training)
    return best


def sample_images(
    n: int,
    size: tuple[int, int],
    mean=IMAGENET_DEFAULT_MEAN,
    std=IMAGENET_DEFAULT_STD,
    seed: int = 0,
) -> torch.Tensor:
    """n random normalised images from the bound's domain (uniform pixels in [0, 1])."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, *size, generator=gen)
    return (x - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)


@torch.no_grad()
def lipschitz_monitors(model: nn.Module) -> dict[str, float]:
    """Cheap per-epoch health numbers: the largest alpha, CenterNorm gain and Linear sigma_max."""
    out: dict[str, float] = {}
    alphas = [m.scale.abs().max().item() for m in model.modules() if isinstance(m, ResidualScale)]
    gains = [m.lipschitz_constant() for m in model.modules() if isinstance(m, CenterNorm)]
    sigmas = [_sigma(m.weight) for m in model.modules() if isinstance(m, nn.Linear)]
    if alphas:
        out["alpha_max"] = max(alphas)
    if gains:
        out["centernorm_gain_max"] = max(gains)
    if sigmas:
        out["linear_sigma_max"] = max(sigmas)
    return out
