from .dab_deformable_detr import DABDeformableDETR, DABDeformableDetrTransformerDecoder
from .dab_detr import SwitchableDABDETR

__all__ = ["DABDeformableDETR", "DABDeformableDetrTransformerDecoder", "SwitchableDABDETR"]
