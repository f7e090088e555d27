"""DisCo-CLIP's gather (arXiv 2304.08480, Sec. 3.2) as a plain ``torch.autograd.Function``.

Forward: all_gather the local ``(b, D)`` features into one ``(N*b, D)`` tensor.
Backward: every rank holds ``dL_r/dF`` for the *whole* gathered tensor; the gradient of the
rank's own slice is the reduction of those ``N`` tensors over ranks, so one collective replaces
recomputing the other ranks' rows of the B x B logits (the paper's "inter-GPU" gradient).

``reduction`` fixes the gradient, which differs only by a constant factor:

``"avg"`` (paper-faithful, ``disco/gather.py`` of the official repo): the mean over ranks.
    With the paper's per-rank loss this is exactly the gradient of the full-batch
    (non-distributed) loss w.r.t. the local features.
``"sum"`` (open_clip-compatible, ``torch.distributed.nn.all_gather`` semantics): ``N`` times that.

``collective`` only chooses how it is computed:

``"reduce_scatter"`` (default): each rank receives just its own reduced slice; half the traffic
    of an all_reduce and no ``(N*b, D)`` copy.
``"all_reduce"``: the official repo's pattern, all_reduce of the full ``(N*b, D)`` gradient,
    then slice. Same numbers; kept to measure the difference (``tools/bench.py``).

Only single-tensor collectives are used (``all_gather_single``, ``reduce_scatter_single``,
``all_reduce``), never the deprecated ``torch.distributed.nn`` autograd wrappers, so the same
code runs on gloo (CPU) and nccl (GPU).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.distributed as dist

Reduction = Literal["avg", "sum"]
Collective = Literal["reduce_scatter", "all_reduce"]


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


class DisCoGather(torch.autograd.Function):
    """``(b, D) -> (N*b, D)`` all_gather whose backward reduces the gradient over ranks."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor, group, reduction: Reduction,
                collective: Collective) -> torch.Tensor:
        rank, world = group_rank_and_size(group)
        ctx.group, ctx.rank, ctx.world = group, rank, world
        ctx.reduction, ctx.collective = reduction, collective
        ctx.local_rows = tensor.shape[0]
        if world == 1:
            return tensor.view_as(tensor)
        output = tensor.new_empty((world * tensor.shape[0], *tensor.shape[1:]))
        all_gather_into(output, tensor, group)
        return output

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        if ctx.world == 1:
            return grad_output, None, None, None
        rows, rank = ctx.local_rows, ctx.rank
        if ctx.collective == "all_reduce":
            # The official code all-reduces grad_output in place; a copy leaves autograd's
            # buffer intact.
            op = dist.ReduceOp.AVG if ctx.reduction == "avg" else dist.ReduceOp.SUM
            full = grad_output.contiguous().clone()
            dist.all_reduce(full, op=op, group=ctx.group)
            return full[rank * rows : (rank + 1) * rows].clone(), None, None, None
        local = grad_output.new_empty((rows, *grad_output.shape[1:]))
        _reduce_scatter_single(local, grad_output.contiguous(), op=dist.ReduceOp.SUM,
                               group=ctx.group)
        if ctx.reduction == "avg":
            local.div_(ctx.world)
        return local, None, None, None


def disco_gather(tensor: torch.Tensor, group: dist.ProcessGroup | None = None,
                 reduction: Reduction = "avg", collective: Collective = "reduce_scatter"
                 ) -> torch.Tensor:
    """Differentiable all_gather of ``tensor`` along dim 0 (see module docstring)."""
    if reduction not in ("avg", "sum"):
        raise ValueError(f"reduction must be 'avg' or 'sum', got {reduction!r}")
    if collective not in ("reduce_scatter", "all_reduce"):
        raise ValueError(f"collective must be 'reduce_scatter' or 'all_reduce', got "
                         f"{collective!r}")
    return DisCoGather.apply(tensor, group, reduction, collective)
