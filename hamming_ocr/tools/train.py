"""Train a Hamming OCR (or baseline) config with the mmengine Runner.

With no arguments: trains the quick Hamming OCR config on the embedded Latin set (rendered under
data/ on first use) on CPU, validates on its held-out split, then tests on the real word crops of
../shared/data/text_recognition when they exist, and prints mmocr WordMetric/CharMetric.

usage: python tools/train.py [--config PATH] [--work-dir DIR] [--resume [CKPT]]
                             [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch}]
multi-process: python -m torch.distributed.run --nproc_per_node N tools/train.py --launcher pytorch
"""

from __future__ import annotations

import argparse
import sys

from mmengine.config import DictAction

from hamming_ocr.runner_utils import (
    DEFAULT_CONFIG,
    build_runner,
    configure_launcher,
    default_work_dir,
    format_metrics,
    load_config,
    optional_test_sets,
    use_test_sets,
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=str(DEFAULT_CONFIG), help='config file')
    parser.add_argument('--work-dir', help='default: work_dirs/<config name>')
    parser.add_argument('--resume', nargs='?', const='auto',
                        help='resume from CKPT, or from the latest checkpoint of the work dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override existing config keys, e.g. train_cfg.max_iters=100')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none',
                        help="'pytorch': one process per torchrun rank (gloo on CPU)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Train; return {'val': metrics on the held-out split, 'test': metrics on extra sets}."""
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    cfg.work_dir = args.work_dir or default_work_dir(args.config)
    configure_launcher(cfg, args.launcher)
    if args.resume:
        cfg.resume = True
        cfg.load_from = None if args.resume == 'auto' else args.resume

    extra_sets, skipped = optional_test_sets(cfg)
    if extra_sets:
        use_test_sets(cfg, extra_sets)

    runner, keeper = build_runner(cfg)
    runner.train()
    if extra_sets:
        runner.test()
    if runner.rank == 0:
        print('\n==== results (mmocr WordMetric / CharMetric) ====')
        print('held-out split:\n' + format_metrics(keeper.val_metrics))
        if extra_sets:
            print('extra test sets:\n' + format_metrics(keeper.test_metrics))
        for message in skipped:
            print('  ' + message)
        sys.stdout.flush()
    return dict(val=keeper.val_metrics, test=keeper.test_metrics)


if __name__ == '__main__':
    main()
