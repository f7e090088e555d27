"""Per-rank functions run by the tests in spawned gloo groups (importable, hence a module)."""

from __future__ import annotations

import torch
import torch.distributed as dist
from open_clip import ClipLoss

from disco_clip import DisCoClipLoss

VARIANTS = {  # name -> DisCoClipLoss kwargs
    "paper": {"gradient_scale": "paper"},
    "open_clip": {"gradient_scale": "open_clip"},
    "paper_tiled": {"gradient_scale": "paper", "tile_size": 4},
    "open_clip_tiled": {"gradient_scale": "open_clip", "tile_size": 4},
}


def global_inputs(world_size: int, local_batch: int, dim: int = 8, seed: int = 0):
    """The full-batch features and scale every rank slices its share from (float64)."""
    g = torch.Generator().manual_seed(seed)
    batch = world_size * local_batch
    image = torch.nn.functional.normalize(torch.randn(batch, dim, generator=g, dtype=torch.float64),
                                          dim=-1)
    text = torch.nn.functional.normalize(torch.randn(batch, dim, generator=g, dtype=torch.float64),
                                         dim=-1)
    return image, text, torch.tensor(7.5, dtype=torch.float64)


def _loss_and_grads(loss_fn, image, text, scale):
    image = image.clone().requires_grad_()
    text = text.clone().requires_grad_()
    scale = scale.clone().requires_grad_()
    loss = loss_fn(image, text, scale)
    loss.backward()
    return loss.detach(), image.grad, text.grad, scale.grad


def loss_and_grads(rank: int, world_size: int, local_batch: int) -> dict:
    """Each DisCo variant and open_clip's local loss on this rank's slice of the global batch."""
    image, text, scale = global_inputs(world_size, local_batch)
    rows = slice(rank * local_batch, (rank + 1) * local_batch)
    out = {}
    for name, kwargs in VARIANTS.items():
        out[name] = _loss_and_grads(DisCoClipLoss(**kwargs), image[rows], text[rows], scale)
    local = ClipLoss(local_loss=True, gather_with_grad=True, rank=rank, world_size=world_size)
    out["open_clip_local"] = _loss_and_grads(local, image[rows], text[rows], scale)
    naive = ClipLoss(rank=rank, world_size=world_size)
    out["naive"] = _loss_and_grads(naive, image[rows], text[rows], scale)
    # The error paths and the pitfall share this process group (one spawn is seconds).
    out["uneven_blockwise"] = uneven_batches(rank, world_size, None)
    out["uneven_tiled"] = uneven_batches(rank, world_size, 2)
    out["mismatched"] = mismatched_image_text(rank, world_size)
    out["local_rows_avg"] = local_rows_with_avg_gather(rank, world_size, local_batch)
    return out


def uneven_batches(rank: int, world_size: int, tile_size) -> str:
    """Rank 0 has one row fewer; every rank must raise the same clear error."""
    batch = 4 - (rank == 0)
    image = torch.randn(batch, 8, requires_grad=True)
    text = torch.randn(batch, 8, requires_grad=True)
    try:
        DisCoClipLoss(tile_size=tile_size)(image, text, torch.tensor(10.0))
    except ValueError as err:
        return str(err)
    return "no error"


def mismatched_image_text(rank: int, world_size: int) -> str:
    """On the last rank the text batch differs from the image batch."""
    image = torch.randn(4, 8)
    text = torch.randn(3 if rank == world_size - 1 else 4, 8)
    try:
        DisCoClipLoss()(image, text, torch.tensor(10.0))
    except ValueError as err:
        return str(err)
    return "no error"


class _AvgGather(torch.autograd.Function):
    """The paper's AVG gather, used below with *local* rows (the pitfall of notes Sec. 2.4)."""

    @staticmethod
    def forward(ctx, tensor):
        out = tensor.new_empty(dist.get_world_size() * tensor.shape[0], *tensor.shape[1:])
        dist.all_gather_into_tensor(out, tensor.contiguous())
        ctx.rows = tensor.shape[0]
        return out

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad, op=dist.ReduceOp.AVG)
        rank = dist.get_rank()
        return grad[rank * ctx.rows : (rank + 1) * ctx.rows]


def local_rows_with_avg_gather(rank: int, world_size: int, local_batch: int):
    """Feature gradients when the rows come from the local features instead of the gather."""
    image, text, scale = global_inputs(world_size, local_batch)
    rows = slice(rank * local_batch, (rank + 1) * local_batch)
    img = image[rows].clone().requires_grad_()
    txt = text[rows].clone().requires_grad_()
    all_img, all_txt = _AvgGather.apply(img), _AvgGather.apply(txt)
    labels = torch.arange(local_batch) + rank * local_batch
    loss = torch.nn.functional.cross_entropy(scale * img @ all_txt.T, labels) + \
        torch.nn.functional.cross_entropy(scale * txt @ all_img.T, labels)
    loss.backward()
    return img.grad, txt.grad
