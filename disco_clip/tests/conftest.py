"""Shared fixtures: a tiny embedded dataset generated once per session."""

from __future__ import annotations

import os

import pytest

from disco_clip.data.shapes import ShapesSpec, ensure_shapes_dataset

os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def tiny_shapes(tmp_path_factory):
    """128 training pairs + the 288 unique validation pairs, in the real CSV layout."""
    root = tmp_path_factory.mktemp("data") / "shapes"
    return ensure_shapes_dataset(root, ShapesSpec(num_train=128))
