"""Train a GNN with learned graph normalization on one task and print its test metric.

    python tools/train.py                                   # quick CLUSTER run on CPU
    python tools/train.py --config configs/quick/gatedgcn_learned_graph-reg.py
    python tools/train.py --cfg-options norm=graph seed=1   # override any config key
    torchrun --nproc_per_node 2 tools/train.py --launcher pytorch --config ...
"""

from __future__ import annotations

import argparse
from pathlib import Path

from graphnorm.config import load_config, parse_overrides
from graphnorm.engine import train

HERE = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = HERE / "configs" / "quick" / "gcn_learned_cluster.py"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="config file")
    parser.add_argument("--launcher", choices=["none", "pytorch"], default="none",
                        help="'pytorch': DDP with the process group from torchrun's env")
    parser.add_argument("--work-dir", help="where checkpoints and result.json go")
    parser.add_argument("--data-dir", help="dataset folder (real data, or Cora's parent)")
    parser.add_argument("--resume", action="store_true", help="continue from work_dir/last.pth")
    parser.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE",
                        help="override config keys, e.g. norm=batch num_graphs=[100,20,20]")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    overrides = parse_overrides(args.cfg_options)
    if args.work_dir:
        overrides["work_dir"] = args.work_dir
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    cfg = load_config(args.config, overrides)
    return train(cfg, launcher=args.launcher, resume=args.resume)


if __name__ == "__main__":
    main()
