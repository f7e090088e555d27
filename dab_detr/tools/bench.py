"""Forward+backward time per image of DAB-DETR vs mmdet's DETR (and Conditional DETR), same input.

Every model is timed in this one run on the same random batch with the same ground truth, after
warm-up; the table gives seconds per image and the ratio to DETR. Default: the paper's R50
models (300 queries for DAB/Conditional, DETR's 100) at 320x320 on whatever device is present.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time

import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.structures import InstanceData

import dab_detr  # noqa: F401  (registers SwitchableDABDETR)
from dab_detr.runtime import PACKAGE_ROOT

MODELS_BY_SCALE = {
    "paper": {
        "DETR-R50 (mmdet)": "mmdet::detr/detr_r50_8xb2-150e_coco.py",
        "Conditional-DETR-R50 (mmdet)":
            "mmdet::conditional_detr/conditional-detr_r50_8xb2-50e_coco.py",
        "DAB-DETR-R50 (ours)": str(PACKAGE_ROOT / "configs" / "dab-detr_r50_8xb2-50e_coco.py"),
    },
    "quick": {
        "DETR tiny": str(PACKAGE_ROOT / "configs/quick/detr_r18-tiny_1xb4-12e_shapes.py"),
        "Conditional-DETR tiny":
            str(PACKAGE_ROOT / "configs/quick/conditional-detr_r18-tiny_1xb4-12e_shapes.py"),
        "DAB-DETR tiny": str(PACKAGE_ROOT / "configs/quick/dab-detr_r18-tiny_1xb4-12e_shapes.py"),
    },
}


def build(config: str, device: torch.device) -> torch.nn.Module:
    # `mmdet::...` names a config inside the installed mmdet, which only get_config resolves
    cfg = get_config(config) if "::" in config else Config.fromfile(config)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.init_cfg = None  # timing only: no pretrained weights to fetch
    model = MODELS.build(model_cfg).to(device)
    model.init_weights()
    return model.train()


def batch(size: int, batch_size: int, device: torch.device, num_classes: int):
    g = torch.Generator().manual_seed(0)
    inputs = torch.rand(batch_size, 3, size, size, generator=g).to(device)
    samples = []
    for _ in range(batch_size):
        sample = DetDataSample(metainfo=dict(img_shape=(size, size), batch_input_shape=(size, size),
                                             ori_shape=(size, size), scale_factor=(1.0, 1.0)))
        xy = torch.rand(5, 2, generator=g) * size * 0.6
        wh = torch.rand(5, 2, generator=g) * size * 0.3 + 8
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([xy, xy + wh], 1).to(device),
            labels=torch.randint(num_classes, (5,), generator=g).to(device))
        samples.append(sample)
    return inputs, samples


def time_step(model, inputs, samples, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    losses = model.loss(inputs, samples)
    sum(v for k, v in losses.items() if "loss" in k).backward()
    model.zero_grad(set_to_none=True)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(MODELS_BY_SCALE), default="paper")
    parser.add_argument("--size", type=int, default=320, help="square input side in pixels")
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    register_all_modules()
    device = torch.device(args.device)
    torch.manual_seed(0)

    # All models are built first and their steps interleaved round by round, so that a change in
    # machine load during the run hits every model alike instead of whichever is being timed.
    models, batches = {}, {}
    for name, config in MODELS_BY_SCALE[args.scale].items():
        models[name] = build(config, device)
        batches[name] = batch(args.size, args.batch_size, device,
                              models[name].bbox_head.num_classes)
    times = {name: [] for name in models}
    for round_index in range(args.warmup + args.iters):
        for name, model in models.items():
            seconds = time_step(model, *batches[name], device)
            if round_index >= args.warmup:
                times[name].append(seconds)
    per_image = {name: statistics.median(values) / args.batch_size
                 for name, values in times.items()}

    baseline = next(iter(per_image.values()))
    print(f"forward+backward, {args.scale} models, {args.batch_size}x3x{args.size}x{args.size}, "
          f"{device.type}, median of {args.iters} interleaved rounds after {args.warmup} "
          f"warm-up rounds")
    print(f"| model | s / image | ratio to {next(iter(per_image))} |")
    print("|---|---|---|")
    for name, seconds in per_image.items():
        print(f"| {name} | {seconds:.4f} | {seconds / baseline:.2f} |")
    return per_image


if __name__ == "__main__":
    main(sys.argv[1:])
