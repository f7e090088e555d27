from .checked_coco import CheckedCocoDataset, MalformedAnnotationError, validate_coco_detection
from .shapes import CLASSES, ShapesSpec, ensure_shapes_dataset

__all__ = ["CLASSES", "CheckedCocoDataset", "MalformedAnnotationError", "ShapesSpec",
           "ensure_shapes_dataset", "validate_coco_detection"]
