"""The embedded default dataset: ten shape classes rendered deterministically into ImageFolder.

Every image is one shape on a textured, cluttered background. What varies inside a class: size,
rotation, position, foreground and background colour, background texture (gradient, stripes or
blotches), foreground shading, distractor lines and dots, pixel noise. What separates classes is
the outline alone: colours are drawn from the same distribution for every class, so the mean
colour of an image says (almost) nothing about its label, and a model has to learn shape.

The layout is the one ImageNet uses with torchvision's ``ImageFolder``, so the real-data loader
is the same code path::

    root/train/<class>/<index>.png
    root/val/<class>/<index>.png
    root/manifest.json                 what was generated, written last: marks a complete copy
"""

from __future__ import annotations

import json
import math
import os
import shutil
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

__all__ = ["CLASSES", "DEFAULT_PER_CLASS", "generate", "render"]

# Alphabetical, so the index into CLASSES is also the label ImageFolder assigns (it sorts names).
# No class is a rotation of another: images are rotated freely (a "diamond" would be a square).
CLASSES: tuple[str, ...] = (
    "arrow",
    "circle",
    "crescent",
    "cross",
    "heart",
    "hourglass",
    "ring",
    "square",
    "star",
    "triangle",
)
DEFAULT_PER_CLASS: dict[str, int] = {"train": 500, "val": 100}  # 5000 / 1000 images
SEED = 0
# Part of the manifest: bump it whenever rendering changes, so that an old copy on disk is
# reported as a different dataset instead of being silently reused.
VERSION = 1
SUPERSAMPLE = 4  # masks are drawn at 4x and box-filtered down: anti-aliased edges at 32 px


def _regular(n: int, radius: float = 1.0, phase: float = math.pi / 2) -> np.ndarray:
    angles = phase + 2 * math.pi * np.arange(n) / n
    return radius * np.stack([np.cos(angles), -np.sin(angles)], axis=1)


def _star(points: int, inner: float) -> np.ndarray:
    outer = _regular(points)
    inner_pts = _regular(points, inner, math.pi / 2 + math.pi / points)
    return np.stack([outer, inner_pts], axis=1).reshape(-1, 2)


def _heart() -> np.ndarray:
    t = np.linspace(0, 2 * math.pi, 48, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    # the classic curve spans x in [-16, 16], y in [-12, 17]: centre it and fit it into radius 1
    return np.stack([x, y - 2.5], axis=1) / 17


_ARM = 0.3  # half-width of the cross's arms, in units of the shape radius
# Outlines in units of the shape radius, centred on the origin (image axes: y points down).
_POLYGONS: dict[str, np.ndarray] = {
    "triangle": _regular(3),
    "square": _regular(4, phase=math.pi / 4),
    "star": _star(5, inner=0.4),
    "cross": np.array(
        [(_ARM, -1), (_ARM, -_ARM), (1, -_ARM), (1, _ARM), (_ARM, _ARM), (_ARM, 1)]
        + [(-_ARM, 1), (-_ARM, _ARM), (-1, _ARM), (-1, -_ARM), (-_ARM, -_ARM), (-_ARM, -1)],
        dtype=float,
    ),
    "arrow": np.array(
        [(-1, -0.22), (0.2, -0.22), (0.2, -0.62), (1, 0), (0.2, 0.62), (0.2, 0.22), (-1, 0.22)]
    ),
    "hourglass": np.array([(-0.8, -1), (0.8, -1), (0.12, 0), (0.8, 1), (-0.8, 1), (-0.12, 0)]),
    "heart": _heart(),
}
# Round shapes as stacks of disks (dx, dy, radius, fill): fill 0 cuts a hole into what came before.
_DISKS: dict[str, list[tuple[float, float, float, int]]] = {
    "circle": [(0, 0, 0.85, 255)],
    "ring": [(0, 0, 0.95, 255), (0, 0, 0.55, 0)],
    "crescent": [(0, 0, 0.95, 255), (0.45, 0, 0.8, 0)],
}
assert sorted(_POLYGONS.keys() | _DISKS.keys()) == list(CLASSES)


def _rasterize(size: int, paint: Callable[[ImageDraw.ImageDraw], None]) -> np.ndarray:
    """Coverage in [0, 1] of what ``paint`` draws on a canvas SUPERSAMPLE times larger."""
    canvas = Image.new("L", (size * SUPERSAMPLE, size * SUPERSAMPLE), 0)
    paint(ImageDraw.Draw(canvas))
    small = canvas.resize((size, size), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float64)[..., None] / 255


def _paint_shape(
    draw: ImageDraw.ImageDraw, name: str, centre: np.ndarray, radius: float, angle: float
) -> None:
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    if name in _POLYGONS:
        points = _POLYGONS[name] @ rotation.T * radius + centre
        draw.polygon([tuple(p) for p in points], fill=255)
        return
    for dx, dy, r, fill in _DISKS[name]:
        cx, cy = rotation @ np.array([dx, dy]) * radius + centre
        r = r * radius
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)


def _contrasting_colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Foreground and background, i.i.d. uniform RGB conditioned on being far apart: the condition
    is symmetric in the two, so neither becomes darker or brighter on average."""
    while True:
        fg, bg = rng.uniform(0, 255, size=(2, 3))
        if np.linalg.norm(fg - bg) > 180:  # ~40% of the RGB cube's diagonal (441): plain at 32 px
            return fg, bg


def _ramp(size: int, rng: np.random.Generator) -> np.ndarray:
    """A linear ramp from 0 to 1 across the image, along a random direction."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    phi = rng.uniform(0, 2 * math.pi)
    t = xx * math.cos(phi) + yy * math.sin(phi)
    return ((t - t.min()) / np.ptp(t))[..., None]


