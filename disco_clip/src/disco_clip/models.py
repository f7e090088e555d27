"""Register this package's open_clip model configs (``model_configs/*.json``) with open_clip.

After import, ``open_clip.create_model_and_transforms("disco-vit-tiny")`` works like any built-in
name. ``disco-vit-tiny`` is a 4-layer, width-128 ViT on 64x64 images (8x8 patches) with a 3-layer
text tower and a 128-d embedding: small enough to train on two CPU cores in minutes.
"""

from __future__ import annotations

from pathlib import Path

import open_clip

MODEL_CONFIG_DIR = Path(__file__).parent / "model_configs"
TINY_MODEL = "disco-vit-tiny"


def register_model_configs() -> None:
    if TINY_MODEL not in open_clip.list_models():
        open_clip.add_model_config(MODEL_CONFIG_DIR)
