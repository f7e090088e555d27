"""LipsFormer's Lipschitz building blocks and their standard counterparts.

Each LipsFormer module sits next to the module it replaces, selected by a string in the model
config, so that every component can be ablated on its own:

    CenterNorm                <->  LayerNorm                ``norm_layer='center' | 'layer'``
    spectral init             <->  Xavier init              ``weight_init='spectral' | 'xavier'``
    scaled cosine attention   <->  dot-product attention    ``attn_type='cosine' | 'dot'``
    weighted residual (alpha) <->  plain residual           ``residual='weighted' | 'plain'``

Equation references: the paper's method text was not available to us (see README, "Sources"),
so formulas are written out in full next to the code instead of being cited by number. They are
the paper's formulas as quoted by secondary sources and as implemented in the official code
(IDEA-Research/LipsFormer, models/lipsformer_swin.py and models/cswin.py at 00acb80).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

NORM_LAYERS = ("center", "layer")
WEIGHT_INITS = ("spectral", "xavier", "trunc_normal")
ATTN_TYPES = ("cosine", "dot")
RESIDUALS = ("weighted", "plain")


class CenterNorm(nn.Module):
    """CenterNorm: CN(x) = gamma * D/(D-1) * (x - mean(x)) + beta, over the last axis.

    Unlike LayerNorm there is no division by the standard deviation, so CenterNorm is a linear
    map plus a bias: its Lipschitz constant is D/(D-1) * max|gamma| (the centring matrix
    I - 11^T/D has spectral norm 1). The official class takes an ``eps`` it never uses; it is
    accepted here for drop-in compatibility with LayerNorm constructors and ignored likewise.
    The official forward only accepts (B, L, C) inputs; this one accepts any (..., C).
    """

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        if dim < 2:
            raise ValueError(f"CenterNorm needs at least 2 channels, got {dim}")
        self.dim = dim
        self.scale = dim / (
            dim - 1.0
        )  # D/(D-1): keeps E||CN(x)||^2 equal to ||x - mean||^2 * D/(D-1)
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x - x.mean(dim=-1, keepdim=True)
        return x * (self.weight * self.scale) + self.bias

    def lipschitz_constant(self) -> float:
        """Exact Lipschitz constant (l2 -> l2) of the map x -> CN(x)."""
        return self.scale * self.weight.detach().abs().max().item()

    def extra_repr(self) -> str:
        return f"{self.dim}"


def make_norm(kind: str, dim: int) -> nn.Module:
    """CenterNorm (LipsFormer) or LayerNorm (standard counterpart), both over the last axis."""
    if kind == "center":
        return CenterNorm(dim)
    if kind == "layer":
        return nn.LayerNorm(dim, eps=1e-5)
    raise ValueError(f"norm_layer must be one of {NORM_LAYERS}, got {kind!r}")


class ResidualScale(nn.Module):
    """Per-channel learnable alpha of the weighted residual shortcut x + DropPath(alpha * f(x)).

    The official code calls this ``ScaleLayer`` and stores the vector as ``scale``; the name is kept
    so official checkpoints map one to one. ``alpha_init`` is 1/sum(depths) in LipsFormer-Swin and
    (effectively) 0.2 in LipsFormer-CSwin.
    """

    def __init__(self, dim: int, alpha_init: float):
        super().__init__()
        self.alpha_init = alpha_init
        self.scale = nn.Parameter(torch.full((dim,), float(alpha_init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale

    def extra_repr(self) -> str:
        return f"{self.scale.numel()}, alpha_init={self.alpha_init:.4g}"


def make_residual_scale(kind: str, dim: int, alpha_init: float) -> nn.Module:
    if kind == "weighted":
        return ResidualScale(dim, alpha_init)
    if kind == "plain":
        return nn.Identity()
    raise ValueError(f"residual must be one of {RESIDUALS}, got {kind!r}")


def l2_normalize(x: torch.Tensor, eps: float | None) -> torch.Tensor:
    """Unit-normalise the last axis.

    ``eps=None`` is the official code: F.normalize, i.e. x / max(||x||, 1e-12), whose Lipschitz
    constant is 1e12 near the origin. A float ``eps`` is the paper's form x / sqrt(||x||^2 + eps),
    whose Jacobian norm is at most eps^-1/2 everywhere (this is where the eps^-1/2 factors of the
    paper's attention bound come from).
    """
    if eps is None:
        return F.normalize(x, p=2.0, dim=-1)
    return x * torch.rsqrt(x.pow(2).sum(dim=-1, keepdim=True) + eps)


def normalization_lipschitz(eps: float | None) -> float:
    """Global Lipschitz constant of :func:`l2_normalize` (1/1e-12 for the clamped form)."""
    return 1e12 if eps is None else eps**-0.5


class AttentionKernel(nn.Module):
    """softmax(scores) @ v for a set of (windowed) heads: scaled cosine or dot-product attention.

    Scaled cosine similarity attention (SCSA), LipsFormer:
        SCSA(X) = nu * softmax(tau * Q_hat K_hat^T + B) V_hat,
        Q_hat = Q / ||Q||, K_hat = K / ||K|| row-wise, V_hat = V / ||V|| (paper only)
    with a fixed temperature tau (10 in LipsFormer-Swin, 12 in LipsFormer-CSwin). The official code
    keeps v raw (``normalize_v=False``, no nu); the paper normalises v and rescales it by nu
    (``normalize_v=True, nu=...``). Dot-product attention (standard counterpart) is
    softmax(Q K^T / sqrt(d) + B) V. ``B`` is an additive bias/mask (relative position bias,
    shifted-window mask).

    The fused path calls ``scaled_dot_product_attention`` (q, k already normalised, scale=tau); the
    explicit path is numerically the same and supports forward-mode AD (used by the empirical
    Lipschitz estimate) and FLOP counting.
    """

    def __init__(
        self,
        head_dim: int,
        attn_type: str = "cosine",
        tau: float = 10.0,
        normalize_v: bool = False,
        nu: float = 1.0,
        qk_eps: float | None = None,
        attn_drop: float = 0.0,
    ):
        super().__init__()
        if attn_type not in ATTN_TYPES:
            raise ValueError(f"attn_type must be one of {ATTN_TYPES}, got {attn_type!r}")
        self.attn_type = attn_type
        self.tau = float(tau)  # tau, the fixed SCSA temperature
        self.normalize_v = bool(normalize_v)
        self.nu = float(nu)  # nu, the scale of the normalised values (paper form only)
        self.qk_eps = qk_eps
        self.scale = self.tau if attn_type == "cosine" else head_dim**-0.5
        self.attn_drop = nn.Dropout(attn_drop)
        self.fused_attn = True

    def forward(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor | None
    ) -> torch.Tensor:
        if self.attn_type == "cosine":
            q = l2_normalize(q, self.qk_eps)
            k = l2_normalize(k, self.qk_eps)
        if self.normalize_v:
            v = self.nu * l2_normalize(v, self.qk_eps)
        if self.fused_attn:
            if bias is not None:
                bias = bias.to(q.dtype)
            return F.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=bias,
                dropout_p=self.attn_drop.p if self.training else 0.0,
                scale=self.scale,
            )
        attn = (q * self.scale) @ k.transpose(-2, -1)
        if bias is not None:
            attn = attn + bias
        attn = self.attn_drop(attn.softmax(dim=-1))
        return attn @ v

    def extra_repr(self) -> str:
        s = f"attn_type={self.attn_type}, scale={self.scale:.4g}"
        if self.normalize_v:
            s += f", normalize_v=True, nu={self.nu}"
        return s


class DepthwiseConvBranch(nn.Module):
    """One of the extra 7x7 depthwise-convolution residual branches of a LipsFormer block.

    Not in the paper's abstract but in both official models: the first branch is
    GELU(Conv1x1(GELU(DWConv7x7(x)))), the second GELU(DWConv7x7(x)); each is added back as
    x + DropPath(alpha * branch(x)). Inputs are NHWC; the convs run on a channels-last view.
    """

    def __init__(
        self, dim: int, kernel_size: int, pointwise: bool, residual: str, alpha_init: float
    ):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.pwconv = nn.Conv2d(dim, dim, 1) if pointwise else None
        self.alpha = make_residual_scale(residual, dim, alpha_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # the NCHW view of an NHWC tensor is channels-last: oneDNN convolves it without a copy
        y = self.dwconv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        if self.pwconv is not None:  # a 1x1 conv is a Linear over channels (weight kept as conv)
            w = self.pwconv.weight
            y = F.linear(F.gelu(y), w.view(w.shape[0], -1), self.pwconv.bias)
        return self.alpha(F.gelu(y))


def spectral_norm_of(weight: torch.Tensor) -> torch.Tensor:
    """Largest singular value of a Linear weight, or of a conv kernel reshaped to out x (in*k*k)."""
    return torch.linalg.matrix_norm(weight.detach().reshape(weight.shape[0], -1).float(), ord=2)


@torch.no_grad()
def init_weights_(module: nn.Module, mode: str) -> None:
    """Initialise one module (use with ``model.apply``).

    ``spectral`` (LipsFormer): W0 ~ Xavier-normal, then W = W0 / sigma_max(W0) for every Linear
    and Conv2d (conv kernels reshaped to out x in*k*k, which for a depthwise conv is a heuristic,
    not the operator norm). Linear biases are zeroed; conv biases keep PyTorch's default, as in
    the official code. ``xavier`` is the same without the rescaling (the paper's counterpart);
    ``trunc_normal`` is timm's Swin default (std 0.02). Norm layers get weight 1, bias 0.
    """
    if mode not in WEIGHT_INITS:
        raise ValueError(f"weight_init must be one of {WEIGHT_INITS}, got {mode!r}")
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        if mode == "trunc_normal":
            nn.init.trunc_normal_(module.weight, std=0.02)
        else:
            nn.init.xavier_normal_(module.weight)
            if mode == "spectral":
                module.weight.div_(spectral_norm_of(module.weight).to(module.weight.dtype))
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.LayerNorm, CenterNorm)):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