def _background(size: int, colour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``colour`` blended with a nearby second colour through a random texture."""
    other = np.clip(colour + rng.uniform(-30, 30, size=3), 0, 255)
    kind = rng.integers(3)
    if kind == 0:
        t = _ramp(size, rng)
    elif kind == 1:  # stripes, 2-6 periods across the image
        yy, xx = np.mgrid[0:size, 0:size] / size
        phi, periods, phase = rng.uniform(0, 2 * math.pi), rng.uniform(2, 6), rng.uniform(0, 6.3)
        along = xx * math.cos(phi) + yy * math.sin(phi)
        t = (0.5 + 0.5 * np.sin(2 * math.pi * periods * along + phase))[..., None]
    else:  # blotches: a 4x4 random field, bilinearly upsampled
        field = Image.fromarray(rng.random((4, 4)).astype(np.float32))  # mode F
        t = np.asarray(field.resize((size, size), Image.Resampling.BILINEAR))[..., None]
    return colour * (1 - t) + other * t


def _paint_clutter(size: int, rng: np.random.Generator) -> Callable[[ImageDraw.ImageDraw], None]:
    """A thin line or a small dot, in supersampled coordinates: distractors that are no class."""
    s = SUPERSAMPLE
    if rng.random() < 0.5:
        start = rng.uniform(0, size, 2)
        length, phi = rng.uniform(0.2, 0.5) * size, rng.uniform(0, 2 * math.pi)
        end = start + length * np.array([math.cos(phi), math.sin(phi)])
        line = [tuple(start * s), tuple(end * s)]
        return lambda draw: draw.line(line, fill=255, width=s)  # 1 px wide
    (cx, cy), r = rng.uniform(0, size, 2) * s, rng.uniform(0.6, 1.5) * s
    return lambda draw: draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)


def render(class_index: int, size: int, rng: np.random.Generator) -> Image.Image:
    """One RGB image of ``CLASSES[class_index]``; every random choice comes from ``rng``."""
    name = CLASSES[class_index]
    fg, bg = _contrasting_colours(rng)
    image = _background(size, bg, rng)
    for _ in range(rng.integers(0, 3)):  # clutter lies under the shape, which stays whole
        colour = rng.uniform(0, 255, size=3)
        coverage = _rasterize(size, _paint_clutter(size, rng))
        image = image * (1 - coverage) + colour * coverage
    # radius 30-45% of the image, the whole shape inside the frame, any orientation
    radius = rng.uniform(0.3, 0.45) * size
    centre = rng.uniform(radius, size - radius, size=2)
    angle = rng.uniform(0, 2 * math.pi)
    s = SUPERSAMPLE
    coverage = _rasterize(
        size, lambda draw: _paint_shape(draw, name, centre * s, radius * s, angle)
    )
    shading = rng.uniform(-40, 40) * (_ramp(size, rng) - 0.5)  # zero-mean: leaves colour unbiased
    image = image * (1 - coverage) + (fg + shading) * coverage
    image = image + rng.normal(0, 5, size=image.shape)
    return Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8))  # H x W x 3: RGB


def _manifest(size: int, per_class: Mapping[str, int]) -> dict:
    return {
        "generator": __name__,
        "version": VERSION,
        "seed": SEED,
        "size": size,
        "classes": list(CLASSES),
        "per_class": dict(per_class),
    }


def _is_complete(root: Path, per_class: Mapping[str, int]) -> bool:
    return all(
        len(list((root / split / name).glob("*.png"))) == count
        for split, count in per_class.items()
        for name in CLASSES
    )


def generate(root: str | Path, size: int = 32, per_class: Mapping[str, int] | None = None) -> Path:
    """Write the dataset to ``root`` (``per_class``: images per class for each split) and return
    ``root``; a complete copy with the same manifest is reused as it is."""
    per_class = dict(DEFAULT_PER_CLASS if per_class is None else per_class)
    if size < 8 or any(not isinstance(n, int) or n < 1 for n in per_class.values()):
        raise ValueError(f"need size >= 8 and positive image counts, got {size=}, {per_class=}")
    root = Path(root)
    manifest = _manifest(size, per_class)
    manifest_path = root / "manifest.json"
    if manifest_path.is_file():
        found = json.loads(manifest_path.read_text())
        if found != manifest:
            raise RuntimeError(
                f"{root} holds a different generated dataset ({manifest_path}: {found}); "
                f"wanted {manifest}. Delete it or choose another root."
            )
        if _is_complete(root, per_class):
            return root
    elif root.is_dir() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty and has no manifest.json: not overwriting it")

    # Build beside the target and rename at the end, so an interrupted run never leaves a
    # partial copy that looks complete.
    partial = root.with_name(f".{root.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    for split, count in per_class.items():
        # crc32, not hash(): Python salts str hashes per process
        split_key = zlib.crc32(split.encode())
        for class_index, name in enumerate(CLASSES):
            folder = partial / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                rng = np.random.default_rng([SEED, split_key, class_index, i])
                render(class_index, size, rng).save(folder / f"{i:05d}.png")
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    if root.exists():  # empty, or an incomplete copy of this very dataset (its manifest matched)
        shutil.rmtree(root)
    partial.rename(root)
    return root
