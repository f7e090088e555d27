"""Embedded default dataset: a deterministic COCO-format detection set of drawn shapes.

The generator writes exactly what COCO ships on disk (``images/<split>/*.png`` plus
``annotations/instances_<split>.json``), so the training path is the same code that reads real
COCO. It is designed so that box regression matters: objects span small to large sizes and
aspect ratios from 1:3 to 3:1, overlap and partially occlude each other (the box is the *visible*
extent), and the background carries unlabelled clutter (lines, dots, noise). Objects are bright
and saturated on a dark scene so that a backbone trained from scratch can find them within a
CPU budget; telling the three shapes apart and fitting tight boxes is the work left.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

CLASSES = ("rectangle", "ellipse", "triangle")


@dataclass(frozen=True)
class ShapesSpec:
    """Everything that determines the generated files; its hash names the build."""

    image_size: int = 128
    num_train: int = 1000
    num_val: int = 200
    max_objects: int = 5
    min_side: int = 10  # px; objects down to ~10x10 land in COCO's "small" (< 32^2 px) bucket
    max_side: int = 72  # px; ~0.56 of the image side
    max_aspect: float = 3.0
    max_overlap_iou: float = 0.3
    min_visible_fraction: float = 0.7  # occlusion may hide at most 30% of an object
    seed: int = 0
    classes: tuple[str, ...] = field(default=CLASSES)

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


def _box_iou(a: np.ndarray, b: np.ndarray) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def _bright_colour(rng: np.random.RandomState) -> np.ndarray:
    """A saturated, bright BGR colour: objects stand out from the dark scene."""
    hsv = np.array([[[rng.randint(0, 180), rng.randint(128, 256), rng.randint(170, 256)]]],
                   np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]


def _background(rng: np.random.RandomState, size: int) -> np.ndarray:
    """Dark two-colour gradient with pixel noise and dim, unlabelled clutter."""
    c0, c1 = rng.uniform(10, 90, size=(2, 3))
    t = np.linspace(0.0, 1.0, size)[None, :, None]
    img = c0 * (1 - t) + c1 * t
    img = np.repeat(img, size, axis=0)
    if rng.rand() < 0.5:
        img = img.transpose(1, 0, 2)
    img = img + rng.normal(0, 6, size=img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(rng.randint(2, 7)):  # clutter lines
        p0, p1 = rng.randint(0, size, size=(2, 2))
        colour = tuple(int(c) for c in rng.randint(40, 150, 3))
        cv2.line(img, tuple(int(v) for v in p0), tuple(int(v) for v in p1), colour,
                 int(rng.randint(1, 3)), cv2.LINE_AA)
    for _ in range(rng.randint(3, 12)):  # clutter dots, smaller than any labelled object
        centre = tuple(int(v) for v in rng.randint(0, size, 2))
        colour = tuple(int(c) for c in rng.randint(40, 150, 3))
        cv2.circle(img, centre, int(rng.randint(1, 3)), colour, -1, cv2.LINE_AA)
    return img


def _shape_mask(rng: np.random.RandomState, label: int, box: np.ndarray, size: int) -> np.ndarray:
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    mask = np.zeros((size, size), np.uint8)
    if label == 0:
        cv2.rectangle(mask, (x1, y1), (x2 - 1, y2 - 1), 1, -1)
    elif label == 1:
        centre = ((x1 + x2) // 2, (y1 + y2) // 2)
        cv2.ellipse(mask, centre, ((x2 - x1) // 2, (y2 - y1) // 2), 0, 0, 360, 1, -1)
    else:
        apex = x1 + rng.uniform(0, 1) * (x2 - 1 - x1)
        pts = [(apex, y1), (x1, y2 - 1), (x2 - 1, y2 - 1)]
        if rng.rand() < 0.5:  # point down
            pts = [(apex, y2 - 1), (x1, y1), (x2 - 1, y1)]
        cv2.fillPoly(mask, [np.round(np.array(pts)).astype(np.int32)], 1)
    return mask.astype(bool)


def render_image(spec: ShapesSpec, index: int, split: str) -> tuple[np.ndarray, list[dict]]:
    """Draw image ``index`` of ``split``; returns the BGR image and its instances."""
    split_offset = {"train": 0, "val": 1_000_003}[split]  # disjoint random streams per split
    rng = np.random.RandomState(spec.seed * 7_919 + split_offset + index)
    size = spec.image_size
    img = _background(rng, size)

    labels, boxes, full, visible = [], [], [], []  # visible: part of each object uncovered
    for _ in range(rng.randint(1, spec.max_objects + 1)):
        for _attempt in range(20):
            area = rng.uniform(spec.min_side, spec.max_side) ** 2
            aspect = np.exp(rng.uniform(-np.log(spec.max_aspect), np.log(spec.max_aspect)))
            w = min(size - 2, max(spec.min_side, np.sqrt(area * aspect)))
            h = min(size - 2, max(spec.min_side, np.sqrt(area / aspect)))
            x1, y1 = rng.uniform(0, size - w), rng.uniform(0, size - h)
            box = np.array([x1, y1, x1 + w, y1 + h])
            label = int(rng.randint(len(spec.classes)))
            mask = _shape_mask(rng, label, box, size)
            # the new object is drawn on top; every earlier one must stay mostly visible
            if all(_box_iou(box, other) <= spec.max_overlap_iou for other in boxes) and all(
                    (vis & ~mask).sum() >= spec.min_visible_fraction * whole.sum()
                    for vis, whole in zip(visible, full, strict=True)):
                break
        else:
            continue
        img[mask] = _bright_colour(rng)
        visible = [vis & ~mask for vis in visible] + [mask]
        full.append(mask)
        labels.append(label)
        boxes.append(box)

    instances = []
    for label, vis in zip(labels, visible, strict=True):
        ys, xs = np.nonzero(vis)
        x1, y1, x2, y2 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        instances.append(dict(label=label, bbox=[int(x1), int(y1), int(x2 - x1), int(y2 - y1)],
                              area=int(vis.sum())))
    return img, instances


def write_split(spec: ShapesSpec, root: Path, split: str) -> Path:
    count = {"train": spec.num_train, "val": spec.num_val}[split]
    image_dir = root / "images" / split
    image_dir.mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for index in range(count):
        img, instances = render_image(spec, index, split)
        file_name = f"{index:06d}.png"
        cv2.imwrite(str(image_dir / file_name), img)
        image_id = index + 1
        images.append(dict(id=image_id, file_name=file_name, width=spec.image_size,
                           height=spec.image_size))
        for inst in instances:
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id,
                                    category_id=inst["label"] + 1, bbox=inst["bbox"],
                                    area=inst["area"], iscrowd=0))
    categories = [dict(id=i + 1, name=name, supercategory="shape")
                  for i, name in enumerate(spec.classes)]
    ann_file = root / "annotations" / f"instances_{split}.json"
    ann_file.parent.mkdir(parents=True, exist_ok=True)
    ann_file.write_text(json.dumps(dict(images=images, annotations=annotations,
                                        categories=categories)))
    return ann_file


def ensure_shapes_dataset(root: str | Path, spec: ShapesSpec | None = None) -> Path:
    """Generate the dataset under ``root`` unless an identical build is already there."""
    spec = spec or ShapesSpec()
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    stamp = root / ".generated"
    # an exclusive lock: with torchrun every rank calls this, and only one may write
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text().strip() == spec.digest():
            return root
        for split in ("train", "val"):
            write_split(spec, root, split)
        stamp.write_text(spec.digest() + "\n")
    return root
