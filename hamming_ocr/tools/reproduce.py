"""CPU-scale reproduction of Hamming OCR's claims; writes the measured tables into README.md.

(a) parameters of classifier + token embedding, decoder and whole model, softmax MASTER vs
    Hamming OCR at paper scale (ResNet-31-GCA, d=512), vocabulary 100 / 1k / 6k / 20k;
(b) accuracy of Hamming OCR vs softmax MASTER trained with the same budget (quick configs) on the
    embedded Latin set (+ the real crops when present) and the embedded 20k-dictionary CJK set;
(c) decoder ablation on the Latin set: FFN on/off x layer sharing on/off, Hamming head throughout.

Budget: the 7 training runs of (b) and (c) share one budget, the same for every compared model:
by default the quick configs' own schedule, 2000 iterations at batch 32 (64k images, 6.4 passes
over the 10k rendered training images), which takes about 3.5 minutes a run on 2 CPU cores and so
about 25 minutes in all -- over the 15-minute target. Shorter budgets (--max-iters, the schedule's
warm-up and cosine decay are scaled to it) fit, but leave the models undertrained: in an
exploratory run of 800 iterations at batch 32 the Hamming model read no word (15 % char recall).

usage: python tools/reproduce.py [--sections a b c] [--max-iters N] [--batch-size B] [--no-readme]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from hamming_ocr.experiments import (
    parameter_rows,
    parameter_table,
    replace_section,
    train_and_evaluate,
)
from hamming_ocr.runner_utils import CONFIG_DIR, PROJECT_ROOT, WORK_DIR_ROOT

QUICK = CONFIG_DIR / 'quick'
ACCURACY_RUNS = {
    ('Latin', 'softmax MASTER'): QUICK / 'master_mini-resnet_1xb32-2000it_synth-latin.py',
    ('Latin', 'Hamming OCR'): QUICK / 'hamming-ocr_mini-resnet_1xb32-2000it_synth-latin.py',
    ('CJK 20k', 'softmax MASTER'): QUICK / 'master_mini-resnet_1xb32-2000it_synth-cjk20k.py',
    ('CJK 20k', 'Hamming OCR'): QUICK / 'hamming-ocr_mini-resnet_1xb32-2000it_synth-cjk20k.py',
}
ABLATION_RUNS = {  # (FFN, shared layers) -> config; (no FFN, shared) is the Latin Hamming run
    (False, True): ACCURACY_RUNS[('Latin', 'Hamming OCR')],
    (True, True): QUICK / 'ablation' / 'hamming-ocr-ffn_mini-resnet_1xb32-2000it_synth-latin.py',
    (False, False):
        QUICK / 'ablation' / 'hamming-ocr-unshared_mini-resnet_1xb32-2000it_synth-latin.py',
    (True, False):
        QUICK / 'ablation' / 'hamming-ocr-ffn-unshared_mini-resnet_1xb32-2000it_synth-latin.py',
}
VOCAB_SIZES = (100, 1000, 6000, 20000)
MAX_ITERS, BATCH_SIZE = 2000, 32  # the shared training budget (module docstring)
METRICS = ('word_acc', 'word_acc_ignore_case_symbol', 'char_recall', 'char_precision')


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sections', nargs='+', choices=['a', 'b', 'c'], default=['a', 'b', 'c'])
    parser.add_argument('--max-iters', type=int, default=MAX_ITERS,
                        help='training iterations per run')
    parser.add_argument('--batch-size', type=int, default=BATCH_SIZE,
                        help='training batch size of every run')
    parser.add_argument('--no-readme', action='store_true', help='print only')
    return parser.parse_args(argv)


def metric_cells(metrics: dict, prefix: str) -> str:
    values = [metrics.get(f'{prefix}/recog/{name}') for name in METRICS]
    return ' | '.join('n/a' if v is None else f'{v:.3f}' for v in values)


def accuracy_table(results: dict) -> str:
    lines = ['| data | model | test set | params (cls+emb) | word acc | word acc (case/symbol '
             'insens.) | char recall | char precision | train time (s) |',
             '|---|---|---|---:|---:|---:|---:|---:|---:|']
    for (data, model), run in results.items():
        prefixes = sorted({key.split('/')[0] for key in run['metrics']},
                          key=lambda p: (p == 'RealCrops', p))
        for prefix in prefixes:
            lines.append(f"| {data} | {model} | {prefix} | {run['params']:,} ({run['head']:,}) | "
                         f"{metric_cells(run['metrics'], prefix)} | {run['train_s']:.0f} |")
    return '\n'.join(lines)


def ablation_table(results: dict) -> str:
    lines = ['| FFN | shared layers | decoder params | word acc | word acc (case/symbol '
             'insens.) | char recall | char precision | train time (s) |',
             '|---|---|---:|---:|---:|---:|---:|---:|']
    for (ffn, shared), run in results.items():
        lines.append(f"| {'on' if ffn else 'off'} | {'yes' if shared else 'no'} | "
                     f"{run['decoder']:,} | {metric_cells(run['metrics'], 'SynthLatin')} | "
                     f"{run['train_s']:.0f} |")
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    readme = PROJECT_ROOT / 'README.md'
    work_root = WORK_DIR_ROOT / 'reproduce'
    start = time.perf_counter()
    runs: dict[Path, dict] = {}

    def run(config: Path) -> dict:
        if config not in runs:
            print(f'\n### training {config.relative_to(PROJECT_ROOT)}', flush=True)
            runs[config] = train_and_evaluate(config, work_root / config.stem, args.max_iters,
                                              args.batch_size)
        return runs[config]

    sections = []
    if 'a' in args.sections:
        table = parameter_table(parameter_rows(VOCAB_SIZES))
        sections.append(('reproduce-params', table))
    if 'b' in args.sections:
        table = accuracy_table({key: run(config) for key, config in ACCURACY_RUNS.items()})
        sections.append(('reproduce-accuracy', table))
    if 'c' in args.sections:
        table = ablation_table({key: run(config) for key, config in ABLATION_RUNS.items()})
        sections.append(('reproduce-ablation', table))

    budget = (f', {args.max_iters} iterations at batch {args.batch_size} per run' if runs
              else '')
    options = ''.join(f' --{name.replace("_", "-")} {value}' for name, value, default in (
        ('max_iters', args.max_iters, MAX_ITERS), ('batch_size', args.batch_size, BATCH_SIZE))
        if value != default)
    if args.sections != ['a', 'b', 'c']:
        options = ' --sections ' + ' '.join(args.sections) + options
    footer = (f'\n\n_Measured by `python tools/reproduce.py{options}` '
              f'({time.perf_counter() - start:.0f} s in all{budget}, '
              f'{torch.get_num_threads()} CPU threads, seed 0)._')
    for name, table in sections:
        print(f'\n## {name}\n{table}{footer}')
        if not args.no_readme:
            replace_section(readme, name, table + footer)


if __name__ == '__main__':
    main()
