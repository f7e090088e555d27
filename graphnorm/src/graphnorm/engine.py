"""Training / evaluation loop for every task, single-process or DDP under torchrun."""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import DistributedSampler
from torch_geometric.data import Data
from torch_geometric.datasets import Planetoid
from torch_geometric.loader import DataLoader

from .config import Config
from .datasets import GENERATED_DATASETS, SPLITS
from .metrics import (
    accuracy,
    balanced_accuracy,
    class_weighted_cross_entropy,
    mean_absolute_error,
    positive_f1,
)
from .models import GNN

PLANETOID_RAW = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")


def l1_loss(pred: Tensor, target: Tensor) -> Tensor:
    return F.l1_loss(pred.view(-1), target.view(-1))


@dataclass(frozen=True)
class TaskSpec:
    level: str  # "node" | "edge" | "graph": what one prediction is attached to
    out_channels: int
    metric_name: str
    metric: Callable[[Tensor, Tensor], float]
    loss: Callable[[Tensor, Tensor], Tensor]
    higher_is_better: bool = True


TASK_SPECS = {
    "cluster": TaskSpec("node", 6, "balanced_acc", balanced_accuracy, class_weighted_cross_entropy),
    "pattern": TaskSpec("node", 2, "balanced_acc", balanced_accuracy, class_weighted_cross_entropy),
    "cora": TaskSpec("node", 7, "accuracy", accuracy, F.cross_entropy),
    "link": TaskSpec("edge", 2, "f1", positive_f1, class_weighted_cross_entropy),
    "graph_cls": TaskSpec("graph", 4, "accuracy", accuracy, F.cross_entropy),
    "graph_reg": TaskSpec("graph", 1, "mae", mean_absolute_error, l1_loss, False),
}


