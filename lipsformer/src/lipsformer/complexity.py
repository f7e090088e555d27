"""Parameter and FLOP counts, in the convention of the Swin/CSWin/LipsFormer papers.

Those papers report "FLOPs" that are multiply-accumulates of the matrix products and convolutions
(Swin's ``flops()`` counts N*C*C' per Linear); torch's FlopCounterMode counts 2 FLOPs per MAC,
so we halve it. Elementwise ops (norms, GELU, alpha) are not counted; Swin's ``flops()`` adds
them, which changes the total by well under 1%.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from .models.lipsformer import explicit_attention


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def count_macs(model: nn.Module, input_size: tuple[int, int, int] = (3, 224, 224)) -> int:
    """Multiply-accumulates of one forward pass on one image (the papers' "FLOPs")."""
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with explicit_attention(model), counter:  # count attention as explicit matmuls
        model(torch.zeros(1, *input_size))
    model.train(was_training)
    return counter.get_total_flops() // 2
