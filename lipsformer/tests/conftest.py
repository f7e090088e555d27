from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

import lipsformer  # noqa: F401  (registers the timm models)
from lipsformer.data import synthetic

FOLDER = Path(__file__).resolve().parents[1]
torch.set_num_threads(min(2, os.cpu_count() or 1))

# The smallest Swin/CSwin shapes that keep two stages, windows and heads: used wherever a test
# needs many models or many forward passes.
MICRO_SWIN = dict(
    img_size=16,
    patch_size=2,
    embed_dim=16,
    depths=(2, 2),
    num_heads=(2, 4),
    window_size=4,
    num_classes=5,
)
MICRO_CSWIN = dict(
    img_size=16,
    patch_size=2,
    embed_dim=16,
    depths=(1, 2),
    split_size=(2, 4),
    num_heads=(2, 4),
    num_classes=5,
)


@pytest.fixture(scope="session")
def tiny_imagefolder(tmp_path_factory) -> Path:
    """A small copy of the embedded dataset: 10 classes, 8 train / 4 val images each."""
    root = tmp_path_factory.mktemp("data") / "shapes"
    return synthetic.generate(root, size=32, per_class={"train": 8, "val": 4})
