"""DisCo-CLIP (arXiv 2304.08480): a distributed contrastive loss for open_clip, and a trainer."""

from .gather import DisCoGather, disco_gather
from .loss import DisCoClipLoss, DisCoSigLipLoss
from .models import TINY_MODEL, register_model_configs
from .tiled import RingTiledContrastiveLoss

register_model_configs()

__all__ = [
    "DisCoClipLoss",
    "DisCoGather",
    "DisCoSigLipLoss",
    "RingTiledContrastiveLoss",
    "TINY_MODEL",
    "disco_gather",
    "register_model_configs",
]
__version__ = "0.1.0"
