"""Evaluate a checkpoint with the config's COCO metric; draw the predictions under the work dir.

Without --checkpoint the freshly initialised model is evaluated (the "untrained" baseline).
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
    parser.add_argument("--checkpoint", help="checkpoint (ours, or converted official weights)")
    parser.add_argument("--work-dir", help="default: work_dirs/<config name>")
    parser.add_argument("--data-root", help="dataset root with the COCO layout of the config")
    parser.add_argument("--show-dir", default="vis",
                        help="folder under <work-dir>/<timestamp>/ for the drawn predictions")
    parser.add_argument("--no-show", action="store_true", help="do not draw predictions")
    parser.add_argument("--metrics-out", help="also write the metrics to this JSON file")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, default={},
                        help="override config keys, e.g. test_dataloader.batch_size=4")
    parser.add_argument("--launcher", choices=["none", "pytorch"], default="none")
    parser.add_argument("--local-rank", "--local_rank", type=int, default=0,
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.data_root)
    cfg.work_dir = args.work_dir or default_work_dir(args.config)
    set_launcher(cfg, args.launcher)
    cfg.load_from = args.checkpoint
    visualization = cfg.default_hooks.visualization
    visualization.draw = not args.no_show
    visualization.test_out_dir = None if args.no_show else args.show_dir
    prepare_embedded_data(cfg)

    runner = Runner.from_cfg(cfg)
    if args.checkpoint is None:
        runner.logger.warning("no --checkpoint: evaluating the untrained (initialised) model")
        runner.model.init_weights()
    metrics = runner.test()
    if runner.rank == 0:
        print(f"test metrics ({args.config}, {args.checkpoint or 'untrained'}): "
              f"{format_metrics(metrics)}", flush=True)
        if args.metrics_out:
            with open(args.metrics_out, "w") as f:
                json.dump(metrics, f, indent=2)
    return metrics


if __name__ == "__main__":
    main(sys.argv[1:])
