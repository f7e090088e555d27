"""CPU-scale reproduction of Hamming OCR's claims; writes the measured tables into README.md.

(a) parameters of classifier + token embedding, decoder and whole model, softmax MASTER vs
    Hamming OCR at paper scale (ResNet-31-GCA, d=512), vocabulary 100 / 1k / 6k / 20k;
(b) accuracy of Hamming OCR vs softmax MASTER trained with the same budget (quick configs) on the
    embedded Latin set (+ the real crops when present) and the embedded 20k-dictionary CJK set;
(c) decoder ablation on the Latin set: FFN on/off x layer sharing on/off, Hamming head throughout.

usage: python tools/reproduce.py [--sections a b c] [--max-iters N] [--no-readme]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from hamming_ocr.experiments import (
    parameter_rows,
    parameter_table,
    replace_section,
    train_and_evaluate,
)
from hamming_ocr.runner_utils import CONFIG_DIR, PROJECT_ROOT, WORK_DIR_ROOT

QUICK = CONFIG_DIR / 'quick'
ACCURACY_RUNS = {
    ('Latin', 'softmax MASTER'): QUICK / 'master_mini-resnet-gca_1xb32-1500it_synth-latin.py',
    ('Latin', 'Hamming OCR'): QUICK / 'hamming-ocr_mini-resnet-gca_1xb32-1500it_synth-latin.py',
    ('CJK 20k', 'softmax MASTER'): QUICK / 'master_mini-resnet-gca_1xb32-1500it_synth-cjk20k.py',
    ('CJK 20k', 'Hamming OCR'): QUICK / 'hamming-ocr_mini-resnet-gca_1xb32-1500it_synth-cjk20k.py',
}
ABLATION_RUNS = {  # (FFN, shared layers) -> config; (no FFN, shared) is the Latin Hamming run
    (False, True): ACCURACY_RUNS[('Latin', 'Hamming OCR')],
    (True, True): QUICK / 'ablation' / 'hamming-ocr-ffn_mini-resnet-gca_1xb32-1500it_synth-latin.py',
    (False, False):
        QUICK / 'ablation' / 'hamming-ocr-unshared_mini-resnet-gca_1xb32-1500it_synth-latin.py',
    (True, False):
        QUICK / 'ablation' / 'hamming-ocr-ffn-unshared_mini-resnet-gca_1xb32-1500it_synth-latin.py',
}
VOCAB_SIZES = (100, 1000, 6000, 20000)
METRICS = ('word_acc', 'word_acc_ignore_case_symbol', 'char_recall', 'char_precision')


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sections', nargs='+', choices=['a', 'b', 'c'], default=['a', 'b', 'c'])
    parser.add_argument('--max-iters', type=int,
                        help="training iterations per run (default: the configs' schedule)")
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
            runs[config] = train_and_evaluate(config, work_root / config.stem, args.max_iters)
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

    iters = {run['iters'] for run in runs.values()}
    footer = (f'\n\n_Measured by `python tools/reproduce.py'
              f"{' --max-iters ' + str(args.max_iters) if args.max_iters else ''}` "
              f'({time.perf_counter() - start:.0f} s in all'
              f"{', ' + '/'.join(map(str, sorted(iters))) + ' training iterations per run' if iters else ''}"
              f', seed 0)._')
    for name, table in sections:
        print(f'\n## {name}\n{table}{footer}')
        if not args.no_readme:
            replace_section(readme, name, table + footer)


if __name__ == '__main__':
    main()
