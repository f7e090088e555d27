"""The paper's equivalence claim as a computation: DisCo on N ranks vs the full-batch loss.

Every rank takes its slice of one global float64 batch, runs each loss variant and returns the
loss and the gradients w.r.t. its image features, text features and ``logit_scale``. The
single-process reference is open_clip's ``ClipLoss`` on the whole batch. The expected relations
(see :mod:`disco_clip.loss`), with L the full-batch loss and N the number of ranks:

- ``paper*`` variants: mean loss 2 L, feature gradients 2 dL/dF, logit_scale gradient 2 dL/ds;
- ``open_clip*`` variants and open_clip's local loss: L, N dL/dF, dL/ds;
- open_clip's naive ``ClipLoss()``: L, dL/dF, dL/ds.

Feature gradients are concatenated over ranks, losses and logit_scale gradients averaged over
ranks (what DDP does).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from open_clip import ClipLoss

from .loss import DisCoClipLoss

VARIANTS = {  # name -> DisCoClipLoss kwargs (tile_size filled in by the caller)
    "paper": {"gradient_scale": "paper"},
    "paper_all_reduce": {"gradient_scale": "paper", "backward_collective": "all_reduce"},
    "open_clip": {"gradient_scale": "open_clip"},
    "open_clip_all_reduce": {"gradient_scale": "open_clip", "backward_collective": "all_reduce"},
    "paper_tiled": {"gradient_scale": "paper", "tile_size": True},
    "open_clip_tiled": {"gradient_scale": "open_clip", "tile_size": True},
}


def global_inputs(world_size: int, local_batch: int, dim: int = 8, seed: int = 0):
    """Unit-norm float64 features for the whole batch and a logit scale."""
    g = torch.Generator().manual_seed(seed)
    batch = world_size * local_batch
    image = F.normalize(torch.randn(batch, dim, generator=g, dtype=torch.float64), dim=-1)
    text = F.normalize(torch.randn(batch, dim, generator=g, dtype=torch.float64), dim=-1)
    return image, text, torch.tensor(7.5, dtype=torch.float64)


def loss_and_grads(loss_fn, image, text, scale):
    image = image.clone().requires_grad_()
    text = text.clone().requires_grad_()
    scale = scale.clone().requires_grad_()
    loss = loss_fn(image, text, scale)
    loss.backward()
    return loss.detach(), image.grad, text.grad, scale.grad


def rank_losses_and_grads(rank: int, world_size: int, local_batch: int, dim: int = 8,
                          tile_size: int = 4) -> dict:
    """Per-rank results of every DisCo variant, open_clip's local loss and its naive loss."""
    image, text, scale = global_inputs(world_size, local_batch, dim)
    rows = slice(rank * local_batch, (rank + 1) * local_batch)
    out = {}
    for name, kwargs in VARIANTS.items():
        kwargs = {**kwargs, "tile_size": tile_size if kwargs.get("tile_size") else None}
        out[name] = loss_and_grads(DisCoClipLoss(**kwargs), image[rows], text[rows], scale)
    local = ClipLoss(local_loss=True, gather_with_grad=True, rank=rank, world_size=world_size)
    out["open_clip_local"] = loss_and_grads(local, image[rows], text[rows], scale)
    naive = ClipLoss(rank=rank, world_size=world_size)
    out["naive"] = loss_and_grads(naive, image[rows], text[rows], scale)
    return out


def full_batch_reference(world_size: int, local_batch: int, dim: int = 8):
    """open_clip's single-process ClipLoss on the whole batch: value and gradients."""
    image, text, scale = global_inputs(world_size, local_batch, dim)
    return loss_and_grads(ClipLoss(), image, text, scale)


def combine(per_rank: list[dict], name: str):
    """Rank-mean loss and logit_scale grad (what DDP averages); features concatenated."""
    losses, images, texts, scales = zip(*(r[name] for r in per_rank), strict=True)
    return (torch.stack(losses).mean(), torch.cat(images), torch.cat(texts),
            torch.stack(scales).mean())


def expected_factors(name: str, world_size: int) -> tuple[float, float, float]:
    """(loss, feature grad, logit_scale grad) factors relative to the full-batch ClipLoss."""
    if name.startswith("paper"):
        return 2.0, 2.0, 2.0
    if name.startswith("open_clip"):
        return 1.0, float(world_size), 1.0
    if name == "naive":  # ClipLoss() per rank: full loss, only the local slot gets a gradient
        return 1.0, 1.0, 1.0
    raise ValueError(name)


def max_abs_differences(per_rank: list[dict], name: str, world_size: int, local_batch: int,
                        dim: int = 8) -> dict[str, float]:
    """Max |ours - factor * reference| for the loss and each gradient."""
    ref = full_batch_reference(world_size, local_batch, dim)
    ours = combine(per_rank, name)
    factors = expected_factors(name, world_size)
    keys = ("loss", "grad_image", "grad_text", "grad_logit_scale")
    scale_of = {"loss": factors[0], "grad_image": factors[1], "grad_text": factors[1],
                "grad_logit_scale": factors[2]}
    return {k: (o - scale_of[k] * r).abs().max().item()
            for k, o, r in zip(keys, ours, ref, strict=True)}
