"""Hamming OCR (arXiv 2009.10874) on mmocr 1.0.1.

Importing the package registers its models and datasets with mmocr's registries (configs load it
through ``custom_imports``) and allow-lists the globals of mmengine checkpoints for
``torch.load(weights_only=True)``.
"""

from . import checkpoint_compat, datasets, models  # noqa: F401  (registration side effects)

__version__ = '0.1.0'
