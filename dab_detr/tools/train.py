"""Train a detector from a config, then evaluate it with the config's COCO metric.

With no arguments: the quick DAB-DETR config on the embedded shapes set (generated under
data/shapes/ on first use), on CPU, in a few minutes. Multi-process: torchrun ...
tools/train.py --launcher pytorch (the Makefile does this for GPUS=n / NNODES>1).
"""

from __future__ import annotations

import argparse
import json
import sys

from mmengine.config import DictAction
from mmengine.runner import Runner

from dab_detr.runtime import (
    DEFAULT_CONFIG,
    default_work_dir,
    format_metrics,
    load_config,
    prepare_embedded_data,
    set_launcher,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="config file")
    parser.add_argument("--work-dir", help="default: work_dirs/<config name>")
    parser.add_argument("--data-root", help="dataset root with the COCO layout of the config")
    parser.add_argument("--resume", nargs="?", const="auto", default=None,
                        help="resume from the latest checkpoint in the work dir, or from PATH")
    parser.add_argument("--no-test", action="store_true", help="skip the final evaluation")
    parser.add_argument("--metrics-out", help="also write the final metrics to this JSON file")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, default={},
                        help="override config keys, e.g. train_cfg.max_epochs=2")
    parser.add_argument("--launcher", choices=["none", "pytorch"], default="none")
    # torch.distributed.launch passes --local-rank; torchrun uses the LOCAL_RANK env variable
    parser.add_argument("--local-rank", "--local_rank", type=int, default=0,
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.data_root)
    cfg.work_dir = args.work_dir or default_work_dir(args.config)
    set_launcher(cfg, args.launcher)
    if args.resume == "auto":
        cfg.resume, cfg.load_from = True, None
    elif args.resume:
        cfg.resume, cfg.load_from = True, args.resume
    prepare_embedded_data(cfg)

    runner = Runner.from_cfg(cfg)
    runner.train()
    if args.no_test:
        return {}
    metrics = runner.test()
    if runner.rank == 0:
        print(f"test metrics ({args.config}): {format_metrics(metrics)}", flush=True)
        if args.metrics_out:
            with open(args.metrics_out, "w") as f:
                json.dump(metrics, f, indent=2)
    return metrics


if __name__ == "__main__":
    main(sys.argv[1:])
