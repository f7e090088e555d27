"""LipsFormer-Swin and LipsFormer-CSwin, registered with timm.

A re-implementation of "LipsFormer: Introducing Lipschitz Continuity to Vision Transformers"
(Qi et al., ICLR 2023, arXiv:2304.09856) in timm's idiom, following the official code
(IDEA-Research/LipsFormer: models/lipsformer_swin.py, and models/cswin.py of commit 00acb80, which
was later deleted from the repository).

    timm.create_model("lipsformer_swin_tiny")          # LipsFormer-Swin-T, official-code defaults
    timm.create_model("lipsformer_cswin_tiny")         # LipsFormer-CSwin-T (paper: 24M / 4.7G)
    timm.create_model("lipsformer_swin_tiny", **STANDARD_COUNTERPARTS)   # a plain pre-LN Swin

Every Lipschitz component is a constructor switch (see ``layers.py`` for the formulas):

    norm_layer    'center' | 'layer'        CenterNorm  vs LayerNorm
    weight_init   'spectral' | 'xavier' | 'trunc_normal'
    attn_type     'cosine' | 'dot'          scaled cosine similarity attention vs dot product
    residual      'weighted' | 'plain'      x + alpha * f(x)  vs  x + f(x)
    norm_position 'post' | 'pre'            official LipsFormer is post-norm (norm after each
                                            weighted residual); standard Swin/CSWin are pre-norm

and every place where paper and official code differ is a switch too:

    tau            SCSA temperature; code: 10 (Swin), 12 (CSwin); paper: a fixed constant
    normalize_v/nu paper: nu * v/||v||; code: raw v, no nu (authors: "both versions are ok")
    qk_eps         paper: q/sqrt(||q||^2+eps); code (None): F.normalize, clamp at 1e-12
    alpha_init     code: 1/sum(depths) (Swin), 0.2 (CSwin: the config asks 0.05 but it is ignored)
    dwconv_branches code: 2 extra 7x7 depthwise residual branches per block; paper: not described
    shift          code: False (shifted windows disabled); Swin: True
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import torch
import torch.nn as nn
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from timm.layers import ClassifierHead, DropPath, Mlp, to_2tuple, trunc_normal_
from timm.models import build_model_with_cfg, checkpoint_seq, generate_default_cfgs, register_model

from .layers import (
    AttentionKernel,
    DepthwiseConvBranch,
    init_weights_,
    make_norm,
    make_residual_scale,
)

__all__ = ["LipsFormerSwin", "LipsFormerCSwin", "STANDARD_COUNTERPARTS", "explicit_attention"]

# The standard Transformer each LipsFormer component replaces: with these overrides a
# LipsFormer-Swin is a plain pre-LN Swin (LayerNorm, Xavier, dot-product attention, plain
# residuals, shifted windows, no depthwise branches) and a LipsFormer-CSwin a plain CSWin.
STANDARD_COUNTERPARTS: dict[str, Any] = dict(
    norm_layer="layer",
    weight_init="xavier",
    attn_type="dot",
    residual="plain",
    norm_position="pre",
    dwconv_branches=0,
)

_NORM_POSITIONS = ("post", "pre")


def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")


def window_partition(x: torch.Tensor, win_h: int, win_w: int) -> torch.Tensor:
    """(B, H, W, C) -> (B * num_windows, win_h * win_w, C)."""
    B, H, W, C = x.shape
    x = x.view(B, H // win_h, win_h, W // win_w, win_w, C)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, win_h * win_w, C)


def window_reverse(windows: torch.Tensor, win_h: int, win_w: int, H: int, W: int) -> torch.Tensor:
    """(B * num_windows, win_h * win_w, C) -> (B, H, W, C)."""
    C = windows.shape[-1]
    x = windows.view(-1, H // win_h, W // win_w, win_h, win_w, C)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, H, W, C)


def relative_position_index(window: int) -> torch.Tensor:
    coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij"))
    coords = coords.flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window - 1)
    return rel[..., 0] * (2 * window - 1) + rel[..., 1]


def shifted_window_mask(H: int, W: int, window: int, shift: int, device=None) -> torch.Tensor:
    """Swin's additive mask (num_windows, N, N): -100 between tokens of different image regions."""
    img = torch.zeros(1, H, W, 1, device=device)
    cnt = 0
    for hs in (slice(0, -window), slice(-window, -shift), slice(-shift, None)):
        for ws in (slice(0, -window), slice(-window, -shift), slice(-shift, None)):
            img[:, hs, ws, :] = cnt
            cnt += 1
    win = window_partition(img, window, window).squeeze(-1)
    mask = win.unsqueeze(1) - win.unsqueeze(2)
    return mask.masked_fill(mask != 0, -100.0)


