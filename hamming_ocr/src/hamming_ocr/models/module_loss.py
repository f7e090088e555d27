"""Sequence loss that delegates the per-token loss to the decoder's classifier."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from mmocr.models.textrecog.module_losses.base import BaseTextRecogModuleLoss
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample
from torch import nn


@MODELS.register_module()
class ClassifierModuleLoss(BaseTextRecogModuleLoss):
    """Teacher-forcing loss: outputs at step t are scored against token t + 1.

    Targets come from mmocr's ``get_targets`` (``<BOS/EOS>`` text ``<EOS>`` then padding); padding
    positions are ignored, exactly like ``CEModuleLoss(ignore_first_char=True,
    ignore_char='padding', reduction='mean')``. The classifier computes the loss itself: cross
    entropy for ``SoftmaxClassifier``, bit-wise BCE on the LSH codes for ``HammingClassifier``.
    """

    def forward(self, outputs: torch.Tensor, data_samples: Sequence[TextRecogDataSample],
                classifier: nn.Module) -> dict[str, torch.Tensor]:
        targets = torch.stack([s.gt_text.padded_indexes for s in data_samples]).long()
        targets = targets[:, 1:].to(outputs.device)
        outputs = outputs[:, :-1]
        valid = targets != self.dictionary.padding_idx
        return classifier.loss(outputs, targets, valid)
