"""The embedded dataset generator and the annotation checks."""

from __future__ import annotations

import hashlib
import json

import cv2
import numpy as np
import pytest
from conftest import SHARED_DATA, TINY_SPEC

from dab_detr.datasets import CheckedCocoDataset, MalformedAnnotationError
from dab_detr.datasets.shapes import ShapesSpec, ensure_shapes_dataset


def tree_digest(root):
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        h.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return h.hexdigest()


def test_generator_is_deterministic_and_writes_coco(tmp_path, tiny_shapes):
    again = ensure_shapes_dataset(tmp_path / "shapes", ShapesSpec(**TINY_SPEC))
    assert tree_digest(again) == tree_digest(tiny_shapes)
    data = json.loads((tiny_shapes / "annotations" / "instances_train.json").read_text())
    assert len(data["images"]) == TINY_SPEC["num_train"]
    assert [c["name"] for c in data["categories"]] == ["rectangle", "ellipse", "triangle"]
    for ann in data["annotations"]:
        x, y, w, h = ann["bbox"]
        assert w > 0 and h > 0 and x >= 0 and y >= 0
        assert x + w <= TINY_SPEC["image_size"] and y + h <= TINY_SPEC["image_size"]
        assert 0 < ann["area"] <= w * h


def test_default_spec_varies_size_aspect_and_count():
    """Box regression must matter: small and medium objects, elongated ones, several per image."""
    from dab_detr.datasets.shapes import render_image

    spec = ShapesSpec()
    areas, aspects, counts = [], [], []
    for index in range(40):
        _, instances = render_image(spec, index, "val")
        counts.append(len(instances))
        for inst in instances:
            _, _, w, h = inst["bbox"]
            areas.append(w * h)
            aspects.append(max(w / h, h / w))
    assert min(counts) >= 1 and max(counts) >= 4
    assert min(areas) < 32 ** 2 < max(areas)  # COCO "small" and "medium" objects
    assert max(aspects) > 2.0


def write(path, payload):
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return path


@pytest.mark.parametrize("payload, field", [
    ("{not json", "not valid JSON"),
    ({"images": [], "annotations": []}, "categories"),
    ({"images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 8}],
      "categories": [{"id": 1, "name": "a"}],
      "annotations": [{"id": 1, "image_id": 1, "category_id": 1}]}, "missing field 'bbox'"),
    ({"images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 8}],
      "categories": [{"id": 1, "name": "a"}],
      "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, -2, 3]}]},
     "annotations[0].bbox"),
    ({"images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 8}],
      "categories": [{"id": 1, "name": "a"}],
      "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [0, 0, 2, 3]}]},
     "annotations[0].image_id"),
])
def test_malformed_annotation_file_error_names_file_and_field(tmp_path, payload, field):
    ann_file = write(tmp_path / "instances_bad.json", payload)
    with pytest.raises(MalformedAnnotationError) as err:
        CheckedCocoDataset(ann_file=str(ann_file), data_prefix=dict(img=str(tmp_path)),
                           metainfo=dict(classes=("a",)), pipeline=[])
    assert str(ann_file) in str(err.value) and field in str(err.value)


def test_checked_dataset_reads_the_shapes_set(tiny_shapes):
    dataset = CheckedCocoDataset(
        data_root=str(tiny_shapes), ann_file="annotations/instances_val.json",
        data_prefix=dict(img="images/val/"), test_mode=True, pipeline=[],
        metainfo=dict(classes=("rectangle", "ellipse", "triangle")))
    assert len(dataset) == TINY_SPEC["num_val"]
    info = dataset.get_data_info(0)
    image = cv2.imread(info["img_path"])
    assert image.shape == (TINY_SPEC["image_size"],) * 2 + (3,)
    assert all(0 <= inst["bbox_label"] < 3 for inst in info["instances"])


@pytest.mark.skipif(not (SHARED_DATA / "detection").exists(),
                    reason="shared real COCO sample (../shared/data/detection) not present")
def test_checked_dataset_accepts_real_coco_annotations():
    from mmdet.datasets import CocoDataset

    sample = SHARED_DATA / "detection" / "coco_panopticapi_sample"
    kwargs = dict(data_root=str(sample), ann_file="instances_things_only.json",
                  data_prefix=dict(img="images/"), test_mode=True, pipeline=[])
    checked, reference = CheckedCocoDataset(**kwargs), CocoDataset(**kwargs)
    assert len(checked) == len(reference) == 2
    for i in range(2):
        ours, theirs = checked.get_data_info(i), reference.get_data_info(i)
        assert ours["img_path"] == theirs["img_path"]
        assert np.array_equal([x["bbox"] for x in ours["instances"]],
                              [x["bbox"] for x in theirs["instances"]])
