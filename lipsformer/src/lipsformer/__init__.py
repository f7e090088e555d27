"""LipsFormer in the timm idiom: importing the package registers the ``lipsformer_*`` models."""

from .models import (
    STANDARD_COUNTERPARTS,
    CenterNorm,
    LipsFormerCSwin,
    LipsFormerSwin,
    ResidualScale,
)

__all__ = [
    "CenterNorm",
    "LipsFormerCSwin",
    "LipsFormerSwin",
    "ResidualScale",
    "STANDARD_COUNTERPARTS",
]
__version__ = "0.1.0"
