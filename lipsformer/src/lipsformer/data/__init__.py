"""Data: the embedded default dataset (:mod:`.synthetic`) and the ImageFolder loaders that read it
and real ImageNet-layout data alike (:mod:`.loader`)."""

from .loader import build_loaders, build_mixup, load_rgb
from .synthetic import CLASSES, generate, render

__all__ = ["CLASSES", "build_loaders", "build_mixup", "generate", "load_rgb", "render"]
