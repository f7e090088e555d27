"""Typed training config, loaded from YAML with ``_base_`` inheritance and dotted overrides.

Unknown keys are errors, in files and in overrides alike. Defaults are the official recipe
(IDEA-Research/LipsFormer config.py + main.py) with the paper's 300 epochs.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # the lipsformer/ folder (src layout)
DEFAULT_CONFIG = (
    PACKAGE_ROOT / "configs" / "quick" / "lipsformer_swin_micro_1xb64-12e_shapes32.yaml"
)


class ConfigError(ValueError):
    pass


@dataclass
class ModelConfig:
    name: str = "lipsformer_swin_tiny"  # any timm model name; lipsformer_* are registered here
    kwargs: dict[str, Any] = field(default_factory=dict)  # forwarded to timm.create_model


@dataclass
class DataConfig:
    root: str = "data/shapes32"  # ImageFolder root with train/ and val/ (relative: to lipsformer/)
    generate_default: bool = True  # build the embedded default dataset at `root` if it is missing
    img_size: int = 224
    batch_size: int = 128  # per process; the LR is scaled with the global batch
    workers: int = 8
    scale: tuple[float, float] = (0.08, 1.0)  # RandomResizedCrop area range
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    hflip: float = 0.5
    auto_augment: str | None = "rand-m9-mstd0.5-inc1"
    color_jitter: float = 0.4
    reprob: float = 0.25  # random erasing
    interpolation: str = "bicubic"
    crop_pct: float = 0.875  # eval: resize to img_size / crop_pct, centre crop
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    mixup: float = 0.8  # mixup alpha (0 disables)
    cutmix: float = 1.0  # cutmix alpha (0 disables)
    mixup_prob: float = 1.0
    mixup_switch_prob: float = 0.5
    mixup_mode: str = "batch"
    label_smoothing: float = 0.1


@dataclass
class OptimConfig:
    lr: float | None = None  # absolute peak LR; None: lr_base * global_batch / lr_base_batch
    lr_base: float = 5e-4
    lr_base_batch: int = 512
    min_lr_base: float = 5e-6  # end of the cosine, scaled like the peak LR
    betas: tuple[float, float] = (0.9, 0.98)  # official since commit 33af806 (was 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.05
    weight_decay_1d: float = 5e-4  # official: 1-D params, biases, rel-pos tables get 5e-4, not 0
    clip_grad: float | None = 5.0


@dataclass
class ScheduleConfig:
    epochs: int = 300  # the paper's 300 (the official CLI silently defaults to 100)
    warmup_epochs: float = 0.0  # LipsFormer trains without warmup
    warmup_lr: float = 5e-7
    max_steps_per_epoch: int | None = None  # cap for smoke runs
    stop_at_epoch: int | None = None  # end this run early (time-limited jobs); resume continues


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    amp: bool | None = None  # None: on with CUDA, off on CPU
    amp_dtype: str = "float16"
    ema: bool = False
    ema_decay: float = 0.9999
    grad_checkpointing: bool = False
    work_dir: str | None = None  # None: work_dirs/<config stem>
    log_interval: int = 50
    eval_interval: int = 1  # epochs
    log_lipschitz: bool = True  # alpha / CenterNorm gain / sigma_max to TensorBoard each epoch
    stop_on_divergence: bool = True  # a non-finite loss ends the run (recorded as diverged)
    threads: int | None = None  # torch intra-op threads on CPU (None: leave torch's default)


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _coerce(value: Any, tp: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], where)
    if _is_dataclass_type(tp):
        return _build(tp, value, where)
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(typing.get_args(tp)):
            raise ConfigError(
                f"{where}: expected a list of {len(typing.get_args(tp))} values, got {value!r}"
            )
        return tuple(_coerce(v, t, where) for v, t in zip(value, typing.get_args(tp), strict=True))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if tp is float and not isinstance(value, bool):
        if isinstance(value, (int, float)):
            return float(value)
        try:  # YAML 1.1 reads "1e-3" (no dot) as a string
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    if (
        tp in (int, str, bool)
        and not isinstance(value, tp)
        or (tp is int and isinstance(value, bool))
    ):
        raise ConfigError(f"{where}: expected {tp.__name__}, got {value!r}")
    return value


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(
            f"unknown config key(s) {[prefix + k for k in unknown]}; "
            f"known under {where or 'top level'}: {names}"
        )
    default = cls()
    kwargs = {}
    for name in names:
        key = f"{where}.{name}" if where else name
        kwargs[name] = (
            _coerce(data[name], hints[name], key) if name in data else getattr(default, name)
        )
    return cls(**kwargs)


def _deep_merge(base: dict, update: dict) -> dict:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "kwargs":
            out[key] = _deep_merge(out[key], value)
        elif isinstance(value, dict) and key == "kwargs" and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads exponent floats without a dot (``1e-6``, ``5e-4``) as floats.

    PyYAML follows YAML 1.1, where those are strings; a kwarg such as ``qk_eps=1e-6`` would then
    reach the model as the string "1e-06".
    """


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _load_yaml(text: str):
    return yaml.load(text, Loader=_Loader)  # noqa: S506  (a SafeLoader subclass)


def _read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    path = path.resolve()
    if path in seen:
        raise ConfigError(f"_base_ cycle through {path}")
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    data = _load_yaml(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    base = data.pop("_base_", None)
    if base is None:
        return data
    return _deep_merge(_read_yaml(path.parent / base, seen + (path,)), data)


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """``section.key=value`` pairs with YAML values, e.g. ``optim.lr=1e-3``."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not of the form key=value")
        dotted, raw = item.split("=", 1)
        keys = dotted.split(".")
        node = data
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {k} is not a section")
        node[keys[-1]] = _load_yaml(raw)
    return data


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> TrainConfig:
    data = _read_yaml(Path(path)) if path else {}
    data = apply_overrides(data, overrides or [])
    cfg = _build(TrainConfig, data, "")
    if cfg.work_dir is None:
        cfg.work_dir = str(Path("work_dirs") / (Path(path).stem if path else "default"))
    return cfg


def to_dict(cfg: TrainConfig) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def resolve_path(path: str) -> Path:
    """Relative data/work paths are relative to the lipsformer/ folder, not the caller's cwd."""
    p = Path(path)
    return p if p.is_absolute() else PACKAGE_ROOT / p
