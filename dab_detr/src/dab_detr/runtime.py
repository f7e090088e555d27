"""Config handling shared by the CLIs in ``tools/``: strict overrides, data roots, launcher."""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.registry import Registry

from .datasets.shapes import ShapesSpec, ensure_shapes_dataset

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the dab_detr/ subproject folder
DEFAULT_CONFIG = PACKAGE_ROOT / "configs" / "quick" / "dab-detr_r18-tiny_1xb4-12e_shapes.py"
DATALOADERS = ("train_dataloader", "val_dataloader", "test_dataloader")
EVALUATORS = ("val_evaluator", "test_evaluator")


class ConfigKeyError(KeyError):
    """An override names a key the config does not have."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


def check_overrides(cfg: Config, options: dict) -> None:
    """Reject ``--cfg-options`` whose path does not reach an existing config dict.

    mmengine merges unknown keys silently (a typo like ``train_cfg.max_epoch=3`` would only
    fail if some builder happens to receive it, after data preparation). Every prefix of the
    dotted path must exist; the last component may be new only inside a module's kwargs dict
    that has a ``type`` whose class accepts that keyword.
    """
    for key in options:
        node, parts = cfg._cfg_dict, key.split(".")
        for depth, part in enumerate(parts):
            if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
                continue
            if not isinstance(node, dict) or part not in node:
                is_last = depth == len(parts) - 1
                if is_last and isinstance(node, dict) and accepts_keyword(node["type"], part):
                    break
                where = ".".join(parts[:depth]) or "the top level"
                raise ConfigKeyError(f"--cfg-options {key}: no key '{part}' in {where} of "
                                     f"{cfg.filename}")
            node = node[part]


def accepts_keyword(type_name: object, keyword: str) -> bool:
    """Whether the registered class (or callable) ``type_name`` takes ``keyword``.

    Looks the name up in every mmdet registry (whose parents are mmengine's); an unknown name,
    or a signature with ``**kwargs``, is given the benefit of the doubt.
    """
    import mmdet.registry

    if callable(type_name):
        candidates = [type_name]
    else:
        registries = [r for r in vars(mmdet.registry).values() if isinstance(r, Registry)]
        candidates = [c for r in registries if (c := r.get(str(type_name))) is not None]
    if not candidates:
        return True
    for candidate in candidates:
        try:
            params = inspect.signature(candidate).parameters.values()
        except (TypeError, ValueError):
            return True
        if any(p.kind is p.VAR_KEYWORD or p.name == keyword for p in params):
            return True
    return False


def load_config(path: str | os.PathLike, options: dict | None = None,
                data_root: str | None = None) -> Config:
    cfg = Config.fromfile(str(path))
    if options:
        check_overrides(cfg, options)
        cfg.merge_from_dict(options)
    if data_root is not None:
        set_data_root(cfg, data_root)
    return cfg


def set_data_root(cfg: Config, data_root: str) -> None:
    """Point every dataloader and COCO evaluator at ``data_root`` (same relative layout)."""
    old_root = cfg.get("data_root")
    data_root = data_root.rstrip("/") + "/"
    for name in DATALOADERS:
        if name in cfg and cfg[name] is not None:
            cfg[name].dataset.data_root = data_root
    for name in EVALUATORS:
        evaluator = cfg.get(name)
        if evaluator and old_root and str(evaluator.get("ann_file", "")).startswith(old_root):
            evaluator.ann_file = data_root + evaluator.ann_file[len(old_root):]
    cfg.data_root = data_root


def prepare_embedded_data(cfg: Config) -> None:
    """Generate the embedded shapes set under each data root the config reads, if declared."""
    params = cfg.get("embedded_dataset")
    if not params:
        return
    params = dict(params)
    if params.pop("type") != "ShapesSpec":
        raise ValueError(f"embedded_dataset.type must be 'ShapesSpec', got {cfg.embedded_dataset}")
    spec = ShapesSpec(**params)
    roots = {cfg[name].dataset.data_root for name in DATALOADERS if cfg.get(name)}
    for root in sorted(roots):
        ensure_shapes_dataset(root, spec)


def set_launcher(cfg: Config, launcher: str) -> None:
    """mmengine launcher; gloo when there is no GPU (mmdet's runtime default is nccl).

    On a machine without a usable GPU, mmengine 0.10.7 cannot start a gloo run by itself: its
    ``_init_dist_pytorch`` calls ``torch.cuda.set_device(LOCAL_RANK)`` unconditionally, which a
    CUDA build of torch refuses without a driver, and it wraps the model in DDP with
    ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU modules. So the gloo group is created
    here (the Runner skips its own initialisation when a group exists) and the wrapper gets
    ``device_ids=None``.
    """
    cfg.launcher = launcher
    cfg.setdefault("env_cfg", {}).setdefault("dist_cfg", {})
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    cfg.env_cfg.dist_cfg.backend = backend
    if launcher == "pytorch" and backend == "gloo":
        cfg.model_wrapper_cfg = dict(type="MMDistributedDataParallel", device_ids=None)
        if not torch.distributed.is_initialized():
            torch.distributed.init_process_group(backend="gloo")


def default_work_dir(config_path: str | os.PathLike) -> str:
    return str(PACKAGE_ROOT / "work_dirs" / Path(config_path).stem)


def format_metrics(metrics: dict) -> str:
    return "  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in metrics.items())
