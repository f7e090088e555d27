"""DisCo-CLIP loss with open_clip ``ClipLoss``'s call signature and output convention.

One-line swap in open_clip training code::

    loss = ClipLoss(local_loss=True, gather_with_grad=True, rank=rank, world_size=world_size)
    loss = DisCoClipLoss(rank=rank, world_size=world_size)          # paper scale
    loss = DisCoClipLoss(gradient_scale="open_clip", ...)           # bit-for-bit ClipLoss scale

Notation (paper): N ranks, global batch B, local batch b = B/N, rank r. Rank r computes only its
own b rows of the image->text logits and its own b rows of the text->image logits
(two ``b x B`` blocks, loss memory O(B^2/N)), and the gradient flowing into the gathered features
is reduced over ranks by :class:`~disco_clip.gather.DisCoGather`.

Gradient scale (``L_full`` = the single-process full-batch loss, ``F_k`` = rank k's features):

==============  ==========================  ===============================  ===================
gradient_scale  per-rank loss               feature gradient on rank k       after DDP averaging
==============  ==========================  ===============================  ===================
``"paper"``     CE_img + CE_txt (sum)       dL_sum/dF_k  (= 2 dL_full/dF_k)  (2/N) dL_full/dθ
``"open_clip"`` (CE_img + CE_txt) / 2       N dL_full/dF_k                   dL_full/dθ (exact)
==============  ==========================  ===============================  ===================

``"paper"`` is the official repo (AVG reduction): the mean over ranks of the loss and every
feature gradient equal those of the non-distributed loss ``CE_img + CE_txt`` over all B pairs,
which is the paper's equivalence claim, and parameter gradients match a naive run in which every
rank builds the full B x B logits. ``"open_clip"`` reproduces ``ClipLoss(local_loss=True,
gather_with_grad=True)`` exactly: the same loss value and gradients, i.e. ``N/2`` times the
paper's feature gradient. The ``logit_scale`` gradient is local (``dL_r/ds``) in both, so after
DDP averaging it is ``dL/ds`` of the per-rank loss form, again as in open_clip.

Under AdamW a global constant barely matters; it matters for gradient clipping, Adam's eps and
SGD, which is why the option exists.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from .gather import check_equal_batch_sizes, disco_gather, group_rank_and_size
from .tiled import RingTiledContrastiveLoss

GradientScale = Literal["paper", "open_clip"]
GRADIENT_SCALES = ("paper", "open_clip")


class _ScaleGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor: torch.Tensor, factor: float) -> torch.Tensor:
        ctx.factor = factor
        return tensor.view_as(tensor)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad * ctx.factor, None


def scale_gradient(tensor: torch.Tensor, factor: float) -> torch.Tensor:
    """Identity in forward; multiplies the gradient by ``factor`` in backward."""
    return tensor if factor == 1.0 else _ScaleGradient.apply(tensor, factor)


class DisCoClipLoss(nn.Module):
    """Distributed contrastive loss of DisCo-CLIP (arXiv 2304.08480).

    Args:
        gradient_scale: ``"paper"`` (AVG all_reduce of the gathered gradient, sum of the two
            cross-entropies) or ``"open_clip"`` (SUM reduce-scatter, mean of the two); see the
            module docstring for the exact factors.
        tile_size: ``None`` for the paper's two ``b x B`` logit blocks; an int switches to the
            ring-tiled mode (:mod:`disco_clip.tiled`) whose loss memory is ``O(B*D/N + tile^2)``.
        backward_collective: ``"reduce_scatter"`` (default) or ``"all_reduce"`` (the official
            repo's communication pattern); the gradient is the same either way
            (:mod:`disco_clip.gather`). Not used by the tiled mode.
        rank, world_size: accepted for ``ClipLoss`` constructor compatibility; if given they
            must agree with ``group``.
        group: process group (default: the world).
        check_batch_sizes: exchange the local batch sizes each call and raise a clear error on
            every rank when they differ (one tiny all_gather).
    """

    def __init__(
        self,
        gradient_scale: GradientScale = "paper",
        tile_size: int | None = None,
        backward_collective: str = "reduce_scatter",
        rank: int | None = None,
        world_size: int | None = None,
        group: dist.ProcessGroup | None = None,
        check_batch_sizes: bool = True,
    ) -> None:
        super().__init__()
        if gradient_scale not in GRADIENT_SCALES:
            raise ValueError(f"gradient_scale must be one of {GRADIENT_SCALES}, got "
                             f"{gradient_scale!r}")
        if tile_size is not None and tile_size < 1:
            raise ValueError(f"tile_size must be a positive int or None, got {tile_size}")
        self.gradient_scale = gradient_scale
        if backward_collective not in ("reduce_scatter", "all_reduce"):
            raise ValueError(f"backward_collective must be 'reduce_scatter' or 'all_reduce', "
                             f"got {backward_collective!r}")
        self.tile_size = tile_size
        self.backward_collective = backward_collective
        self.group = group
        self.check_batch_sizes = check_batch_sizes
        self._expected = (rank, world_size)
        self._labels: dict[tuple, torch.Tensor] = {}

    def extra_repr(self) -> str:
        return (f"gradient_scale={self.gradient_scale!r}, tile_size={self.tile_size}, "
                f"backward_collective={self.backward_collective!r}")

    def _rank_and_world(self) -> tuple[int, int]:
        rank, world = group_rank_and_size(self.group)
        exp_rank, exp_world = self._expected
        if (exp_rank is not None and exp_rank != rank) or (
            exp_world is not None and exp_world != world
        ):
            raise ValueError(
                f"DisCoClipLoss was built with rank={exp_rank}, world_size={exp_world} but the "
                f"process group says rank={rank}, world_size={world}"
            )
        return rank, world

    def _local_labels(self, rows: int, rank: int, device: torch.device) -> torch.Tensor:
        key = (rows, rank, device)
        if key not in self._labels:
            self._labels[key] = torch.arange(rows, device=device) + rank * rows
        return self._labels[key]

    def forward(
        self,
        image_features: torch.Tensor,
        text_features: torch.Tensor,
        logit_scale: torch.Tensor,
        logit_bias: torch.Tensor | None = None,
        output_dict: bool = False,
    ):
        """Same arguments and return value as open_clip ``ClipLoss.forward``.

        ``logit_bias`` (present on some open_clip models) shifts every logit by a constant,
        which the softmax cross-entropy ignores; it is added as ClipLoss does so that it gets
        its (zero) gradient.
        """
        rank, world = self._rank_and_world()
        if image_features.shape != text_features.shape and world == 1:
            raise ValueError(f"image_features {tuple(image_features.shape)} and text_features "
                             f"{tuple(text_features.shape)} must have the same shape")
        if self.check_batch_sizes and world > 1:
            check_equal_batch_sizes(image_features, text_features, group=self.group,
                                    what="DisCoClipLoss")
        logit_scale = torch.as_tensor(logit_scale, device=image_features.device)
        halve = self.gradient_scale == "open_clip"
        if self.tile_size is not None:
            loss = RingTiledContrastiveLoss.apply(
                image_features, text_features, logit_scale, self.group, self.tile_size, halve,
                not halve,
            )
            if logit_bias is not None:
                loss = loss + 0.0 * logit_bias.sum()
        else:
            loss = self._blockwise_loss(image_features, text_features, logit_scale, logit_bias,
                                        rank, world, halve)
        return {"contrastive_loss": loss} if output_dict else loss

    def _blockwise_loss(self, image_features, text_features, logit_scale, logit_bias, rank,
                        world, halve):
        reduction = "sum" if halve else "avg"
        all_image = disco_gather(image_features, self.group, reduction, self.backward_collective)
        all_text = disco_gather(text_features, self.group, reduction, self.backward_collective)
        rows = image_features.shape[0]
        # The local rows must get the same reduction as the gathered columns. The official
        # code slices them from the gathered tensor, so their gradient goes through the
        # all_reduce; scaling the local features' row gradient by the same 1/N gives the same
        # numbers without the (N*b, D) zero-filled slice gradient. Mixing local rows with an
        # unscaled AVG column gradient would be wrong, not just rescaled (tests check this).
        row_scale = 1.0 if halve else 1.0 / world
        own_image = scale_gradient(image_features, row_scale)
        own_text = scale_gradient(text_features, row_scale)
        labels = self._local_labels(rows, rank, image_features.device)

        def logits(local_rows, all_columns):  # (b, B); freed once cross_entropy has its softmax
            out = logit_scale * local_rows @ all_columns.T
            return out if logit_bias is None else out + logit_bias

        loss = F.cross_entropy(logits(own_image, all_text), labels) + \
            F.cross_entropy(logits(own_text, all_image), labels)
        return loss / 2 if halve else loss


class DisCoSigLipLoss(nn.Module):
    """SigLIP's sigmoid loss (arXiv 2303.15343) with DisCo's gather: the same decomposition.

    Rank r scores its b images against all B texts (one ``b x B`` block): the loss is
    ``sum_ij softplus(z_ij) - sum_i z_ii`` over the block, divided by b, with
    ``z = logit_scale * I T^T + logit_bias`` (equal to ``-sum log sigmoid(y z) / b`` with
    ``y = +1`` on the positive pair and -1 elsewhere, without the label matrix). Texts are
    gathered with :func:`~disco_clip.gather.disco_gather`; images are only ever local rows, so
    their gradient gets the same reduction factor directly.

    ``gradient_scale="open_clip"`` equals open_clip's ``SigLipLoss(rank, world_size)`` (its ring
    exchanges send gradients back with a sum); ``"paper"`` (AVG) makes the feature gradients
    exactly those of the full-batch single-process loss, N times smaller. The mean loss over
    ranks is the full-batch loss in both. Call signature as open_clip's ``SigLipLoss``.
    """

    def __init__(self, gradient_scale: GradientScale = "paper",
                 backward_collective: str = "reduce_scatter", rank: int | None = None,
                 world_size: int | None = None, group: dist.ProcessGroup | None = None,
                 check_batch_sizes: bool = True) -> None:
        super().__init__()
        self.clip = DisCoClipLoss(gradient_scale, None, backward_collective, rank, world_size,
                                  group, check_batch_sizes)

    def forward(self, image_features: torch.Tensor, text_features: torch.Tensor,
                logit_scale: torch.Tensor, logit_bias: torch.Tensor | None = None,
                output_dict: bool = False):
        clip = self.clip
        rank, world = clip._rank_and_world()
        if image_features.shape != text_features.shape and world == 1:
            raise ValueError(f"image_features {tuple(image_features.shape)} and text_features "
                             f"{tuple(text_features.shape)} must have the same shape")
        if clip.check_batch_sizes and world > 1:
            check_equal_batch_sizes(image_features, text_features, group=clip.group,
                                    what="DisCoSigLipLoss")
        paper = clip.gradient_scale == "paper"
        all_text = disco_gather(text_features, clip.group, "avg" if paper else "sum",
                                clip.backward_collective)
        image = scale_gradient(image_features, 1.0 / world if paper else 1.0)
        rows = image_features.shape[0]
        logits = logit_scale * image @ all_text.T  # (b, B)
        positives = logit_scale * (image * all_text[rank * rows : (rank + 1) * rows]).sum(-1)
        if logit_bias is not None:
            logits = logits + logit_bias
            positives = positives + logit_bias
        loss = (F.softplus(logits).sum() - positives.sum()) / rows
        return {"contrastive_loss": loss} if output_dict else loss
