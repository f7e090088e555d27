"""Measurements behind tools/reproduce.py and tools/bench.py: parameter counts, same-budget
training runs, inference throughput, and writing tables into the README."""

from __future__ import annotations

import re
import resource
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.structures import LabelData
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample

from .runner_utils import (
    CONFIG_DIR,
    PROJECT_ROOT,
    build_runner,
    configure_launcher,
    configured_test_sets,
    load_config,
    optional_test_sets,
    set_max_iters,
    use_test_sets,
)

CJK_DICT = PROJECT_ROOT / 'dicts' / 'cjk_20000.txt'
PAPER_HAMMING = CONFIG_DIR / 'hamming-ocr_resnet31-gca_1xb64-12e_synth-cjk20k.py'
PAPER_SOFTMAX = CONFIG_DIR / 'master_resnet31-gca_1xb64-12e_synth-cjk20k.py'


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def size_mb(module: torch.nn.Module) -> float:
    """Bytes of the state dict (parameters and buffers such as the code table), in MB."""
    return sum(t.numel() * t.element_size() for t in module.state_dict().values()) / 2**20


def prefix_dictionary(directory: Path, vocab_size: int) -> str:
    """Dictionary file holding the first ``vocab_size`` characters of the 20k CJK dictionary."""
    chars = CJK_DICT.read_text(encoding='utf-8').splitlines()[:vocab_size]
    if len(chars) < vocab_size:
        raise ValueError(f'{CJK_DICT} has only {len(chars)} characters')
    path = directory / f'vocab_{vocab_size}.txt'
    path.write_text(''.join(c + '\n' for c in chars), encoding='utf-8')
    return str(path)


def build_with_vocab(config: Path, dict_file: str) -> torch.nn.Module:
    cfg = Config.fromfile(str(config))
    cfg.model.decoder.dictionary.dict_file = dict_file
    return MODELS.build(cfg.model)


def parameter_rows(vocab_sizes: Sequence[int]) -> list[dict]:
    """Per vocabulary size: classifier+embedding, decoder and whole-model parameters and size,
    for the paper-scale softmax MASTER and Hamming OCR models (same backbone)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for vocab in vocab_sizes:
            dict_file = prefix_dictionary(Path(tmp), vocab)
            row = dict(vocab=vocab)
            for name, config in (('softmax', PAPER_SOFTMAX), ('hamming', PAPER_HAMMING)):
                model = build_with_vocab(config, dict_file)
                decoder = model.decoder
                row[name] = dict(head=count(decoder.classifier) + count(decoder.embedding),
                                 decoder=count(decoder), model=count(model),
                                 mb=size_mb(model))
            rows.append(row)
    return rows


def parameter_table(rows: list[dict]) -> str:
    lines = ['| vocab V | softmax cls+emb | Hamming cls+emb | softmax decoder | Hamming decoder '
             '| softmax model (MB) | Hamming model (MB) |',
             '|---:|---:|---:|---:|---:|---:|---:|']
    for row in rows:
        s, h = row['softmax'], row['hamming']
        lines.append(f"| {row['vocab']:,} | {s['head']:,} | {h['head']:,} | {s['decoder']:,} | "
                     f"{h['decoder']:,} | {s['model']:,} ({s['mb']:.1f}) | "
                     f"{h['model']:,} ({h['mb']:.1f}) |")
    return '\n'.join(lines)


def train_and_evaluate(config: Path, work_dir: Path, max_iters: int | None = None,
                       batch_size: int | None = None) -> dict:
    """Train a config (optionally with another iteration budget and batch size), then test on its
    test split and its optional test sets; returns {'metrics': ..., 'train_s': ..., ...}."""
    cfg = load_config(config)
    cfg.work_dir = str(work_dir)
    configure_launcher(cfg, 'none')
    if max_iters is not None:
        set_max_iters(cfg, max_iters)
    if batch_size is not None:
        cfg.train_dataloader.batch_size = batch_size
    # validation is the same held-out split as the test below; run it once, at the end
    cfg.train_cfg.val_interval = cfg.train_cfg.max_iters + 1
    cfg.default_hooks.logger.interval = max(cfg.train_cfg.max_iters // 4, 1)
    extra_sets, _ = optional_test_sets(cfg)
    use_test_sets(cfg, {**configured_test_sets(cfg), **extra_sets})
    runner, keeper = build_runner(cfg)
    start = time.perf_counter()
    runner.train()
    train_s = time.perf_counter() - start
    runner.test()
    model = runner.model
    return dict(metrics=keeper.test_metrics, train_s=train_s, params=count(model),
                head=count(model.decoder.classifier) + count(model.decoder.embedding),
                decoder=count(model.decoder), iters=cfg.train_cfg.max_iters)


def replace_section(readme: Path, name: str, body: str) -> None:
    """Replace the text between ``<!-- {name}:begin -->`` and ``<!-- {name}:end -->``."""
    text = readme.read_text(encoding='utf-8')
    pattern = re.compile(rf'(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)', re.S)
    if not pattern.search(text):
        raise ValueError(f'{readme} has no <!-- {name}:begin/end --> markers')
    readme.write_text(pattern.sub(lambda m: m.group(1) + body.rstrip() + '\n' + m.group(2),
                                  text), encoding='utf-8')


def measure_inference(config: str, dict_file: str, batch_size: int, batches: int,
                      device: str, threads: int) -> dict:
    """Greedy inference throughput and peak memory of one model; run it in a fresh process so
    that the peak resident set size belongs to this model alone.

    Every image is decoded for the full ``max_seq_len`` steps (early exit off), so untrained
    weights time the same work as trained ones.
    """
    torch.set_num_threads(threads)
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model = build_with_vocab(Path(config), dict_file).to(device).eval()
    model.decoder.early_exit = False
    cfg = Config.fromfile(config)
    steps = {step['type']: step for step in cfg.test_pipeline}
    height, width = steps['RescaleToHeight']['height'], steps['PadToWidth']['width']

    def batch() -> list:
        samples = []
        for _ in range(batch_size):
            sample = TextRecogDataSample(metainfo=dict(valid_ratio=1.0))
            sample.gt_text = LabelData(item='')
            samples.append(sample)
        return samples

    generator = torch.Generator().manual_seed(0)
    images = torch.randn(batch_size, 3, height, width, generator=generator).to(device)
    images = images.contiguous(memory_format=torch.channels_last)
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    with torch.no_grad():
        model(images, batch(), mode='predict')  # warm-up
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(batches):
            model(images, batch(), mode='predict')
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = dict(images_per_s=batch_size * batches / elapsed,
                  peak_rss_mb=peak_kb / 1024, model_rss_mb=(peak_kb - baseline_kb) / 1024,
                  params=count(model), size_mb=size_mb(model))
    if device.startswith('cuda'):
        result['peak_cuda_mb'] = torch.cuda.max_memory_allocated() / 2**20
    return result
