"""COCO detection dataset that rejects malformed annotation files with an error naming the file.

pycocotools and mmdet fail on a malformed ``instances_*.json`` deep inside index building
(``KeyError: 'bbox'``, ``JSONDecodeError`` without a path, NaN costs in the Hungarian matcher
from zero-size boxes, ...). ``CheckedCocoDataset`` validates the file once, while loading it,
and raises ``ValueError("<file>: <field>: <problem>")`` instead.
"""

from __future__ import annotations

import json
import math
from numbers import Real

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import DATASETS


class MalformedAnnotationError(ValueError):
    """A COCO annotation file that cannot be used, with the file and field named."""


def validate_coco_detection(data: object, source: str) -> None:
    """Check the fields detection training reads; raise ``MalformedAnnotationError`` if bad."""

    def fail(where: str, problem: str) -> None:
        raise MalformedAnnotationError(f"{source}: {where}: {problem}")

    if not isinstance(data, dict):
        fail("top level", f"expected a JSON object, got {type(data).__name__}")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            fail(key, "missing or not a list")
    image_ids = set()
    for i, image in enumerate(data["images"]):
        for key in ("id", "file_name", "width", "height"):
            if key not in image:
                fail(f"images[{i}]", f"missing field '{key}'")
        image_ids.add(image["id"])
    category_ids = set()
    for i, category in enumerate(data["categories"]):
        for key in ("id", "name"):
            if key not in category:
                fail(f"categories[{i}]", f"missing field '{key}'")
        category_ids.add(category["id"])
    for i, ann in enumerate(data["annotations"]):
        for key in ("id", "image_id", "category_id", "bbox"):
            if key not in ann:
                fail(f"annotations[{i}]", f"missing field '{key}'")
        bbox = ann["bbox"]
        if (not isinstance(bbox, list) or len(bbox) != 4
                or not all(isinstance(v, Real) and math.isfinite(v) for v in bbox)):
            fail(f"annotations[{i}].bbox", f"expected 4 finite numbers [x, y, w, h], got {bbox!r}")
        if bbox[2] < 0 or bbox[3] < 0:
            fail(f"annotations[{i}].bbox", f"negative width/height in {bbox!r}")
        if ann["image_id"] not in image_ids:
            fail(f"annotations[{i}].image_id", f"{ann['image_id']!r} is not in images")
        if ann["category_id"] not in category_ids:
            fail(f"annotations[{i}].category_id", f"{ann['category_id']!r} is not in categories")


class CheckedCOCO(COCO):
    """mmdet's COCO API wrapper, loading through ``validate_coco_detection`` (one JSON read)."""

    def __init__(self, annotation_file: str) -> None:
        super().__init__(None)
        try:
            with open(annotation_file) as f:
                data = json.load(f)
        except json.JSONDecodeError as err:
            raise MalformedAnnotationError(f"{annotation_file}: not valid JSON: {err}") from err
        validate_coco_detection(data, annotation_file)
        self.dataset = data
        self.createIndex()
        # mmdet's aliases, bound in COCO.__init__ to the empty pre-index dicts
        self.img_ann_map = self.imgToAnns
        self.cat_img_map = self.catToImgs


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """``CocoDataset`` with annotation validation; the on-disk format is unchanged."""

    COCOAPI = CheckedCOCO
