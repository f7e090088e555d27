"""The embedded default dataset: deterministic, ImageFolder layout, clear errors on bad input."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from lipsformer.data import synthetic
from lipsformer.data.loader import build_loaders, load_rgb
from lipsformer.engine.config import DataConfig


def _digest(root) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.png")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_generation_is_deterministic_and_in_imagefolder_layout(tmp_path):
    small = {"train": 3, "val": 2}
    a = synthetic.generate(tmp_path / "a", per_class=small)
    b = synthetic.generate(tmp_path / "b", per_class=small)
    assert _digest(a) == _digest(b)
    assert sorted(p.name for p in (a / "train").iterdir()) == sorted(synthetic.CLASSES)
    assert len(list((a / "val").rglob("*.png"))) == 2 * len(synthetic.CLASSES)
    assert json.loads((a / "manifest.json").read_text())["per_class"] == small
    assert synthetic.generate(a, per_class=small) == a  # a complete copy is reused
    with pytest.raises(RuntimeError, match="different generated dataset"):
        synthetic.generate(a, per_class={"train": 4, "val": 2})
    img = Image.open(next((a / "train" / "star").iterdir()))
    assert img.size == (32, 32) and img.mode == "RGB"


def test_classes_differ_in_shape_not_colour():
    """Mean colour carries (almost) no class information: a nearest-class-mean colour classifier
    stays near chance, so models must learn shape."""
    rng_images = {
        c: [
            np.asarray(synthetic.render(c, 32, np.random.default_rng([9, c, i])), dtype=float)
            for i in range(40)
        ]
        for c in range(len(synthetic.CLASSES))
    }
    means = {c: np.mean([im.mean((0, 1)) for im in ims[:20]], 0) for c, ims in rng_images.items()}
    hits = sum(
        min(means, key=lambda k: np.linalg.norm(means[k] - im.mean((0, 1)))) == c
        for c, ims in rng_images.items()
        for im in ims[20:]
    )
    assert hits / (20 * len(synthetic.CLASSES)) < 0.25  # chance is 0.1


def test_corrupt_image_error_names_the_file(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ValueError, match="broken.png"):
        load_rgb(str(bad))


def test_loaders_check_the_layout(tiny_imagefolder, tmp_path):
    cfg = DataConfig(
        root=str(tiny_imagefolder),
        img_size=32,
        batch_size=16,
        workers=0,
        auto_augment=None,
        mixup=0,
        cutmix=0,
    )
    train, sampler, val, num_classes = build_loaders(cfg, rank=0, world_size=1, seed=0)
    assert num_classes == 10 and len(train) == 5 and len(val.dataset) == 40
    images, targets = next(iter(train))
    assert images.shape == (16, 3, 32, 32) and targets.max() < 10
    # two ranks see disjoint validation shards that cover the set exactly once
    shards = [list(build_loaders(cfg, r, 2, 0)[2].sampler) for r in range(2)]
    assert sorted(shards[0] + shards[1]) == list(range(40))
    missing = DataConfig(root=str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="train"):
        build_loaders(missing, 0, 1, 0)
