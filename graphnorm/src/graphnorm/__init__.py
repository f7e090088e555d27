"""Learned graph normalization (Chen et al., arXiv 2009.11746) in PyTorch Geometric."""

from .models import GNN, GatedGCNConv, GNNLayer
from .norm import NORM_MODES, SINGLE_MODES, LearnedGraphNorm, make_norm

__all__ = [
    "GNN",
    "GNNLayer",
    "GatedGCNConv",
    "LearnedGraphNorm",
    "NORM_MODES",
    "SINGLE_MODES",
    "make_norm",
]
__version__ = "0.1.0"
