"""Evaluate a checkpoint written by tools/train.py on one split and print the metric.

    python tools/eval.py                                    # quick CLUSTER, its best.pth
    python tools/eval.py --config CFG --checkpoint work_dirs/x/best.pth --split val
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from graphnorm.config import load_config, parse_overrides
from graphnorm.engine import evaluate_checkpoint

HERE = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = HERE / "configs" / "quick" / "gcn_learned_cluster.py"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="config used in training")
    parser.add_argument("--checkpoint", help="default: <work_dir>/best.pth of the config")
    parser.add_argument("--split", choices=["train", "val", "test"], default="test")
    parser.add_argument("--data-dir", help="dataset folder (real data, or Cora's parent)")
    parser.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    overrides = parse_overrides(args.cfg_options)
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    cfg = load_config(args.config, overrides)
    checkpoint = args.checkpoint or str(Path(cfg.work_dir) / "best.pth")
    result = evaluate_checkpoint(cfg, checkpoint, args.split)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
