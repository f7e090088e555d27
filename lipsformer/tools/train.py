#!/usr/bin/env python
"""Train a LipsFormer (or any timm model) on ImageFolder data.

With no arguments: the quick CPU config (configs/quick/) on the embedded default dataset, which is
generated under data/ on first use; prints the validation top-1.

    python tools/train.py
    python tools/train.py --config configs/lipsformer_swin_tiny_8xb128-300e_in1k.yaml \
        --data-root /path/to/imagenet
    torchrun --nproc_per_node 8 tools/train.py --launcher pytorch --config ... --resume auto
"""

from __future__ import annotations

import argparse
import os
import sys

from lipsformer.engine.config import DEFAULT_CONFIG, load_config
from lipsformer.engine.trainer import TrainResult, train


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--config", default=str(DEFAULT_CONFIG), help="YAML config (default: %(default)s)"
    )
    p.add_argument(
        "--launcher",
        choices=["none", "pytorch"],
        default="none",
        help="'pytorch': one process per device under torchrun",
    )
    p.add_argument("--resume", help="checkpoint to resume from, or 'auto' for <work_dir>/last.pth")
    p.add_argument("--work-dir", help="overrides the config's work_dir")
    p.add_argument(
        "--data-root", help="ImageFolder root with train/ and val/ (overrides data.root)"
    )
    p.add_argument(
        "--cfg-options",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="config overrides, e.g. optim.lr=1e-3 schedule.epochs=100",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> TrainResult:
    args = parse_args(argv)
    overrides = list(args.cfg_options)
    if args.work_dir:
        overrides.append(f"work_dir={args.work_dir}")
    if args.data_root:
        overrides.append(f"data.root={args.data_root}")
    cfg = load_config(args.config, overrides)
    result = train(cfg, launcher=args.launcher, resume=args.resume)
    if int(os.environ.get("RANK", 0)) == 0:
        status = "DIVERGED" if result.diverged else "done"
        print(
            f"{status}: {result.epochs_done} epochs, {result.steps_done} steps; "
            f"val top-1 {result.top1:.2f}%  top-5 {result.top5:.2f}%"
            + (f"  EMA top-1 {result.ema_top1:.2f}%" if result.ema_top1 is not None else "")
            + f"  (work dir {result.work_dir})"
        )
    return result


if __name__ == "__main__":
    sys.exit(1 if main().diverged else 0)
