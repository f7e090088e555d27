"""Per-rank functions run by the tests in spawned gloo groups (importable, hence a module)."""

from __future__ import annotations

import torch
import torch.distributed as dist
from open_clip.loss import SigLipLoss

from disco_clip import DisCoClipLoss, DisCoSigLipLoss, equivalence


def global_inputs(world_size: int, local_batch: int, dim: int = 8, seed: int = 0):
    return equivalence.global_inputs(world_size, local_batch, dim, seed)


def loss_and_grads(rank: int, world_size: int, local_batch: int) -> dict:
    """Every variant on this rank's slice, plus the error paths and the pitfall below (they
    share this process group; one spawn costs seconds)."""
    out = equivalence.rank_losses_and_grads(rank, world_size, local_batch)
    out["uneven_blockwise"] = uneven_batches(rank, world_size, None)
    out["uneven_tiled"] = uneven_batches(rank, world_size, 2)
    out["mismatched"] = mismatched_image_text(rank, world_size)
    out["local_rows_avg"] = local_rows_with_avg_gather(rank, world_size, local_batch)
    out.update(siglip_losses_and_grads(rank, world_size, local_batch))
    return out


def siglip_inputs(world_size: int, local_batch: int):
    image, text, scale = global_inputs(world_size, local_batch)
    return image, text, scale, torch.tensor(-2.5, dtype=torch.float64)


def siglip_grads(loss_fn, image, text, scale, bias):
    leaves = [t.clone().requires_grad_() for t in (image, text, scale, bias)]
    loss = loss_fn(*leaves)
    loss.backward()
    return (loss.detach(), *(t.grad for t in leaves))


def siglip_losses_and_grads(rank: int, world_size: int, local_batch: int) -> dict:
    image, text, scale, bias = siglip_inputs(world_size, local_batch)
    rows = slice(rank * local_batch, (rank + 1) * local_batch)
    mine = (image[rows], text[rows], scale, bias)
    return {
        "siglip_paper": siglip_grads(DisCoSigLipLoss("paper"), *mine),
        "siglip_open_clip": siglip_grads(DisCoSigLipLoss("open_clip"), *mine),
        "siglip_open_clip_ref": siglip_grads(SigLipLoss(rank=rank, world_size=world_size), *mine),
    }


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


def train_main(rank: int, world_size: int, argv: list[str]) -> dict:
    """The real trainer entry point on this rank (the group is already up, as under torchrun)."""
    from disco_clip.trainer import main

    return main(argv + ["--launcher", "pytorch"])


def loss_memory(rank: int, world_size: int, batch: int, dim: int) -> dict:
    """Tracked peak bytes of one forward+backward for each method at global batch ``batch``."""
    from disco_clip.benchmark import METHODS, measure_method

    return {m: measure_method(m, rank, world_size, batch, dim, torch.device("cpu"),
                              tile_size=64, rss=False).tensor_bytes for m in METHODS}
