"""Shared fixtures: dictionaries, tiny rendered datasets, tool entrypoints."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch
from mmocr.models.common.dictionary import Dictionary
from mmocr.utils import register_all_modules

import hamming_ocr  # noqa: F401  (registers modules, allow-lists checkpoint globals)

PROJECT = Path(__file__).resolve().parent.parent
DICTS = PROJECT / 'dicts'
LATIN_DICT = DICTS / 'latin90.txt'
CJK_DICT = DICTS / 'cjk_20000.txt'
REAL_CROPS = PROJECT.parent.parent / 'shared' / 'data' / 'text_recognition'

register_all_modules(init_default_scope=True)
torch.set_num_threads(min(torch.get_num_threads(), 2))  # honours OMP_NUM_THREADS=1


def make_dictionary(dict_file: str | Path) -> Dictionary:
    """The dictionary configuration every config in this project uses."""
    return Dictionary(dict_file=str(dict_file), with_start=True, with_end=True,
                      same_start_end=True, with_padding=True, with_unknown=True)


def write_prefix_dict(path: Path, size: int) -> Path:
    """A dictionary file of the first ``size`` characters of the 20k CJK dictionary."""
    chars = CJK_DICT.read_text(encoding='utf-8').splitlines()[:size]
    path.write_text(''.join(c + '\n' for c in chars), encoding='utf-8')
    return path


def load_tool(name: str):
    """Import tools/<name>.py as a module (the tools are scripts, not package modules)."""
    spec = importlib.util.spec_from_file_location(f'hamming_ocr_tool_{name}',
                                                  PROJECT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def latin_dictionary() -> Dictionary:
    return make_dictionary(LATIN_DICT)


@pytest.fixture(scope='session')
def tiny_latin_root(tmp_path_factory) -> Path:
    """A tiny rendered Latin set (24 train / 8 test images) in mmocr's JSON format."""
    from hamming_ocr.datasets import RenderSpec, render_dataset

    root = tmp_path_factory.mktemp('data') / 'synth_latin'
    render_dataset(RenderSpec(dict_file=str(LATIN_DICT), num_train=24, num_test=8, seed=3), root)
    return root


def tiny_run_options(data_root: Path) -> list[str]:
    """--cfg-options turning the quick Latin config into a seconds-long run on ``data_root``."""
    options = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = f'{loader}.dataset.datasets.0'
        options += [f'{dataset}.data_root={data_root}', f'{dataset}.render.num_train=24',
                    f'{dataset}.render.num_test=8', f'{dataset}.render.seed=3',
                    f'{loader}.batch_size=4', f'{loader}.num_workers=0',
                    f'{loader}.persistent_workers=False']
    return options + ['train_cfg.max_iters=4', 'train_cfg.val_interval=4',
                      'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
                      'param_scheduler.0.end=2', 'param_scheduler.1.begin=2',
                      'param_scheduler.1.end=4']
