"""Task metrics (benchmarking-gnns definitions) and the SBM class-weighted loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def balanced_accuracy(logits: Tensor, target: Tensor) -> float:
    """Mean per-class recall x 100 over the classes present (``accuracy_SBM``)."""
    pred = logits.argmax(-1)
    recalls = [
        (pred[target == c] == c).float().mean() for c in torch.unique(target)
    ]
    return 100.0 * torch.stack(recalls).mean().item()


def accuracy(logits: Tensor, target: Tensor) -> float:
    return 100.0 * (logits.argmax(-1) == target).float().mean().item()


def positive_f1(logits: Tensor, target: Tensor) -> float:
    """F1 x 100 of the positive class (benchmarking-gnns TSP metric)."""
    pred = logits.argmax(-1)
    true_pos = ((pred == 1) & (target == 1)).sum().item()
    predicted, actual = (pred == 1).sum().item(), (target == 1).sum().item()
    if true_pos == 0:
        return 0.0
    precision, recall = true_pos / predicted, true_pos / actual
    return 100.0 * 2 * precision * recall / (precision + recall)


def mean_absolute_error(pred: Tensor, target: Tensor) -> float:
    return (pred.view(-1) - target.view(-1)).abs().mean().item()


def class_weighted_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """Cross-entropy with class weights (V - |class|) / V from the batch (benchmark SBM loss)."""
    num_classes = logits.size(-1)
    counts = torch.bincount(target, minlength=num_classes).float()
    weight = (target.numel() - counts) / target.numel()
    weight = weight * (counts > 0)
    return F.cross_entropy(logits, target, weight=weight)
