"""ImageFolder loaders with timm's transforms and Mixup/CutMix, one shard per torchrun process.

The same code reads ImageNet (``train/<wnid>/*.JPEG``, ``val/<wnid>/*.JPEG``) and the embedded
shapes dataset, which is generated on first use when ``root`` names it (``.../shapes<px>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from timm.data import Mixup, create_transform
from torch.utils.data import DataLoader, DistributedSampler, Sampler
from torchvision.datasets import ImageFolder

from ..engine.config import DataConfig, resolve_path
from . import synthetic

__all__ = ["ShardSampler", "build_loaders", "build_mixup", "load_rgb"]

# Only a root called shapes<px> is generated when missing: a mistyped path to real data must fail
# loudly, not train on shapes.
_EMBEDDED_NAME = re.compile(r"shapes(\d+)")


def load_rgb(path: str) -> Image.Image:
    """ImageFolder's loader: the image at ``path`` as RGB; a ValueError naming it if unreadable."""
    try:
        with Image.open(path) as image:
            return image.convert("RGB")  # forces the full decode inside the try
    except (OSError, SyntaxError) as err:  # PIL reports truncated or corrupt PNGs as SyntaxError
        raise ValueError(f"cannot read image {path}: {err}") from err


class ShardSampler(Sampler[int]):
    """Rank r takes indices r, r + world_size, ...: disjoint shards that cover the dataset exactly
    once. DistributedSampler would pad with repeats, which biases accuracies summed over ranks."""

    def __init__(self, length: int, rank: int, world_size: int) -> None:
        self.indices = range(rank, length, world_size)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def _seed_worker(worker_id: int) -> None:
    # torch seeds each worker's torch and `random`; numpy would start from the state forked from
    # the parent, the same in every worker, so it gets the worker's torch seed too.
    np.random.seed(torch.initial_seed() % 2**32)


def _ensure_layout(root: Path, generate_default: bool) -> None:
    embedded = _EMBEDDED_NAME.fullmatch(root.name)
    if generate_default and embedded:  # returns at once when a complete copy is there
        synthetic.generate(root, size=int(embedded.group(1)))
    for split in ("train", "val"):
        if not (root / split).is_dir():
            raise FileNotFoundError(
                f"{root / split} not found: data.root must be an ImageFolder root holding "
                f"train/<class>/<image> and val/<class>/<image> (the ImageNet layout); only a "
                f"root named shapes<px> is generated on demand (data.generate_default)"
            )


def build_loaders(
    cfg: DataConfig, rank: int, world_size: int, seed: int
) -> tuple[DataLoader, DistributedSampler, DataLoader, int]:
    """(train loader, its sampler for ``set_epoch``, validation loader, number of classes)."""
    root = resolve_path(cfg.root)
    _ensure_layout(root, cfg.generate_default)
    train_tf = create_transform(
        cfg.img_size,
        is_training=True,
        scale=cfg.scale,
        ratio=cfg.ratio,
        hflip=cfg.hflip,
        color_jitter=cfg.color_jitter or None,  # 0 means off, not ColorJitter(0, 0, 0)
        auto_augment=cfg.auto_augment,
        interpolation=cfg.interpolation,
        mean=cfg.mean,
        std=cfg.std,
        re_prob=cfg.reprob,
        re_mode="pixel",  # per-pixel normal noise, as in Swin/DeiT (timm's default is 'const')
    )
    eval_tf = create_transform(
        cfg.img_size,
        is_training=False,
        interpolation=cfg.interpolation,
        mean=cfg.mean,
        std=cfg.std,
        crop_pct=cfg.crop_pct,
    )
    train_set = ImageFolder(str(root / "train"), transform=train_tf, loader=load_rgb)
    val_set = ImageFolder(str(root / "val"), transform=eval_tf, loader=load_rgb)
    if val_set.classes != train_set.classes:
        raise ValueError(
            f"{root / 'val'} and {root / 'train'} hold different class folders: "
            f"{sorted(set(val_set.classes) ^ set(train_set.classes))} are in only one of them"
        )
    train_sampler = DistributedSampler(
        train_set, num_replicas=world_size, rank=rank, shuffle=True, seed=seed
    )
    common = dict(
        batch_size=cfg.batch_size,
        num_workers=cfg.workers,
        pin_memory=torch.cuda.is_available(),
        worker_init_fn=_seed_worker,
    )
    # drop_last: every step sees a full batch, so the per-step LR schedule and Mixup's
    # even-batch requirement hold on every rank
    train_loader = DataLoader(train_set, sampler=train_sampler, drop_last=True, **common)
    val_loader = DataLoader(val_set, sampler=ShardSampler(len(val_set), rank, world_size), **common)
    return train_loader, train_sampler, val_loader, len(train_set.classes)


def build_mixup(cfg: DataConfig, num_classes: int) -> Mixup | None:
    """timm's batch Mixup/CutMix with label smoothing, or None when both alphas are 0."""
    if cfg.mixup <= 0 and cfg.cutmix <= 0:
        return None
    if cfg.batch_size % 2:
        raise ValueError(
            f"Mixup/CutMix pair images within a batch: data.batch_size "
            f"{cfg.batch_size} must be even (or set data.mixup=0 data.cutmix=0)"
        )
    return Mixup(
        mixup_alpha=cfg.mixup,
        cutmix_alpha=cfg.cutmix,
        prob=cfg.mixup_prob,
        switch_prob=cfg.mixup_switch_prob,
        mode=cfg.mixup_mode,
        label_smoothing=cfg.label_smoothing,
        num_classes=num_classes,
    )
