"""Shared fixtures: a tiny generated shapes set and builders for small models."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import torch

os.environ.setdefault("OMP_NUM_THREADS", "2")
torch.set_num_threads(min(2, torch.get_num_threads()))

from mmdet.utils import register_all_modules  # noqa: E402
from mmengine.config import Config  # noqa: E402

import dab_detr  # noqa: E402,F401  (registers modules, safe globals)
from dab_detr.datasets.shapes import ShapesSpec, ensure_shapes_dataset  # noqa: E402

register_all_modules()

ROOT = Path(__file__).resolve().parents[1]
QUICK = ROOT / "configs" / "quick"
QUICK_DAB = QUICK / "dab-detr_r18-tiny_1xb4-12e_shapes.py"
# real public samples, beside the checkout (or inside it): never copied into the repo
SHARED_CANDIDATES = (ROOT.parent / "shared" / "data", ROOT.parents[1] / "shared" / "data")
SHARED_DATA = next((p for p in SHARED_CANDIDATES if p.exists()), SHARED_CANDIDATES[0])
# 8 train / 4 val images at 64 px: seconds to generate, 2 iterations per epoch at batch 4
TINY_SPEC = dict(image_size=64, num_train=8, num_val=4, min_side=8, max_side=36, max_objects=3)


@pytest.fixture(scope="session")
def tiny_shapes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data") / "shapes"
    ensure_shapes_dataset(root, ShapesSpec(**TINY_SPEC))
    return root


def embedded_options() -> list[str]:
    """``--cfg-options`` items declaring TINY_SPEC, so the tools find ``tiny_shapes`` current."""
    return [f"embedded_dataset.{k}={v}" for k, v in TINY_SPEC.items()]


def tiny_run_options(work_dir: Path, max_epochs: int = 1) -> list[str]:
    """CLI arguments that make tools/train.py run 2 iterations per epoch on ``tiny_shapes``."""
    options = {
        "train_dataloader.batch_size": 4,
        "val_dataloader.batch_size": 4,
        "train_cfg.max_epochs": max_epochs,
        "train_cfg.val_interval": 100,
        "param_scheduler.0.end": 2,
        "default_hooks.logger.interval": 1,
        "default_hooks.visualization.interval": 1,
    }
    return ["--work-dir", str(work_dir), "--cfg-options", *embedded_options(),
            *[f"{k}={v}" for k, v in options.items()]]


def build_model(config: str | Path, overrides: dict | None = None):
    """Build and initialise ``config``'s model; ``overrides`` maps dotted keys under model."""
    from mmdet.registry import MODELS

    cfg = Config.fromfile(str(config))
    if overrides:
        cfg.merge_from_dict({f"model.{key}": value for key, value in overrides.items()})
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    return model


def fake_batch(model, image_size: int = 64, boxes=((4.0, 6.0, 40.0, 30.0),), labels=(0,),
               batch_size: int = 1):
    """A preprocessed batch with the given ground truth (pixel xyxy boxes) on random images."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    samples = []
    for _ in range(batch_size):
        sample = DetDataSample(metainfo=dict(
            img_shape=(image_size, image_size), ori_shape=(image_size, image_size),
            batch_input_shape=(image_size, image_size), pad_shape=(image_size, image_size),
            scale_factor=(1.0, 1.0)))
        gt = InstanceData()
        gt.bboxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
        gt.labels = torch.tensor(labels, dtype=torch.long)
        sample.gt_instances = gt
        samples.append(sample)
    inputs = torch.rand(batch_size, 3, image_size, image_size)
    return inputs, samples
