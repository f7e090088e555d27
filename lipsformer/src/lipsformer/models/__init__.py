from .layers import AttentionKernel, CenterNorm, ResidualScale, init_weights_
from .lipsformer import STANDARD_COUNTERPARTS, LipsFormerCSwin, LipsFormerSwin, explicit_attention

__all__ = [
    "AttentionKernel",
    "CenterNorm",
    "LipsFormerCSwin",
    "LipsFormerSwin",
    "ResidualScale",
    "STANDARD_COUNTERPARTS",
    "explicit_attention",
    "init_weights_",
]
