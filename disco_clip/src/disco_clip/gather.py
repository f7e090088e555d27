"""DisCo-CLIP's gather (arXiv 2304.08480, Sec. 3.2) as a plain ``torch.autograd.Function``.

Forward: all_gather the local ``(b, D)`` features into one ``(N*b, D)`` tensor.
Backward: every rank holds ``dL_r/dF`` for the *whole* gathered tensor; the gradient of the
rank's own slice is the reduction of those ``N`` tensors over ranks, so one collective replaces
recomputing the other ranks' rows of the B x B logits (the paper's "inter-GPU" gradient).

Two reductions, which differ only by a constant factor on the feature gradient:

``"avg"`` (paper-faithful, ``disco/gather.py`` of the official repo)
    all_reduce with an average of the full ``(N*b, D)`` gradient, then slice the local rows.
    With the paper's per-rank loss this gives exactly the gradient of the full-batch
    (non-distributed) loss w.r.t. the local features.
``"sum"`` (open_clip-compatible, ``torch.distributed.nn.all_gather`` semantics)
    reduce_scatter with a sum: ``N`` times the ``"avg"`` gradient, and half the traffic.

Only single-tensor collectives are used (``all_gather_into_tensor``, ``all_reduce``,
``reduce_scatter_tensor``), never the deprecated ``torch.distributed.nn`` autograd wrappers, so
the same code runs on gloo (CPU) and nccl (GPU).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.distributed as dist

Reduction = Literal["avg", "sum"]


def group_rank_and_size(group: dist.ProcessGroup | None = None) -> tuple[int, int]:
    """(rank, world size) in ``group``; (0, 1) when torch.distributed is not initialised."""
    if not (dist.is_available() and dist.is_initialized()):
        return 0, 1
    return dist.get_rank(group), dist.get_world_size(group)


def check_equal_batch_sizes(
    *features: torch.Tensor, group: dist.ProcessGroup | None = None, what: str = "DisCo"
) -> None:
    """Raise on every rank if the local batch sizes differ between tensors or between ranks.

    The backward slices rows ``[r*b, (r+1)*b)``, so it needs one ``b`` everywhere (use
    ``drop_last=True``). The sizes are exchanged *before* raising so that all ranks raise
    together instead of one rank raising while the others hang in the next collective.
    """
    rank, world = group_rank_and_size(group)
    sizes = torch.tensor([f.shape[0] for f in features], device=features[0].device)
    if world > 1:
        gathered = sizes.new_empty(world * sizes.numel())
        all_gather_into(gathered, sizes, group)
        per_rank = gathered.view(world, -1).tolist()
    else:
        per_rank = [sizes.tolist()]
    if any(len(set(row)) != 1 for row in per_rank) or len({row[0] for row in per_rank}) != 1:
        raise ValueError(
            f"{what} needs one batch size for every feature tensor on every rank (the backward "
            f"slices rows [rank*b, (rank+1)*b); use drop_last=True); got per-rank sizes "
            f"{per_rank} (rank: [image, text]), this is rank {rank}"
        )


# torch >= 2.13 renamed the single-tensor collectives and deprecated the old names.
_all_gather_single = getattr(dist, "all_gather_single", None) or dist.all_gather_into_tensor
_reduce_scatter_single = getattr(dist, "reduce_scatter_single", None) or dist.reduce_scatter_tensor


def all_gather_into(output: torch.Tensor, tensor: torch.Tensor, group=None) -> None:
    """All-gather ``tensor`` along dim 0 into the preallocated ``output`` (no list + cat copy)."""
    _all_gather_single(output, tensor.contiguous(), group=group)


def _reduce_scatter_sum(output: torch.Tensor, tensor: torch.Tensor, group=None) -> None:
    _reduce_scatter_single(output, tensor.contiguous(), op=dist.ReduceOp.SUM, group=group)


class DisCoGather(torch.autograd.Function):
    """``(b, D) -> (N*b, D)`` all_gather whose backward reduces the gradient over ranks."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor, group, reduction: Reduction) -> torch.Tensor:
        rank, world = group_rank_and_size(group)
        ctx.group, ctx.reduction, ctx.rank, ctx.world = group, reduction, rank, world
        ctx.local_rows = tensor.shape[0]
        if world == 1:
            return tensor.clone()
        output = tensor.new_empty((world * tensor.shape[0], *tensor.shape[1:]))
        all_gather_into(output, tensor, group)
        return output

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        if ctx.world == 1:
            return grad_output, None, None
        rows = ctx.local_rows
        if ctx.reduction == "avg":
            # The paper all-reduces grad_output in place; a copy keeps autograd's buffer intact.
            full = grad_output.contiguous().clone()
            dist.all_reduce(full, op=dist.ReduceOp.AVG, group=ctx.group)
            return full[ctx.rank * rows : (ctx.rank + 1) * rows].clone(), None, None
        local = grad_output.new_empty((rows, *grad_output.shape[1:]))
        _reduce_scatter_sum(local, grad_output, ctx.group)
        return local, None, None


def disco_gather(
    tensor: torch.Tensor, group: dist.ProcessGroup | None = None, reduction: Reduction = "avg"
) -> torch.Tensor:
    """Differentiable all_gather of ``tensor`` along dim 0 (see module docstring)."""
    if reduction not in ("avg", "sum"):
        raise ValueError(f"reduction must be 'avg' or 'sum', got {reduction!r}")
    return DisCoGather.apply(tensor, group, reduction)