# ----------------------------------------------------------------------------- data
@dataclass
class TaskData:
    """Per split: a dataset of graphs, or (for Cora) one graph and a node mask name."""

    splits: dict[str, object]
    single_graph: Data | None = None

    def loader(self, split: str, cfg: Config, world: int, rank: int, epoch: int = 0):
        if self.single_graph is not None:
            return [self.single_graph]
        dataset = self.splits[split]
        if split != "train":
            return DataLoader(dataset, batch_size=cfg.batch_size, shuffle=False)
        # DistributedSampler also for one process: the same seeded permutation per epoch, so
        # a resumed run and a 2-process run see exactly the graphs a 1-process run sees.
        sampler = DistributedSampler(
            dataset, num_replicas=world, rank=rank, shuffle=True, seed=cfg.seed
        )
        sampler.set_epoch(epoch)
        per_rank = max(1, cfg.batch_size // world)
        return DataLoader(dataset, batch_size=per_rank, sampler=sampler)


def dataset_dir(cfg: Config) -> Path:
    if cfg.data_dir:
        return Path(cfg.data_dir)
    sizes = "-".join(str(n) for n in cfg.num_graphs)
    return Path(cfg.data_root) / f"generated-{sizes}-seed{cfg.data_seed}"


def load_cora(cfg: Config) -> Data:
    """Planetoid Cora from local raw files (copied under data_root: PyG writes processed/)."""
    source = Path(cfg.data_dir or cfg.data_root) / "Cora" / "raw"
    missing = [n for n in PLANETOID_RAW if not (source / f"ind.cora.{n}").is_file()]
    if missing:
        raise FileNotFoundError(
            f"Cora raw files missing in {source}: {missing}; nothing is downloaded at run "
            "time -- point data_dir at a folder holding Cora/raw/ind.cora.*"
        )
    root = Path(cfg.data_root) / "planetoid"
    target = root / "Cora" / "raw"
    if source.resolve() != target.resolve():
        target.mkdir(parents=True, exist_ok=True)
        for n in PLANETOID_RAW:
            if not (target / f"ind.cora.{n}").is_file():
                shutil.copy(source / f"ind.cora.{n}", target / f"ind.cora.{n}")
    return Planetoid(str(root), "Cora")[0]


def load_task_data(cfg: Config, rank: int = 0) -> TaskData:
    if cfg.task == "cora":
        return TaskData(splits={s: None for s in SPLITS}, single_graph=load_cora(cfg))
    cls = GENERATED_DATASETS[cfg.task]
    root = str(dataset_dir(cfg))
    if rank == 0:  # generate/process once, then every rank reads the files
        cls(root, "train", cfg.num_graphs, cfg.data_seed)
    if dist.is_initialized():
        dist.barrier()
    return TaskData(splits={s: cls(root, s, cfg.num_graphs, cfg.data_seed) for s in SPLITS})


def input_spec(data: TaskData) -> dict:
    """Encoder sizes from the data: feature widths, or type counts for integer features."""
    graphs = [data.single_graph] if data.single_graph is not None else list(data.splits.values())
    x = graphs[0].x if data.single_graph is not None else graphs[0]._data.x
    spec = {"categorical_x": x.dtype == torch.long, "edge_channels": 0, "categorical_edges": False}
    stores = [g if isinstance(g, Data) else g._data for g in graphs]
    if spec["categorical_x"]:
        spec["in_channels"] = max(int(s.x.max()) for s in stores) + 1
    else:
        spec["in_channels"] = x.size(-1)
    edge_attr = stores[0].get("edge_attr")
    if edge_attr is not None:
        spec["categorical_edges"] = edge_attr.dtype == torch.long
        if spec["categorical_edges"]:
            spec["edge_channels"] = max(int(s.edge_attr.max()) for s in stores) + 1
        else:
            spec["edge_channels"] = edge_attr.view(edge_attr.size(0), -1).size(-1)
    return spec


def build_model(cfg: Config, data: TaskData) -> GNN:
    spec = TASK_SPECS[cfg.task]
    return GNN(
        cfg.model,
        out_channels=spec.out_channels,
        level=spec.level,
        norms=cfg.layer_norms(),
        hidden=cfg.hidden,
        heads=cfg.heads,
        dropout=cfg.dropout,
        residual=cfg.residual,
        edge_norm=cfg.edge_norm,
        norm_kwargs={
            "lambda_param": cfg.lambda_param,
            "denominator": cfg.denominator,
            "adjacency_stats": cfg.adjacency_stats,
        },
        **input_spec(data),
    )


# ----------------------------------------------------------------------------- loops
def _select(out: Tensor, batch: Data, split: str | None) -> tuple[Tensor, Tensor]:
    if split is None:
        return out, batch.y
    mask = batch[f"{split}_mask"]
    return out[mask], batch.y[mask]


def _device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def train_epoch(model, loader, optimizer, spec: TaskSpec, mask_split: str | None) -> float:
    model.train()
    device = _device_of(model)
    total, count = 0.0, 0
    for batch in loader:
        batch = batch.to(device)
        optimizer.zero_grad()
        out, target = _select(model(batch), batch, mask_split)
        loss = spec.loss(out, target)
        loss.backward()
        optimizer.step()
        total += loss.item() * target.size(0)
        count += target.size(0)
    return total / max(count, 1)


@torch.no_grad()
def evaluate(model, loader, spec: TaskSpec, mask_split: str | None) -> tuple[float, float]:
    """(loss, metric) over a whole split (the metric on all predictions at once)."""
    model.eval()
    device = _device_of(model)
    outs, targets = [], []
    for batch in loader:
        batch = batch.to(device)
        out, target = _select(model(batch), batch, mask_split)
        outs.append(out)
        targets.append(target)
    out, target = torch.cat(outs), torch.cat(targets)
    return spec.loss(out, target).item(), spec.metric(out, target)


def _improved(spec: TaskSpec, new: float, best: float | None) -> bool:
    if best is None:
        return True
    return new > best if spec.higher_is_better else new < best


def train(cfg: Config, launcher: str = "none", resume: bool = False, quiet: bool = False) -> dict:
    """Train ``cfg``; return the result dict (also written to ``<work_dir>/result.json``).

    The reported test metric is taken at the epoch with the best validation metric.
    """
    distributed = launcher == "pytorch"
    owns_group = distributed and not dist.is_initialized()
    if distributed:
        if owns_group:
            backend = "nccl" if torch.cuda.is_available() else "gloo"
            dist.init_process_group(backend)
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
        if cfg.num_threads > 0:
            torch.set_num_threads(cfg.num_threads)
    log = (lambda *a: None) if quiet or rank != 0 else (lambda *a: print(*a, flush=True))
    spec = TASK_SPECS[cfg.task]
    work_dir = Path(cfg.work_dir)
    if rank == 0:
        work_dir.mkdir(parents=True, exist_ok=True)

    data = load_task_data(cfg, rank)
    if distributed and data.single_graph is not None:
        raise ValueError(f"task {cfg.task!r} is one graph; multi-process training needs a "
                         "dataset of graphs (cluster, pattern, link, graph_cls, graph_reg)")
    mask = "train" if data.single_graph is not None else None
    torch.manual_seed(cfg.seed)
    device = torch.device("cpu")
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    model = build_model(cfg, data).to(device)
    net = model
    if distributed:
        device_ids = [device.index] if device.type == "cuda" else None
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=cfg.lr_reduce_factor, patience=cfg.lr_patience
    )
    start_epoch, best = 1, {}
    last_path, best_path = work_dir / "last.pth", work_dir / "best.pth"
    if resume:
        if not last_path.is_file():
            raise FileNotFoundError(f"--resume: no checkpoint at {last_path}")
        state = torch.load(last_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        start_epoch, best = state["epoch"] + 1, state["best"]
        log(f"resumed from {last_path} (epoch {state['epoch']})")
    log(f"task={cfg.task} model={cfg.model} norm={cfg.norm} params="
        f"{sum(p.numel() for p in model.parameters())} world_size={world}")

    epoch = start_epoch - 1
    for epoch in range(start_epoch, cfg.epochs + 1):
        start = time.perf_counter()
        loss = train_epoch(net, data.loader("train", cfg, world, rank, epoch), optimizer, spec,
                           mask)
        val_loss, val_metric = evaluate(model, data.loader("val", cfg, 1, 0), spec,
                                        "val" if mask else None)
        scheduler.step(val_loss)
        if _improved(spec, val_metric, best.get("val")):
            _, test_metric = evaluate(model, data.loader("test", cfg, 1, 0), spec,
                                      "test" if mask else None)
            best = {"epoch": epoch, "val": val_metric, "test": test_metric}
            if rank == 0:
                torch.save({"model": model.state_dict(), "config": cfg.to_dict()}, best_path)
        lr = optimizer.param_groups[0]["lr"]
        if rank == 0:
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "epoch": epoch,
                    "best": best,
                    "rng": torch.get_rng_state(),
                    "config": cfg.to_dict(),
                },
                last_path,
            )
        log(f"epoch {epoch:3d} | loss {loss:.4f} | val loss {val_loss:.4f} "
            f"{spec.metric_name} {val_metric:.3f} | lr {lr:.1e} | "
            f"{time.perf_counter() - start:.2f}s")
        if lr < cfg.min_lr:
            log(f"learning rate {lr:.1e} < min_lr {cfg.min_lr:.1e}: stopping")
            break
    result = {
        "task": cfg.task,
        "model": cfg.model,
        "norm": cfg.norm,
        "seed": cfg.seed,
        "metric": spec.metric_name,
        "epochs_run": epoch,
        "best_epoch": best.get("epoch"),
        "val": best.get("val", math.nan),
        "test": best.get("test", math.nan),
        "lambda": lambda_table(model),
    }
    if rank == 0:
        with open(work_dir / "result.json", "w") as f:
            json.dump(result, f, indent=1)
    log(f"test {spec.metric_name}: {result['test']:.3f} "
        f"(best val {result['val']:.3f} at epoch {result['best_epoch']})")
    if owns_group:
        dist.destroy_process_group()
    return result


def lambda_table(model: GNN) -> list[list[float]] | None:
    """Per layer, the channel-averaged normalised λ of (node, adjacency, graph, batch)."""
    rows = []
    for norm in model.graph_norms():
        if norm is None or norm.mode != "learned":
            return None
        rows.append(norm.lambda_weights().mean(dim=1).tolist())
    return rows


def evaluate_checkpoint(cfg: Config, checkpoint: str, split: str = "test") -> dict:
    """Load ``checkpoint`` (a ``best.pth``/``last.pth``) and evaluate one split."""
    if cfg.num_threads > 0:
        torch.set_num_threads(cfg.num_threads)
    path = Path(checkpoint)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    data = load_task_data(cfg)
    model = build_model(cfg, data)
    model.load_state_dict(state["model"])
    model.to("cuda" if torch.cuda.is_available() else "cpu")
    spec = TASK_SPECS[cfg.task]
    mask = split if data.single_graph is not None else None
    loss, metric = evaluate(model, data.loader(split, cfg, 1, 0), spec, mask)
    return {"split": split, "loss": loss, spec.metric_name: metric}
