"""DAB-DETR and DAB-Deformable-DETR on MMDetection 3.x.

Importing the package (configs do so through ``custom_imports``) registers the models and the
dataset with mmdet's registries and allow-lists the globals an mmengine checkpoint holds, so
that resuming works under torch's ``weights_only`` loading.
"""

from . import checkpoint_safety  # noqa: F401  (side effect: torch safe globals)
from .datasets import CheckedCocoDataset
from .models import DABDeformableDETR, SwitchableDABDETR

__all__ = ["CheckedCocoDataset", "DABDeformableDETR", "SwitchableDABDETR"]
__version__ = "0.1.0"
