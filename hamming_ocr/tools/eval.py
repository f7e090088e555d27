"""Evaluate a checkpoint with mmocr WordMetric/CharMetric on the config's test split, plus the
config's optional test sets (the real word crops of ../shared/data) when present.

usage: python tools/eval.py [--config PATH] [--checkpoint CKPT] [--work-dir DIR]
                            [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch}]
Without --checkpoint, the latest checkpoint of work_dirs/<config name>/ (what tools/train.py with
the same config wrote) is used.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mmengine.config import DictAction
from mmengine.runner import find_latest_checkpoint

from hamming_ocr.runner_utils import (
    DEFAULT_CONFIG,
    build_runner,
    configure_launcher,
    configured_test_sets,
    default_work_dir,
    format_metrics,
    load_config,
    optional_test_sets,
    use_test_sets,
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=str(DEFAULT_CONFIG), help='config file')
    parser.add_argument('--checkpoint', help='default: latest checkpoint of the work dir')
    parser.add_argument('--work-dir', help='default: work_dirs/<config name>')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override existing config keys')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    cfg.work_dir = args.work_dir or default_work_dir(args.config)
    configure_launcher(cfg, args.launcher)
    checkpoint = args.checkpoint or find_latest_checkpoint(cfg.work_dir)
    if checkpoint is None:
        raise FileNotFoundError(f'no checkpoint given and none found in {cfg.work_dir}; train '
                                'first (tools/train.py) or pass --checkpoint')
    if not Path(checkpoint).is_file():
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
    cfg.load_from = checkpoint

    extra_sets, skipped = optional_test_sets(cfg)
    use_test_sets(cfg, {**configured_test_sets(cfg), **extra_sets})

    runner, keeper = build_runner(cfg)
    runner.test()
    if runner.rank == 0:
        print(f'\n==== {checkpoint} (mmocr WordMetric / CharMetric) ====')
        print(format_metrics(keeper.test_metrics))
        for message in skipped:
            print('  ' + message)
    return keeper.test_metrics


if __name__ == '__main__':
    main()
