"""Tiled DisCo loss: the rank's ``b x B`` logits are never materialised.

Beyond the paper; the idea is Inf-CL's (arXiv 2410.17243): the feature chunks of the other
ranks travel around a ring instead of being all-gathered, and each ``(b, b)`` block of logits is
processed in ``tile x tile`` tiles with an online log-sum-exp. Backward recomputes every tile from
the saved per-row log-sum-exp (softmax = ``exp(z - lse)``), and the gradient for the travelling
chunk rides along the ring back to its owner. Per-rank loss memory is
``O(b*D + tile^2) = O(B*D/N + tile^2)`` instead of DisCo's ``O(B^2/N)``.

The per-rank loss and every gradient are the same as :class:`~disco_clip.loss.DisCoClipLoss`
without tiling (tests compare both to the single-process full-batch loss).
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from .gather import group_rank_and_size


def _ring_shift(tensor: torch.Tensor, group, rank: int, world: int) -> torch.Tensor:
    """Send ``tensor`` to rank+1 and return what rank-1 sent (all within ``group``)."""
    if world == 1:
        return tensor
    received = torch.empty_like(tensor)
    group = group or dist.group.WORLD
    to_rank = dist.get_global_rank(group, (rank + 1) % world)
    from_rank = dist.get_global_rank(group, (rank - 1) % world)
    ops = [
        dist.P2POp(dist.isend, tensor, to_rank, group),
        dist.P2POp(dist.irecv, received, from_rank, group),
    ]
    for request in dist.batch_isend_irecv(ops):
        request.wait()
    return received


def _row_logsumexp(rows: torch.Tensor, cols: torch.Tensor, scale: torch.Tensor, tile: int,
                   lse: torch.Tensor) -> None:
    """``lse[i] = logaddexp(lse[i], logsumexp_j(scale * rows[i] . cols[j]))``, tile by tile."""
    for i in range(0, rows.shape[0], tile):
        row_tile = rows[i : i + tile] * scale
        for j in range(0, cols.shape[0], tile):
            block = (row_tile @ cols[j : j + tile].T).to(lse.dtype)
            lse[i : i + tile] = torch.logaddexp(lse[i : i + tile], torch.logsumexp(block, dim=1))


def _softmax_backward(rows: torch.Tensor, cols: torch.Tensor, scale: torch.Tensor, tile: int,
                      lse: torch.Tensor, weight: float, grad_rows: torch.Tensor,
                      grad_cols: torch.Tensor) -> torch.Tensor:
    """Accumulate the softmax part of d(weight * sum_i lse_i) into rows, cols; return d/dscale.

    With ``z = scale * rows @ cols.T`` and ``p = exp(z - lse)``:
    ``d/drows = weight * scale * p @ cols``, ``d/dcols = weight * scale * p.T @ rows``,
    ``d/dscale = weight * sum(p * rows @ cols.T)``.
    """
    grad_scale = torch.zeros((), dtype=lse.dtype, device=rows.device)
    step = weight * scale
    for i in range(0, rows.shape[0], tile):
        row_tile = rows[i : i + tile]
        for j in range(0, cols.shape[0], tile):
            col_tile = cols[j : j + tile]
            dots = (row_tile @ col_tile.T).to(lse.dtype)
            prob = dots.mul(scale).sub_(lse[i : i + tile, None]).exp_()  # one t x t buffer
            grad_scale += weight * torch.dot(prob.flatten(), dots.flatten())
            prob = prob.to(rows.dtype)
            grad_rows[i : i + tile] += (prob @ col_tile).mul_(step)
            grad_cols[j : j + tile] += (prob.T @ row_tile).mul_(step)
    return grad_scale


class RingTiledContrastiveLoss(torch.autograd.Function):
    """Per-rank DisCo loss ``CE(image rows) + CE(text rows)`` (optionally halved), tiled."""

    @staticmethod
    @torch.amp.custom_fwd(device_type="cuda", cast_inputs=torch.float32)
    def forward(ctx, image: torch.Tensor, text: torch.Tensor, logit_scale: torch.Tensor,
                group, tile: int, halve: bool, average_feature_grads: bool) -> torch.Tensor:
        rank, world = group_rank_and_size(group)
        # Softmax statistics in at least fp32 (fp64 stays fp64 for the equality tests).
        acc_dtype = torch.promote_types(image.dtype, torch.float32)
        scale = logit_scale.detach().to(acc_dtype)
        rows = image.shape[0]
        lse_image = torch.full((rows,), float("-inf"), dtype=acc_dtype, device=image.device)
        lse_text = torch.full_like(lse_image, float("-inf"))
        chunk = torch.stack([image.detach(), text.detach()])  # (2, b, D) travels the ring
        for step in range(world):
            if step:
                chunk = _ring_shift(chunk, group, rank, world)
            _row_logsumexp(image, chunk[1], scale, tile, lse_image)  # image rows vs texts
            _row_logsumexp(text, chunk[0], scale, tile, lse_text)  # text rows vs images
        positive = (image * text).sum(dim=1).to(acc_dtype) * scale
        loss = (lse_image - positive).mean() + (lse_text - positive).mean()
        ctx.save_for_backward(image, text, logit_scale, lse_image, lse_text)
        ctx.group, ctx.tile, ctx.rank, ctx.world = group, tile, rank, world
        ctx.halve, ctx.average = halve, average_feature_grads
        return loss / 2 if halve else loss

    @staticmethod
    @torch.amp.custom_bwd(device_type="cuda")
    def backward(ctx, grad_output: torch.Tensor):
        image, text, logit_scale, lse_image, lse_text = ctx.saved_tensors
        group, tile, rank, world = ctx.group, ctx.tile, ctx.rank, ctx.world
        scale = logit_scale.detach().to(lse_image.dtype)
        rows = image.shape[0]
        # Each of the two CE terms is a mean over the b local rows.
        weight = float(grad_output) * (0.5 if ctx.halve else 1.0) / rows
        grad_image = torch.zeros_like(image)
        grad_text = torch.zeros_like(text)
        chunk = torch.stack([image, text])
        chunk_grad = torch.zeros_like(chunk)  # gradient for the chunk's owner, rides along
        grad_scale = torch.zeros((), dtype=lse_image.dtype, device=image.device)
        for step in range(world):
            if step:
                chunk = _ring_shift(chunk, group, rank, world)
                chunk_grad = _ring_shift(chunk_grad, group, rank, world)
            grad_scale += _softmax_backward(image, chunk[1], scale, tile, lse_image, weight,
                                            grad_image, chunk_grad[1])
            grad_scale += _softmax_backward(text, chunk[0], scale, tile, lse_text, weight,
                                            grad_text, chunk_grad[0])
        # One more hop brings every chunk's accumulated gradient home.
        chunk_grad = _ring_shift(chunk_grad, group, rank, world)
        grad_image += chunk_grad[0]
        grad_text += chunk_grad[1]
        # The positive logit scale * <image_i, text_i> appears in both terms with weight -1.
        grad_image -= (2 * weight) * scale * text
        grad_text -= (2 * weight) * scale * image
        grad_scale -= 2 * weight * (image * text).sum().to(grad_scale.dtype)
        if ctx.average:
            grad_image /= world
            grad_text /= world
        return grad_image, grad_text, grad_scale.to(logit_scale.dtype).reshape(
            logit_scale.shape), None, None, None, None
