"""Config and Runner helpers shared by tools/train.py, eval.py, reproduce.py and bench.py."""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / 'configs'
WORK_DIR_ROOT = PROJECT_ROOT / 'work_dirs'
DEFAULT_CONFIG = CONFIG_DIR / 'quick' / 'hamming-ocr_mini-resnet_1xb32-2000it_synth-latin.py'


def _has_key(cfg: Config, dotted: str) -> bool:
    node = cfg._cfg_dict
    for part in dotted.split('.'):
        if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return True


def load_config(path: str | os.PathLike, cfg_options: dict | None = None) -> Config:
    """Load a config; ``--cfg-options`` may only override keys that exist (typos are errors).

    The config is re-created with ``format_python_code=False`` (``Config.fromfile`` of mmengine
    0.10.7 drops that argument for ordinary config files): the Runner renders the config as text
    for the log, the dumped config and every checkpoint's meta, and yapf-formatting our configs
    took ~2 s per rendering on 2 cores, most of a short run's wall time. The unformatted text
    loads the same.
    """
    loaded = Config.fromfile(str(path))
    cfg = Config(loaded.to_dict(), cfg_text=loaded.text, filename=loaded.filename,
                 format_python_code=False)
    if cfg_options:
        unknown = [key for key in cfg_options if not _has_key(cfg, key)]
        if unknown:
            raise KeyError(f'--cfg-options key(s) {unknown} do not exist in {path}')
        cfg.merge_from_dict(cfg_options)
    return cfg


def default_work_dir(config_path: str | os.PathLike) -> str:
    return str(WORK_DIR_ROOT / Path(config_path).stem)


def configure_launcher(cfg: Config, launcher: str) -> None:
    """mmengine launcher: 'none' or 'pytorch' (torchrun env); nccl with CUDA, gloo on CPU.

    Without a usable GPU, mmengine 0.10.7 needs two work-arounds: its ``_init_dist_pytorch`` calls
    ``torch.cuda.set_device(LOCAL_RANK)`` unconditionally (raises without an NVIDIA driver), so the
    gloo process group is created here (the Runner skips its own initialisation when one exists);
    and it wraps the model in DDP with ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU
    modules, so the wrapper config sets ``device_ids=None``.
    """
    cfg.launcher = launcher
    backend = 'nccl' if torch.cuda.is_available() else 'gloo'
    cfg.env_cfg.dist_cfg = dict(backend=backend)
    if launcher == 'pytorch' and backend == 'gloo':
        cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None,
                                     broadcast_buffers=False)
        if not torch_dist.is_initialized():
            torch_dist.init_process_group(backend='gloo')


def set_max_iters(cfg: Config, max_iters: int) -> None:
    """Shorten/lengthen an iteration-based schedule consistently (loop, LR decay, checkpoint).

    Schedulers that ran to the old end (the decay) now run to the new one; the others (warm-up)
    keep their length unless the new schedule is shorter.
    """
    old_iters = cfg.train_cfg.max_iters
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    cfg.default_hooks.checkpoint.interval = max_iters
    for scheduler in cfg.param_scheduler:
        if scheduler.get('end', old_iters) >= old_iters or scheduler.end > max_iters:
            scheduler.end = max_iters
        if scheduler.get('begin', 0) >= max_iters:
            scheduler.begin = 0
    cfg.param_scheduler = [s for s in cfg.param_scheduler if s.get('end', 1) > s.get('begin', 0)]


def optional_test_sets(cfg: Config) -> tuple[dict[str, dict], list[str]]:
    """The config's ``optional_test_sets`` whose data are present, and messages for the rest."""
    present, skipped = {}, []
    for prefix, dataset in (cfg.get('optional_test_sets') or {}).items():
        if Path(dataset['data_root'], dataset['ann_file']).is_file():
            present[prefix] = dataset
        else:
            skipped.append(f"{prefix}: skipped, {dataset['data_root']} not found")
    return present, skipped


def configured_test_sets(cfg: Config) -> dict[str, dict]:
    """``{prefix: dataset_cfg}`` of the config's test split (a ConcatDataset with prefixes)."""
    return dict(zip(cfg.test_evaluator.dataset_prefixes, cfg.test_dataloader.dataset.datasets,
                    strict=True))


def use_test_sets(cfg: Config, datasets: dict[str, dict]) -> None:
    """Point the test dataloader/evaluator at ``{prefix: dataset_cfg}``."""
    cfg.test_dataloader.dataset.datasets = list(datasets.values())
    # the rendered sets record their renderer (fingerprint, fonts) in metainfo and real crops do
    # not; the recognition metrics read no metainfo, so differing metainfo is no error here
    cfg.test_dataloader.dataset.verify_meta = False
    cfg.test_evaluator = dict(cfg.test_evaluator, dataset_prefixes=list(datasets))


class KeepMetricsHook(Hook):
    """Remembers the metrics of the last validation and test runs."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self.val_metrics: dict = {}
        self.test_metrics: dict = {}

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.val_metrics = dict(metrics or {})

    def after_test_epoch(self, runner, metrics=None) -> None:
        self.test_metrics = dict(metrics or {})


def build_runner(cfg: Config) -> tuple[Runner, KeepMetricsHook]:
    runner = Runner.from_cfg(cfg)
    keeper = KeepMetricsHook()
    runner.register_hook(keeper)
    return runner, keeper


def format_metrics(metrics: dict) -> str:
    """One line per dataset prefix: 'prefix  word_acc=...  char_recall=...'."""
    rows: dict[str, list[str]] = {}
    for key, value in sorted(metrics.items()):
        prefix, _, name = key.rpartition('/')
        prefix = prefix.replace('/recog', '') or 'all'
        rows.setdefault(prefix, []).append(f'{name}={value:.4f}')
    return '\n'.join(f'  {prefix:<12} ' + '  '.join(values) for prefix, values in rows.items())