def _attention_kwargs(attn_type, tau, normalize_v, nu, qk_eps, attn_drop) -> dict[str, Any]:
    return dict(
        attn_type=attn_type,
        tau=tau,
        normalize_v=normalize_v,
        nu=nu,
        qk_eps=qk_eps,
        attn_drop=attn_drop,
    )


class PatchEmbed(nn.Module):
    """Non-overlapping p x p patches -> NHWC tokens -> norm (CenterNorm in LipsFormer)."""

    def __init__(self, patch_size: int, in_chans: int, embed_dim: int, norm_layer: str):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_chans, embed_dim, patch_size, stride=patch_size)
        self.norm = make_norm(norm_layer, embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        H, W = x.shape[-2:]
        if H % self.patch_size or W % self.patch_size:
            raise ValueError(f"input size {H}x{W} is not divisible by patch size {self.patch_size}")
        return self.norm(self.proj(x).permute(0, 2, 3, 1))


# --------------------------------------------------------------------------------------------
# LipsFormer-Swin
# --------------------------------------------------------------------------------------------
class WindowAttention(nn.Module):
    """Window attention with Swin's relative position bias; cosine (SCSA) or dot-product scores."""

    def __init__(
        self, dim: int, num_heads: int, window: int, qkv_bias: bool, proj_drop: float, **attn_kwargs
    ):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.window = window
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * window - 1) ** 2, num_heads)
        )
        self.register_buffer(
            "relative_position_index", relative_position_index(window), persistent=False
        )
        self.kernel = AttentionKernel(dim // num_heads, **attn_kwargs)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        trunc_normal_(self.relative_position_bias_table, std=0.02)

    def relative_position_bias(self) -> torch.Tensor:
        n = self.window * self.window
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        return bias.view(n, n, -1).permute(2, 0, 1).unsqueeze(0)  # 1, heads, N, N

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        B_, N, C = x.shape
        q, k, v = self.qkv(x).view(B_, N, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
        bias = self.relative_position_bias()
        if mask is not None:
            num_win = mask.shape[0]
            bias = (
                (bias.unsqueeze(1) + mask.view(1, num_win, 1, N, N))
                .expand(B_ // num_win, -1, -1, -1, -1)
                .reshape(B_, self.num_heads, N, N)
            )
        x = self.kernel(q, k, v, bias).transpose(1, 2).reshape(B_, N, C)
        return self.proj_drop(self.proj(x))


class LipsFormerSwinBlock(nn.Module):
    """One LipsFormer-Swin block (official code, ``norm_position='post'``):

        x <- x + DropPath(alpha_c1 * GELU(Conv1x1(GELU(DWConv7x7(x)))))    depthwise branch 1
        x <- x + DropPath(alpha_c2 * GELU(DWConv7x7(x)))                    depthwise branch 2
        x <- CN_1(x + DropPath(alpha_1 * SCSA(x)))                          weighted residual + CN
        x <- CN_2(x + DropPath(alpha_2 * MLP(x)))

    With ``norm_position='pre'`` the attention/MLP residuals are Swin's x + f(N(x)).
    """

    def __init__(
        self,
        dim: int,
        resolution: tuple[int, int],
        num_heads: int,
        window: int,
        shift: int,
        mlp_ratio: float,
        qkv_bias: bool,
        proj_drop: float,
        drop_path: float,
        norm_layer: str,
        norm_position: str,
        residual: str,
        alpha_init: float,
        dwconv_branches: int,
        dwconv_kernel: int,
        attn_kwargs: dict[str, Any],
    ):
        super().__init__()
        self.resolution = resolution
        self.window = window
        self.shift = shift
        self.post_norm = norm_position == "post"
        self.dw_branches = nn.ModuleList(
            [
                DepthwiseConvBranch(
                    dim, dwconv_kernel, pointwise=i == 0, residual=residual, alpha_init=alpha_init
                )
                for i in range(dwconv_branches)
            ]
        )
        self.norm1 = make_norm(norm_layer, dim)
        self.attn = WindowAttention(dim, num_heads, window, qkv_bias, proj_drop, **attn_kwargs)
        self.alpha1 = make_residual_scale(residual, dim, alpha_init)
        self.norm2 = make_norm(norm_layer, dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=nn.GELU, drop=proj_drop)
        self.alpha2 = make_residual_scale(residual, dim, alpha_init)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        mask = shifted_window_mask(*resolution, window, shift) if shift else None
        self.register_buffer("attn_mask", mask, persistent=False)

    def _attn(self, x: torch.Tensor) -> torch.Tensor:
        B, H, W, C = x.shape
        if H % self.window or W % self.window:
            raise ValueError(f"feature map {H}x{W} is not divisible by window size {self.window}")
        mask = None
        if self.shift:
            x = torch.roll(x, shifts=(-self.shift, -self.shift), dims=(1, 2))
            mask = self.attn_mask
            if (H, W) != self.resolution:
                mask = shifted_window_mask(H, W, self.window, self.shift, device=x.device)
        windows = self.attn(window_partition(x, self.window, self.window), mask)
        x = window_reverse(windows, self.window, self.window, H, W)
        if self.shift:
            x = torch.roll(x, shifts=(self.shift, self.shift), dims=(1, 2))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for branch in self.dw_branches:
            x = x + self.drop_path(branch(x))
        if self.post_norm:
            x = self.norm1(x + self.drop_path(self.alpha1(self._attn(x))))
            x = self.norm2(x + self.drop_path(self.alpha2(self.mlp(x))))
        else:
            x = x + self.drop_path(self.alpha1(self._attn(self.norm1(x))))
            x = x + self.drop_path(self.alpha2(self.mlp(self.norm2(x))))
        return x


class PatchMerging(nn.Module):
    """2x2 neighbourhood -> 4C channels -> norm -> Linear(4C, 2C), as in Swin."""

    def __init__(self, dim: int, norm_layer: str):
        super().__init__()
        self.norm = make_norm(norm_layer, 4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, H, W, C = x.shape
        if H % 2 or W % 2:
            raise ValueError(f"patch merging needs an even feature map, got {H}x{W}")
        # channel order x[0::2,0::2], x[1::2,0::2], x[0::2,1::2], x[1::2,1::2], as in Swin
        x = x.reshape(B, H // 2, 2, W // 2, 2, C).permute(0, 1, 3, 4, 2, 5).flatten(3)
        return self.reduction(self.norm(x))


class Stage(nn.Module):
    """Optional downsampling followed by a sequence of blocks (timm's stage layout)."""

    def __init__(self, downsample: nn.Module, blocks: list[nn.Module]):
        super().__init__()
        self.downsample = downsample
        self.blocks = nn.Sequential(*blocks)
        self.grad_checkpointing = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsample(x)
        if self.grad_checkpointing and not torch.jit.is_scripting():
            return checkpoint_seq(self.blocks, x)
        return self.blocks(x)


class _LipsFormerBase(nn.Module):
    """timm model interface shared by both LipsFormer families (head, init, grad ckpt, no-WD)."""

    def _finish(
        self, num_classes: int, global_pool: str, drop_rate: float, weight_init: str
    ) -> None:
        self.head = ClassifierHead(
            self.num_features,
            num_classes,
            pool_type=global_pool,
            drop_rate=drop_rate,
            input_fmt="NHWC",
        )
        self.head_hidden_size = self.num_features
        self.apply(partial(init_weights_, mode=weight_init))

    @torch.jit.ignore
    def no_weight_decay(self) -> set[str]:
        # 1-D parameters (norms, alphas, biases) are excluded by the optimizer factory as well.
        return {n for n, _ in self.named_parameters() if "relative_position_bias_table" in n}

    @torch.jit.ignore
    def group_matcher(self, coarse: bool = False) -> dict[str, Any]:
        return dict(
            stem=r"^patch_embed",
            blocks=r"^layers\.(\d+)"
            if coarse
            else [
                (r"^layers\.(\d+).downsample", (0,)),
                (r"^layers\.(\d+)\.\w+\.(\d+)", None),
                (r"^norm", (99999,)),
            ],
        )

    @torch.jit.ignore
    def set_grad_checkpointing(self, enable: bool = True) -> None:
        for stage in self.layers:
            stage.grad_checkpointing = enable

    @torch.jit.ignore
    def get_classifier(self) -> nn.Module:
        return self.head.fc

    def reset_classifier(self, num_classes: int, global_pool: str | None = None) -> None:
        self.num_classes = num_classes
        self.head.reset(num_classes, pool_type=global_pool)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        x = self.layers(x)
        return self.norm(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        return self.head(x, pre_logits=True) if pre_logits else self.head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


class LipsFormerSwin(_LipsFormerBase):
    """LipsFormer built on Swin Transformer (the released official variant)."""

    def __init__(
        self,
        img_size: int | tuple[int, int] = 224,
        patch_size: int = 4,
        in_chans: int = 3,
        num_classes: int = 1000,
        global_pool: str = "avg",
        embed_dim: int = 96,
        depths: Sequence[int] = (2, 2, 6, 2),
        num_heads: Sequence[int] = (3, 6, 12, 24),
        window_size: int = 7,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_rate: float = 0.0,
        proj_drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.1,
        norm_layer: str = "center",
        weight_init: str = "spectral",
        attn_type: str = "cosine",
        residual: str = "weighted",
        norm_position: str = "post",
        tau: float = 10.0,
        normalize_v: bool = False,
        nu: float = 1.0,
        qk_eps: float | None = None,
        alpha_init: float | None = None,
        dwconv_branches: int = 2,
        dwconv_kernel: int = 7,
        shift: bool = False,
    ):
        super().__init__()
        _check_choice("norm_position", norm_position, _NORM_POSITIONS)
        if len(depths) != len(num_heads):
            raise ValueError(
                f"depths {tuple(depths)} and num_heads {tuple(num_heads)} differ in length"
            )
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.output_fmt = "NHWC"
        num_stages = len(depths)
        self.num_features = int(embed_dim * 2 ** (num_stages - 1))
        # alpha_0 = 1/L, L the total number of blocks (official: ScaleLayer(alpha=1./num_layers))
        alpha_init = 1.0 / max(sum(depths), 1) if alpha_init is None else alpha_init
        attn_kwargs = _attention_kwargs(attn_type, tau, normalize_v, nu, qk_eps, attn_drop_rate)
        dpr = torch.linspace(0, drop_path_rate, sum(depths)).tolist()  # stochastic depth decay rule

        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim, norm_layer)
        grid = tuple(s // patch_size for s in to_2tuple(img_size))
        self.feature_info = []
        stages, dim, block_idx = [], embed_dim, 0
        for i, (depth, heads) in enumerate(zip(depths, num_heads, strict=True)):
            if i > 0:
                downsample, dim = PatchMerging(dim, norm_layer), dim * 2
                grid = (grid[0] // 2, grid[1] // 2)
            else:
                downsample = nn.Identity()
            # official rule: a window no smaller than the map becomes the whole map, without shift
            window = min(window_size, *grid)
            if grid[0] % window or grid[1] % window:
                raise ValueError(
                    f"stage {i}: feature map {grid} is not divisible by window {window}; "
                    f"choose img_size/patch_size/window_size so that it is"
                )
            blocks = [
                LipsFormerSwinBlock(
                    dim,
                    grid,
                    heads,
                    window,
                    shift=window // 2 if shift and j % 2 == 1 and window < min(grid) else 0,
                    mlp_ratio=mlp_ratio,
                    qkv_bias=qkv_bias,
                    proj_drop=proj_drop_rate,
                    drop_path=dpr[block_idx + j],
                    norm_layer=norm_layer,
                    norm_position=norm_position,
                    residual=residual,
                    alpha_init=alpha_init,
                    dwconv_branches=dwconv_branches,
                    dwconv_kernel=dwconv_kernel,
                    attn_kwargs=attn_kwargs,
                )
                for j in range(depth)
            ]
            block_idx += depth
            stages.append(Stage(downsample, blocks))
            self.feature_info.append(
                dict(num_chs=dim, reduction=patch_size * 2**i, module=f"layers.{i}")
            )
        self.layers = nn.Sequential(*stages)
        self.norm = make_norm(norm_layer, self.num_features)
        self._finish(num_classes, global_pool, drop_rate, weight_init)


# --------------------------------------------------------------------------------------------
# LipsFormer-CSwin
# --------------------------------------------------------------------------------------------
class LePEAttention(nn.Module):
    """CSWin cross-shaped-window attention branch (stripes of h_sp x w_sp) with LePE.

    LipsFormer-CSwin (official cswin.py): out = (softmax(tau q_hat k_hat^T) v + LePE(v)) / sqrt(h),
    with tau = 12 fixed and h the branch's number of heads. The dot-product counterpart is the
    original CSWin: softmax(q k^T / sqrt(d)) v + LePE(v). LePE is a 3x3 depthwise conv on v inside
    each stripe.
    """

    def __init__(self, dim: int, num_heads: int, h_sp: int, w_sp: int, **attn_kwargs):
        super().__init__()
        self.num_heads = num_heads
        self.h_sp, self.w_sp = h_sp, w_sp
        self.get_v = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.kernel = AttentionKernel(dim // num_heads, **attn_kwargs)
        self.out_scale = num_heads**-0.5 if self.kernel.attn_type == "cosine" else 1.0

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        B_, N, C = x.shape
        return x.view(B_, N, self.num_heads, C // self.num_heads).transpose(1, 2)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        B, H, W, C = q.shape
        q, k, v = (window_partition(t, self.h_sp, self.w_sp) for t in (q, k, v))
        v_img = v.transpose(1, 2).reshape(-1, C, self.h_sp, self.w_sp)
        lepe = self._heads(self.get_v(v_img).flatten(2).transpose(1, 2))
        x = self.kernel(self._heads(q), self._heads(k), self._heads(v), None) + lepe
        x = (x * self.out_scale).transpose(1, 2).reshape(-1, self.h_sp * self.w_sp, C)
        return window_reverse(x, self.h_sp, self.w_sp, H, W)


class LipsFormerCSwinBlock(nn.Module):
    """One LipsFormer-CSwin block (official code, ``norm_position='post'``):

        x <- two depthwise residual branches, as in the Swin block
        x <- x + DropPath(alpha_1 * Proj(CSWinAttn(x)))       no pre-norm
        x <- CN(x + DropPath(alpha_2 * MLP(x)))               one closing CenterNorm

    ``norm_position='pre'`` is the original CSWin block x + f(N1(x)), x + MLP(N2(x)).
    """

    def __init__(
        self,
        dim: int,
        resolution: tuple[int, int],
        num_heads: int,
        split_size: int,
        mlp_ratio: float,
        qkv_bias: bool,
        proj_drop: float,
        drop_path: float,
        norm_layer: str,
        norm_position: str,
        residual: str,
        alpha_init: float,
        dwconv_branches: int,
        dwconv_kernel: int,
        attn_kwargs: dict[str, Any],
    ):
        super().__init__()
        H, W = resolution
        self.post_norm = norm_position == "post"
        self.dw_branches = nn.ModuleList(
            [
                DepthwiseConvBranch(
                    dim, dwconv_kernel, pointwise=i == 0, residual=residual, alpha_init=alpha_init
                )
                for i in range(dwconv_branches)
            ]
        )
        self.norm1 = nn.Identity() if self.post_norm else make_norm(norm_layer, dim)
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        if split_size >= max(H, W):  # CSWin's last stage: one branch of full attention
            self.attns = nn.ModuleList([LePEAttention(dim, num_heads, H, W, **attn_kwargs)])
        else:
            if H % split_size or W % split_size or num_heads % 2:
                raise ValueError(
                    f"stripe width {split_size} must divide the {H}x{W} map and "
                    f"num_heads ({num_heads}) must be even"
                )
            self.attns = nn.ModuleList(
                [
                    LePEAttention(dim // 2, num_heads // 2, H, split_size, **attn_kwargs),
                    LePEAttention(dim // 2, num_heads // 2, split_size, W, **attn_kwargs),
                ]
            )
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.alpha1 = make_residual_scale(residual, dim, alpha_init)
        self.norm2 = make_norm(norm_layer, dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=nn.GELU, drop=proj_drop)
        self.alpha2 = make_residual_scale(residual, dim, alpha_init)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def _attn(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(x).unflatten(-1, (3, -1)).unbind(-2)
        if len(self.attns) == 1:
            out = self.attns[0](q, k, v)
        else:
            halves = [t.chunk(2, dim=-1) for t in (q, k, v)]
            out = torch.cat(
                [attn(*(h[i] for h in halves)) for i, attn in enumerate(self.attns)], -1
            )
        return self.proj_drop(self.proj(out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for branch in self.dw_branches:
            x = x + self.drop_path(branch(x))
        x = x + self.drop_path(self.alpha1(self._attn(self.norm1(x))))
        if self.post_norm:
            return self.norm2(x + self.drop_path(self.alpha2(self.mlp(x))))
        return x + self.drop_path(self.alpha2(self.mlp(self.norm2(x))))


class MergeBlock(nn.Module):
    """Downsampling between CSwin stages: 2x2 stride-2 conv then norm (official LipsFormer-CSwin;
    the original CSWin uses a 3x3 conv)."""

    def __init__(self, dim: int, dim_out: int, norm_layer: str):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim_out, 2, stride=2)
        self.norm = make_norm(norm_layer, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))


class LipsFormerCSwin(_LipsFormerBase):
    """LipsFormer built on CSWin Transformer (``CSWin_64_12211_tiny_224`` of the official code)."""

    def __init__(
        self,
        img_size: int | tuple[int, int] = 224,
        patch_size: int = 4,
        in_chans: int = 3,
        num_classes: int = 1000,
        global_pool: str = "avg",
        embed_dim: int = 64,
        depths: Sequence[int] = (1, 2, 21, 1),
        split_size: Sequence[int] = (1, 2, 7, 7),
        num_heads: Sequence[int] = (2, 4, 8, 16),
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_rate: float = 0.0,
        proj_drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.1,
        norm_layer: str = "center",
        weight_init: str = "spectral",
        attn_type: str = "cosine",
        residual: str = "weighted",
        norm_position: str = "post",
        tau: float = 12.0,
        normalize_v: bool = False,
        nu: float = 1.0,
        qk_eps: float | None = None,
        alpha_init: float | None = 0.2,
        dwconv_branches: int = 2,
        dwconv_kernel: int = 7,
    ):
        super().__init__()
        _check_choice("norm_position", norm_position, _NORM_POSITIONS)
        if not len(depths) == len(split_size) == len(num_heads):
            raise ValueError("depths, split_size and num_heads must have one entry per stage")
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.output_fmt = "NHWC"
        self.num_features = int(embed_dim * 2 ** (len(depths) - 1))
        alpha_init = 1.0 / max(sum(depths), 1) if alpha_init is None else alpha_init
        attn_kwargs = _attention_kwargs(attn_type, tau, normalize_v, nu, qk_eps, attn_drop_rate)
        dpr = torch.linspace(0, drop_path_rate, sum(depths)).tolist()

        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim, norm_layer)
        grid = tuple(s // patch_size for s in to_2tuple(img_size))
        self.feature_info = []
        stages, dim, block_idx = [], embed_dim, 0
        for i, (depth, split, heads) in enumerate(zip(depths, split_size, num_heads, strict=True)):
            if i > 0:
                downsample, dim = MergeBlock(dim, dim * 2, norm_layer), dim * 2
                grid = (grid[0] // 2, grid[1] // 2)
            else:
                downsample = nn.Identity()
            blocks = [
                LipsFormerCSwinBlock(
                    dim,
                    grid,
                    heads,
                    split,
                    mlp_ratio=mlp_ratio,
                    qkv_bias=qkv_bias,
                    proj_drop=proj_drop_rate,
                    drop_path=dpr[block_idx + j],
                    norm_layer=norm_layer,
                    norm_position=norm_position,
                    residual=residual,
                    alpha_init=alpha_init,
                    dwconv_branches=dwconv_branches,
                    dwconv_kernel=dwconv_kernel,
                    attn_kwargs=attn_kwargs,
                )
                for j in range(depth)
            ]
            block_idx += depth
            stages.append(Stage(downsample, blocks))
            self.feature_info.append(
                dict(num_chs=dim, reduction=patch_size * 2**i, module=f"layers.{i}")
            )
        self.layers = nn.Sequential(*stages)
        # official LipsFormer-CSwin has no final norm (every block already ends in CenterNorm);
        # the pre-norm CSWin counterpart has one
        self.norm = (
            nn.Identity() if norm_position == "post" else make_norm(norm_layer, self.num_features)
        )
        self._finish(num_classes, global_pool, drop_rate, weight_init)


# --------------------------------------------------------------------------------------------
# helpers, registry
# --------------------------------------------------------------------------------------------
@contextmanager
def explicit_attention(model: nn.Module) -> Iterator[nn.Module]:
    """Run attention through the explicit softmax path instead of fused SDPA (for forward-mode AD
    and FLOP counting), in our kernels and in any timm module with a ``fused_attn`` flag."""
    modules = [m for m in model.modules() if hasattr(m, "fused_attn")]
    saved = [m.fused_attn for m in modules]
    for m in modules:
        m.fused_attn = False
    try:
        yield model
    finally:
        for m, flag in zip(modules, saved, strict=True):
            m.fused_attn = flag


def checkpoint_filter_fn(
    state_dict: dict[str, torch.Tensor], model: nn.Module
) -> dict[str, torch.Tensor]:
    """timm ``pretrained_filter_fn``: accepts official LipsFormer-Swin checkpoints and ours."""
    from ..convert import is_official_swin_state_dict, official_swin_to_timm

    state_dict = state_dict.get("model", state_dict)
    if is_official_swin_state_dict(state_dict):
        return official_swin_to_timm(state_dict)
    return state_dict


def _create(cls: type[nn.Module], variant: str, pretrained: bool, **kwargs) -> nn.Module:
    return build_model_with_cfg(
        cls, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn, **kwargs
    )


def _cfg(url: str = "", **kwargs) -> dict[str, Any]:
    return {
        "url": url,
        "num_classes": 1000,
        "input_size": (3, 224, 224),
        "pool_size": (7, 7),
        "crop_pct": 0.9,
        "interpolation": "bicubic",
        "fixed_input_size": True,
        "mean": IMAGENET_DEFAULT_MEAN,
        "std": IMAGENET_DEFAULT_STD,
        "first_conv": "patch_embed.proj",
        "classifier": "head.fc",
        "license": "apache-2.0",
        "paper_ids": "arXiv:2304.09856",
        **kwargs,
    }


default_cfgs = generate_default_cfgs(
    {
        # the official release (README of IDEA-Research/LipsFormer); 82.70 top-1 per the authors
        "lipsformer_swin_tiny.in1k": _cfg(
            url="https://github.com/cyh1112/LipsFormer/releases/download/checkpoint/lipsformer-swin-tiny.pth"
        ),
        "lipsformer_swin_small": _cfg(),
        "lipsformer_swin_base": _cfg(),
        "lipsformer_cswin_tiny": _cfg(),
    }
)


@register_model
def lipsformer_swin_tiny(pretrained: bool = False, **kwargs) -> LipsFormerSwin:
    """LipsFormer-Swin-T: 82.7% IN-1k top-1, 300 epochs, no warmup (paper / official README)."""
    args = dict(embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), window_size=7)
    return _create(LipsFormerSwin, "lipsformer_swin_tiny", pretrained, **dict(args, **kwargs))


@register_model
def lipsformer_swin_small(pretrained: bool = False, **kwargs) -> LipsFormerSwin:
    """LipsFormer-Swin-S (official config; no paper number is available to us)."""
    args = dict(embed_dim=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24), window_size=7)
    return _create(LipsFormerSwin, "lipsformer_swin_small", pretrained, **dict(args, **kwargs))


@register_model
def lipsformer_swin_base(pretrained: bool = False, **kwargs) -> LipsFormerSwin:
    """LipsFormer-Swin-B (official config; no paper number is available to us)."""
    args = dict(embed_dim=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32), window_size=7)
    return _create(LipsFormerSwin, "lipsformer_swin_base", pretrained, **dict(args, **kwargs))


@register_model
def lipsformer_cswin_tiny(pretrained: bool = False, **kwargs) -> LipsFormerCSwin:
    """LipsFormer-CSwin-T: 83.5% IN-1k top-1 at 4.7 GFLOPs / 24M params (paper)."""
    args = dict(
        embed_dim=64, depths=(1, 2, 21, 1), split_size=(1, 2, 7, 7), num_heads=(2, 4, 8, 16)
    )
    return _create(LipsFormerCSwin, "lipsformer_cswin_tiny", pretrained, **dict(args, **kwargs))
