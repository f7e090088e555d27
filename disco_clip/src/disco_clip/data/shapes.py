"""Embedded default dataset: generated image-caption pairs in open_clip's CSV layout.

Every image shows 1-3 shapes of one colour and one kind in one quadrant of the canvas, and its
caption states all four facts ("two red circles in the top left."), so everything a caption says
can be read off the image. 6 colours x 4 shapes x 3 counts x 4 quadrants = 288 combinations. The
validation split holds each combination exactly once, so every validation caption is unique and
retrieval has one right answer; zero-shot classification uses the 24 "<colour> <shape>" classes.

    <root>/train.csv          filepath,caption
    <root>/val.csv            filepath,caption,label
    <root>/classes.json       {"classnames": [...], "templates": [...]}
    <root>/images/{train,val}/NNNNNN.png

Generation is deterministic: sample i of a split is drawn from its own random stream, seeded by
(seed, split, i), so the files depend only on the ``ShapesSpec``.
"""

from __future__ import annotations

import csv
import itertools
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 50, 50),
    "green": (60, 180, 75),
    "blue": (60, 100, 230),
    "yellow": (240, 220, 60),
    "purple": (150, 70, 200),
    "orange": (245, 140, 40),
}
SHAPES = ("circle", "square", "triangle", "diamond")
COUNT_WORDS = ("one", "two", "three")
POSITIONS = ("top left", "top right", "bottom left", "bottom right")
SPLITS = ("train", "val")

# Bump when the drawing or the captions change, so that old folders are regenerated.
GENERATOR_VERSION = 1
MANIFEST = "spec.json"
# Shapes are drawn at 4x the resolution and box-filtered down: anti-aliased edges, so a shape is
# told apart by its outline rather than by aliasing patterns.
SUPERSAMPLE = 4
# +-20 per channel keeps the nearest colours (red/orange, orange/yellow: ~90 apart in green)
# apart while making colour a range rather than one exact RGB value.
COLOUR_JITTER = 20
MAX_BACKGROUND_GREY = 70  # dark backgrounds: every colour above stands out against all of them


@dataclass(frozen=True)
class ShapesSpec:
    num_train: int = 8192
    image_size: int = 64
    seed: int = 0


DEFAULT_SPEC = ShapesSpec()  # frozen, so one shared default instance is safe
Combination = tuple[str, str, int, str]  # colour, shape, count, position


def combinations() -> list[Combination]:
    return list(itertools.product(COLOURS, SHAPES, range(1, len(COUNT_WORDS) + 1), POSITIONS))


def class_names() -> list[str]:
    return [f"{colour} {shape}" for colour, shape in itertools.product(COLOURS, SHAPES)]


def describe(thing: str, count: int, position: str) -> str:
    """``describe("red circle", 2, "top left")`` = "two red circles in the top left."; with
    ``thing="{}"`` it gives a zero-shot template in the captions' own words."""
    plural = "s" if count > 1 else ""
    return f"{COUNT_WORDS[count - 1]} {thing}{plural} in the {position}."


def zero_shot_templates() -> list[str]:
    """One template per count and quadrant: the class embedding, their mean, is the centroid of
    every caption of that class."""
    counts = range(1, len(COUNT_WORDS) + 1)
    return [describe("{}", count, position) for count in counts for position in POSITIONS]


def _draw_shape(pen: ImageDraw.ImageDraw, shape: str, box: tuple[float, float, float, float],
                fill: tuple[int, int, int]) -> None:
    left, top, right, bottom = box
    middle_x, middle_y = (left + right) / 2, (top + bottom) / 2
    if shape == "circle":
        pen.ellipse(box, fill=fill)
    elif shape == "square":
        pen.rectangle(box, fill=fill)
    elif shape == "triangle":
        pen.polygon([(left, bottom), (middle_x, top), (right, bottom)], fill=fill)
    elif shape == "diamond":
        pen.polygon([(middle_x, top), (right, middle_y), (middle_x, bottom), (left, middle_y)],
                    fill=fill)
    else:
        raise ValueError(f"unknown shape {shape!r}; known: {SHAPES}")


def draw(combination: Combination, image_size: int, rng: np.random.Generator) -> Image.Image:
    """``count`` shapes in distinct cells of a 2x2 grid inside the quadrant (no overlaps, so the
    count is visible), each with a random size, offset and colour jitter."""
    colour, shape, count, position = combination
    size = image_size * SUPERSAMPLE
    grey = int(rng.integers(0, MAX_BACKGROUND_GREY + 1))
    canvas = Image.new("RGB", (size, size), (grey, grey, grey))
    pen = ImageDraw.Draw(canvas)
    row, col = divmod(POSITIONS.index(position), 2)
    half = size / 2
    # A margin on the canvas' outer sides: open_clip's RandomResizedCrop (area 0.9-1) trims the
    # border, and should rarely cut a shape away.
    margin = size / 16
    cell = (half - margin) / 2
    origin_x = col * half + (margin if col == 0 else 0)
    origin_y = row * half + (margin if row == 0 else 0)
    base = np.array(COLOURS[colour])
    for index in rng.choice(4, size=count, replace=False):
        extent = cell * rng.uniform(0.55, 0.85)
        left = origin_x + (index % 2) * cell + rng.uniform(0, cell - extent)
        top = origin_y + (index // 2) * cell + rng.uniform(0, cell - extent)
        jitter = rng.integers(-COLOUR_JITTER, COLOUR_JITTER + 1, size=3)
        fill = tuple(int(v) for v in np.clip(base + jitter, 0, 255))
        _draw_shape(pen, shape, (left, top, left + extent, top + extent), fill)
    return canvas.resize((image_size, image_size), Image.Resampling.BOX)


def _manifest(spec: ShapesSpec) -> dict:
    return {"generator_version": GENERATOR_VERSION, **asdict(spec)}


def generate(root: str | Path, spec: ShapesSpec = DEFAULT_SPEC) -> Path:
    """Write the dataset under ``root`` (overwriting) and return ``root``."""
    root = Path(root)
    manifest = root / MANIFEST
    # The manifest is written last, so an interrupted run is redone by ensure_shapes_dataset.
    manifest.unlink(missing_ok=True)
    every = combinations()
    for split_index, split in enumerate(SPLITS):
        folder = root / "images" / split
        folder.mkdir(parents=True, exist_ok=True)
        num_samples = spec.num_train if split == "train" else len(every)
        rows = []
        for i in range(num_samples):
            rng = np.random.default_rng([spec.seed, split_index, i])
            combination = every[i] if split == "val" else every[rng.integers(len(every))]
            filepath = f"images/{split}/{i:06d}.png"
            draw(combination, spec.image_size, rng).save(root / filepath)
            colour, shape, count, position = combination
            label = f"{colour} {shape}"
            rows.append([filepath, describe(label, count, position)]
                        + ([label] if split == "val" else []))
        with open(root / f"{split}.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["filepath", "caption"] + (["label"] if split == "val" else []))
            writer.writerows(rows)
    classes = {"classnames": class_names(), "templates": zero_shot_templates()}
    (root / "classes.json").write_text(json.dumps(classes, indent=1) + "\n")
    manifest.write_text(json.dumps(_manifest(spec)) + "\n")
    return root


def ensure_shapes_dataset(root: str | Path, spec: ShapesSpec = DEFAULT_SPEC) -> Path:
    """``root``, generated first unless it already holds this spec's dataset."""
    root = Path(root)
    manifest = root / MANIFEST
    if manifest.is_file() and json.loads(manifest.read_text()) == _manifest(spec):
        return root
    return generate(root, spec)
