"""Inference throughput and peak memory: Hamming OCR vs the softmax MASTER baseline, both at
paper scale (ResNet-31-GCA, d=512, 48x160 inputs) with the 20,000-character dictionary, measured
in the same run; prints ratios Hamming / softmax.

Each measurement runs in a fresh process (peak resident memory is per process); every image is
decoded for the full max_seq_len = 30 greedy steps.

usage: python tools/bench.py [--device cpu|cuda] [--batch-size B] [--batches N] [--threads T]
                           [--repeats R]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
from concurrent.futures import ProcessPoolExecutor

import torch

from hamming_ocr.experiments import CJK_DICT, PAPER_HAMMING, PAPER_SOFTMAX, measure_inference


def worker(config: str, batch_size: int, batches: int, device: str, threads: int) -> dict:
    from mmocr.utils import register_all_modules

    import hamming_ocr  # noqa: F401  (registers the models in the fresh process)

    register_all_modules()
    return measure_inference(config, str(CJK_DICT), batch_size, batches, device, threads)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--batches', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2, help='CPU threads per measurement')
    parser.add_argument('--repeats', type=int, default=3,
                        help='fresh-process measurements per model, alternating')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    context = multiprocessing.get_context('spawn')
    models = (('softmax (MASTER)', PAPER_SOFTMAX), ('Hamming OCR', PAPER_HAMMING))
    runs: dict[str, list[dict]] = {name: [] for name, _ in models}
    # the two models alternate, each measurement in a fresh process, so that a change in machine
    # load during the run does not fall on one model only; the table gives the medians
    for _ in range(args.repeats):
        for name, config in models:
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                runs[name].append(pool.submit(worker, str(config), args.batch_size, args.batches,
                                              args.device, args.threads).result())
    results = {name: {key: statistics.median(r[key] for r in measured)
                      for key in measured[0]} for name, measured in runs.items()}
    softmax, hamming = results['softmax (MASTER)'], results['Hamming OCR']
    memory_key = 'peak_cuda_mb' if args.device.startswith('cuda') else 'model_rss_mb'
    memory_name = 'peak CUDA memory (MB)' if memory_key == 'peak_cuda_mb' \
        else 'peak RSS above import baseline (MB)'
    print(f'\nvocabulary 20,000 (+3 special tokens); device {args.device}; batch '
          f'{args.batch_size} x {args.batches} batches; 30 decoding steps per image; median of '
          f'{args.repeats} alternating fresh-process runs')
    print(f"| model | params | state dict (MB) | images/s | {memory_name} |")
    print('|---|---:|---:|---:|---:|')
    for name, r in results.items():
        print(f"| {name} | {r['params']:,} | {r['size_mb']:.1f} | {r['images_per_s']:.2f} | "
              f"{r[memory_key]:.0f} |")
    print(f"| ratio Hamming / softmax | {hamming['params'] / softmax['params']:.3f} | "
          f"{hamming['size_mb'] / softmax['size_mb']:.3f} | "
          f"{hamming['images_per_s'] / softmax['images_per_s']:.3f} | "
          f"{hamming[memory_key] / softmax[memory_key]:.3f} |")
    return results


if __name__ == '__main__':
    main()
