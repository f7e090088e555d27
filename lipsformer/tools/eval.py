#!/usr/bin/env python
"""Evaluate a checkpoint on the validation split of a config's dataset; prints top-1/top-5.

    python tools/eval.py                                  # quick config, its work_dir/last.pth
    python tools/eval.py --config configs/lipsformer_swin_tiny_8xb128-300e_in1k.yaml \
        --data-root /path/to/imagenet --checkpoint lipsformer-swin-tiny.pth   # official weights
"""

from __future__ import annotations

import argparse
import os

from lipsformer.engine.config import DEFAULT_CONFIG, load_config
from lipsformer.engine.trainer import run_eval


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", default=str(DEFAULT_CONFIG))
    p.add_argument("--checkpoint", help="default: <work_dir>/last.pth of the config")
    p.add_argument("--ema", action="store_true", help="evaluate the EMA weights of the checkpoint")
    p.add_argument("--launcher", choices=["none", "pytorch"], default="none")
    p.add_argument("--data-root")
    p.add_argument("--work-dir")
    p.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE")
    args = p.parse_args(argv)
    overrides = list(args.cfg_options)
    if args.data_root:
        overrides.append(f"data.root={args.data_root}")
    if args.work_dir:
        overrides.append(f"work_dir={args.work_dir}")
    cfg = load_config(args.config, overrides)
    metrics = run_eval(cfg, args.checkpoint, use_ema=args.ema, launcher=args.launcher)
    if int(os.environ.get("RANK", 0)) == 0:
        print(
            f"val top-1 {metrics['top1']:.2f}%  top-5 {metrics['top5']:.2f}%  "
            f"loss {metrics['loss']:.4f}  ({int(metrics['n'])} images)"
        )
    return metrics


if __name__ == "__main__":
    main()
