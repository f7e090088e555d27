"""Run configuration: a dataclass filled from a pure-Python config file plus CLI overrides.

A config file assigns module-level names (``hidden = 70``); ``_base_ = "other.py"`` (relative
to the file) inherits another config first. Names that are not fields of :class:`Config` are
an error, as are override keys that are not fields.
"""

from __future__ import annotations

import ast
import dataclasses
import runpy
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .norm import ADJACENCY_STATS, DENOMINATORS, LAMBDA_PARAMS, NORM_MODES

TASKS = ("cluster", "pattern", "cora", "link", "graph_cls", "graph_reg")
MODELS = ("gcn", "gat", "gatedgcn")


@dataclass
class Config:
    # ------------------------------------------------------------------ task and data
    task: str = "cluster"
    data_root: str = "data"  # generated datasets: <data_root>/<NAME>-<sizes>-seed<seed>/
    data_dir: str = ""  # explicit dataset folder (real data); Cora: the folder with Cora/raw
    data_seed: int = 0  # generator seed; the same seed regenerates the same graphs
    num_graphs: tuple[int, int, int] = (10000, 1000, 1000)  # train / val / test (generated)
    # ------------------------------------------------------------------ model
    model: str = "gatedgcn"
    norm: str | tuple[str, ...] = "learned"  # one name, or one per layer
    lambda_param: str = "softmax"  # normalisation of the λ weights (paper: sum; code: softmax)
    denominator: str = "std"  # graph/adjacency-wise: "std" = unbiased std + eps (official)
    adjacency_stats: str = "pooled"  # "pooled" over channels (official) or per "channel"
    edge_norm: bool = True  # GatedGCN also normalizes its edge features (official layer)
    num_layers: int = 4  # L
    hidden: int = 70
    heads: int = 8  # GAT attention heads; hidden must be divisible by it
    dropout: float = 0.0
    residual: bool = True
    # ------------------------------------------------------------------ optimisation
    epochs: int = 1000
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    lr_reduce_factor: float = 0.5  # ReduceLROnPlateau on the validation loss
    lr_patience: int = 10
    min_lr: float = 1e-5  # training stops once the learning rate falls below this
    seed: int = 41
    # torch intra-op threads (0: torch's default). One thread: on a shared 2-core machine
    # two threads per process made scatter-heavy steps several times slower, not faster.
    num_threads: int = 1
    work_dir: str = ""  # default: work_dirs/<config file stem>

    def validate(self) -> Config:
        def check(name: str, value: Any, choices: tuple) -> None:
            if value not in choices:
                raise ValueError(f"config: {name}={value!r} is not one of {choices}")

        check("task", self.task, TASKS)
        check("model", self.model, MODELS)
        check("lambda_param", self.lambda_param, LAMBDA_PARAMS)
        check("denominator", self.denominator, DENOMINATORS)
        check("adjacency_stats", self.adjacency_stats, ADJACENCY_STATS)
        for name in self.layer_norms():
            check("norm", name, NORM_MODES + ("none",))
        if len(self.layer_norms()) != self.num_layers:
            raise ValueError(
                f"config: norm lists {len(self.layer_norms())} entries for "
                f"num_layers={self.num_layers}"
            )
        if self.model == "gat" and self.hidden % self.heads:
            raise ValueError(f"config: hidden={self.hidden} not divisible by heads={self.heads}")
        if len(self.num_graphs) != 3 or min(self.num_graphs) < 1:
            raise ValueError(f"config: num_graphs={self.num_graphs} must be 3 positive counts")
        return self

    def layer_norms(self) -> tuple[str, ...]:
        if isinstance(self.norm, str):
            return (self.norm,) * self.num_layers
        return tuple(self.norm)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


FIELDS = {f.name: f for f in dataclasses.fields(Config)}


def _coerce(key: str, value: Any) -> Any:
    """Check ``value`` against the type of field ``key`` (lists become tuples)."""
    default = FIELDS[key].default
    if isinstance(value, list):
        value = tuple(value)
    if key == "norm":
        ok = isinstance(value, str) or (
            isinstance(value, tuple) and all(isinstance(v, str) for v in value)
        )
    elif isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, tuple):
        ok = isinstance(value, tuple) and all(isinstance(v, int) for v in value)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise TypeError(f"config: {key}={value!r} has the wrong type for {type(default).__name__}")
    return value


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    namespace = runpy.run_path(str(path))
    values: dict[str, Any] = {}
    base = namespace.get("_base_")
    if base is not None:
        values.update(_read_file((path.parent / base).resolve()))
    for key, value in namespace.items():
        if key.startswith("_") or isinstance(value, types.ModuleType) or callable(value):
            continue
        if key not in FIELDS:
            raise KeyError(f"{path}: unknown config key {key!r}; known keys: {sorted(FIELDS)}")
        values[key] = _coerce(key, value)
    return values


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["lr=0.01", "norm=batch", "num_graphs=[10,2,2]"]`` -> typed dict (unknown keys raise)."""
    values: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ValueError(f"override {item!r} is not KEY=VALUE")
        if key not in FIELDS:
            raise KeyError(f"unknown config key {key!r}; known keys: {sorted(FIELDS)}")
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
        values[key] = _coerce(key, value)
    return values


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Defaults, then the file (and its bases), then ``overrides``; validated."""
    values: dict[str, Any] = {}
    if path is not None:
        path = Path(path).resolve()
        values.update(_read_file(path))
        values.setdefault("work_dir", str(Path("work_dirs") / path.stem))
    for key, value in (overrides or {}).items():
        if key not in FIELDS:
            raise KeyError(f"unknown config key {key!r}; known keys: {sorted(FIELDS)}")
        values[key] = _coerce(key, value)
    cfg = Config(**values)
    if not cfg.work_dir:
        cfg.work_dir = str(Path("work_dirs") / "default")
    return cfg.validate()
