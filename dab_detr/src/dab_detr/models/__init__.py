from .conditional_detr import AnyWidthConditionalDETR
from .dab_deformable_detr import DABDeformableDETR, DABDeformableDetrTransformerDecoder
from .dab_detr import SwitchableDABDETR

__all__ = ["AnyWidthConditionalDETR", "DABDeformableDETR", "DABDeformableDetrTransformerDecoder",
           "SwitchableDABDETR"]
