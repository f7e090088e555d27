"""Image-classification trainer for torchrun: ImageFolder data, timm transforms/mixup, AdamW,
per-iteration cosine schedule (no warmup by default), optional EMA, AMP on GPU, checkpoint/resume,
TensorBoard. One process per device; ``launcher='pytorch'`` reads RANK/WORLD_SIZE/LOCAL_RANK from
torchrun and uses nccl with CUDA, gloo otherwise.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import timm
import torch
import torch.distributed as dist
import torch.nn as nn
from timm.loss import LabelSmoothingCrossEntropy, SoftTargetCrossEntropy
from timm.optim import param_groups_weight_decay
from timm.scheduler import CosineLRScheduler
from timm.utils import ModelEmaV3
from torch.nn.parallel import DistributedDataParallel

from .. import models as _models  # noqa: F401  (registers lipsformer_* with timm)
from ..data.loader import build_loaders, build_mixup
from ..lipschitz import lipschitz_monitors
from .config import TrainConfig, resolve_path, to_dict

LOG = logging.getLogger("lipsformer")


@dataclass
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


@dataclass
class TrainResult:
    top1: float = 0.0
    top5: float = 0.0
    ema_top1: float | None = None
    diverged: bool = False
    epochs_done: int = 0
    steps_done: int = 0
    step_losses: list[float] = field(default_factory=list)  # this process's per-step train loss
    step_grad_norms: list[float] = field(default_factory=list)
    epoch_log: list[dict[str, Any]] = field(default_factory=list)
    work_dir: str = ""


def init_distributed(launcher: str) -> DistInfo:
    if launcher == "none":
        return DistInfo()
    if launcher != "pytorch":
        raise ValueError(f"launcher must be 'none' or 'pytorch', got {launcher!r}")
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        if var not in os.environ:
            raise RuntimeError(
                f"--launcher pytorch needs {var} in the environment (start with torchrun)"
            )
    info = DistInfo(
        int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ["LOCAL_RANK"])
    )
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if torch.cuda.is_available():
        torch.cuda.set_device(info.local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return info


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def setup_logging(work_dir: Path | None, main: bool) -> None:
    LOG.setLevel(logging.INFO if main else logging.WARNING)
    LOG.handlers.clear()
    LOG.propagate = False
    fmt = logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S")
    stream = logging.StreamHandler(sys.stdout)
    stream.setFormatter(fmt)
    LOG.addHandler(stream)
    if work_dir is not None and main:
        handler = logging.FileHandler(work_dir / "log.txt")
        handler.setFormatter(fmt)
        LOG.addHandler(handler)


def resolve_device(name: str, info: DistInfo) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("device=cuda requested but CUDA is not available")
        return torch.device("cuda", info.local_rank)
    if name != "cpu":
        raise ValueError(f"device must be auto, cpu or cuda, got {name!r}")
    return torch.device("cpu")


def peak_lr(cfg: TrainConfig, world_size: int) -> tuple[float, float]:
    """(peak LR, final LR): lr_base * global_batch / lr_base_batch unless ``lr`` is set."""
    global_batch = cfg.data.batch_size * world_size
    ratio = cfg.optim.min_lr_base / cfg.optim.lr_base
    lr = (
        cfg.optim.lr
        if cfg.optim.lr is not None
        else cfg.optim.lr_base * global_batch / cfg.optim.lr_base_batch
    )
    return lr, lr * ratio


def build_optimizer(model: nn.Module, cfg: TrainConfig, lr: float) -> torch.optim.Optimizer:
    """AdamW; 1-D params, biases and rel-pos tables get ``weight_decay_1d`` (official: 5e-4)."""
    no_wd = model.no_weight_decay() if hasattr(model, "no_weight_decay") else set()
    groups = param_groups_weight_decay(model, cfg.optim.weight_decay, no_weight_decay_list=no_wd)
    for group in groups:
        if group["weight_decay"] == 0.0:
            group["weight_decay"] = cfg.optim.weight_decay_1d
    return torch.optim.AdamW(groups, lr=lr, betas=cfg.optim.betas, eps=cfg.optim.eps)


def create_model(cfg: TrainConfig, num_classes: int) -> nn.Module:
    kwargs = dict(cfg.model.kwargs)
    if cfg.model.name.startswith("lipsformer_"):
        kwargs.setdefault("img_size", cfg.data.img_size)
    return timm.create_model(cfg.model.name, num_classes=num_classes, **kwargs)


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, DistributedDataParallel) else model


def _all_reduce(values: list[float], device: torch.device, info: DistInfo) -> list[float]:
    t = torch.tensor(values, dtype=torch.float64, device=device)
    if info.distributed:
        dist.all_reduce(t)
    return t.tolist()


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader,
    device: torch.device,
    info: DistInfo,
    amp: bool = False,
    amp_dtype: torch.dtype = torch.float16,
) -> dict[str, float]:
    """Top-1/top-5 accuracy (%) and mean cross-entropy over the whole (sharded) validation set."""
    model.eval()
    correct1 = correct5 = loss_sum = count = 0.0
    for images, targets in loader:
        images, targets = (
            images.to(device, non_blocking=True),
            targets.to(device, non_blocking=True),
        )
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp):
            logits = model(images)
        logits = logits.float()
        loss_sum += nn.functional.cross_entropy(logits, targets, reduction="sum").item()
        top = logits.topk(min(5, logits.shape[1]), dim=1).indices
        hits = top.eq(targets[:, None])
        correct1 += hits[:, 0].sum().item()
        correct5 += hits.any(dim=1).sum().item()
        count += targets.numel()
    correct1, correct5, loss_sum, count = _all_reduce(
        [correct1, correct5, loss_sum, count], device, info
    )
    return dict(
        top1=100 * correct1 / count, top5=100 * correct5 / count, loss=loss_sum / count, n=count
    )


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Our checkpoints hold only tensors and plain containers: weights_only loading suffices."""
    return torch.load(path, map_location="cpu", weights_only=True)


def replicas_in_sync(model: nn.Module, device: torch.device, info: DistInfo) -> bool:
    """After DDP training every rank must hold the same weights."""
    flat = torch.cat([p.detach().reshape(-1).double() for p in model.parameters()]).to(device)
    stats = torch.stack(
        [
            flat.sum(),
            flat.abs().sum(),
            (flat * torch.arange(flat.numel(), device=device, dtype=flat.dtype)).sum(),
        ]
    )
    gathered = [torch.zeros_like(stats) for _ in range(info.world_size)]
    dist.all_gather(gathered, stats)
    return all(torch.allclose(g, gathered[0], rtol=1e-9, atol=0) for g in gathered)


def train(
    cfg: TrainConfig, launcher: str = "none", resume: str | None = None, quiet: bool = False
) -> TrainResult:
    """Train ``cfg`` to completion (or divergence); ``resume`` is a checkpoint path or 'auto'."""
    info = init_distributed(launcher)
    device = resolve_device(cfg.device, info)
    if cfg.threads and device.type == "cpu":
        torch.set_num_threads(cfg.threads)
    work_dir = resolve_path(cfg.work_dir)
    if info.main:
        work_dir.mkdir(parents=True, exist_ok=True)
    setup_logging(work_dir if info.main else None, info.main and not quiet)
    amp = cfg.amp if cfg.amp is not None else device.type == "cuda"
    amp_dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}[cfg.amp_dtype]

    seed_everything(cfg.seed)
    if info.main:  # the embedded dataset is generated once, before the others look for it
        build_loaders(cfg.data, 0, 1, cfg.seed)
    if info.distributed:
        dist.barrier()
    train_loader, sampler, val_loader, num_classes = build_loaders(
        cfg.data, info.rank, info.world_size, cfg.seed
    )
    steps_per_epoch = len(train_loader)
    if cfg.schedule.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, cfg.schedule.max_steps_per_epoch)

    seed_everything(cfg.seed)  # identical initial weights on every rank
    model = create_model(cfg, num_classes).to(device)
    if cfg.grad_checkpointing:
        model.set_grad_checkpointing(True)
    lr, min_lr = peak_lr(cfg, info.world_size)
    optimizer = build_optimizer(model, cfg, lr)
    total_steps = cfg.schedule.epochs * steps_per_epoch
    warmup_steps = round(cfg.schedule.warmup_epochs * steps_per_epoch)
    scheduler = CosineLRScheduler(
        optimizer,
        t_initial=total_steps,
        lr_min=min_lr,
        warmup_t=warmup_steps,
        warmup_lr_init=cfg.schedule.warmup_lr,
        t_in_epochs=False,
    )
    scaler = torch.amp.GradScaler(device.type, enabled=amp and amp_dtype == torch.float16)
    ema = ModelEmaV3(model, decay=cfg.ema_decay) if cfg.ema else None
    mixup = build_mixup(cfg.data, num_classes)
    if mixup is not None:
        criterion = SoftTargetCrossEntropy()
    elif cfg.data.label_smoothing > 0:
        criterion = LabelSmoothingCrossEntropy(cfg.data.label_smoothing)
    else:
        criterion = nn.CrossEntropyLoss()

    result = TrainResult(work_dir=str(work_dir))
    start_epoch, best_top1 = 0, 0.0
    ckpt_path = work_dir / "last.pth"
    if resume == "auto":
        resume = str(ckpt_path) if ckpt_path.is_file() else None
    if resume:
        state = load_checkpoint(resume)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        if ema is not None and state.get("ema") is not None:
            ema.module.load_state_dict(state["ema"])
        start_epoch, best_top1 = state["epoch"], state["best_top1"]
        result.epoch_log = list(state.get("epoch_log", []))
        LOG.info(f"resumed from {resume} at epoch {start_epoch}")
    num_updates = start_epoch * steps_per_epoch
    scheduler.step_update(num_updates)

    train_model = model
    if info.distributed:
        train_model = DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    writer = None
    if info.main:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(work_dir / "tb"))
        (work_dir / "config.json").write_text(json.dumps(to_dict(cfg), indent=1))
    n_params = sum(p.numel() for p in model.parameters())
    LOG.info(
        f"model {cfg.model.name}: {n_params / 1e6:.2f}M params, {num_classes} classes; "
        f"world_size {info.world_size}, device {device}, amp {amp}; lr {lr:.3g} -> {min_lr:.3g} "
        f"cosine over {total_steps} steps, warmup {warmup_steps} steps"
    )

    params = [p for p in model.parameters() if p.requires_grad]
    last_epoch = min(cfg.schedule.epochs, cfg.schedule.stop_at_epoch or cfg.schedule.epochs)
    for epoch in range(start_epoch, last_epoch):
        # reseeding per epoch makes a resumed run replay exactly what an uninterrupted run does
        seed_everything(cfg.seed + 1000 * (epoch + 1) + info.rank)
        sampler.set_epoch(epoch)
        train_model.train()
        t0, loss_sum, seen = time.time(), 0.0, 0
        for step, (images, targets) in enumerate(train_loader):
            if step >= steps_per_epoch:
                break
            images, targets = (
                images.to(device, non_blocking=True),
                targets.to(device, non_blocking=True),
            )
            if mixup is not None:
                images, targets = mixup(images, targets)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp):
                loss = criterion(train_model(images), targets)
            finite = (
                _all_reduce([float(torch.isfinite(loss).item())], device, info)[0]
                == info.world_size
            )
            if not finite:
                result.diverged = True
                LOG.info(f"non-finite loss at epoch {epoch} step {step}: diverged")
                if cfg.stop_on_divergence:
                    break
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            grad_norm = torch.nn.utils.clip_grad_norm_(params, cfg.optim.clip_grad or math.inf)
            scaler.step(optimizer)
            scaler.update()
            num_updates += 1
            scheduler.step_update(num_updates)
            if ema is not None:
                ema.update(model, step=num_updates)
            loss_value = loss.item()
            result.step_losses.append(loss_value)
            result.step_grad_norms.append(grad_norm.item())
            loss_sum += loss_value
            seen += 1
            if writer is not None and (num_updates % cfg.log_interval == 0 or step == 0):
                writer.add_scalar("train/loss", loss_value, num_updates)
                writer.add_scalar("train/grad_norm", grad_norm.item(), num_updates)
                writer.add_scalar("train/lr", optimizer.param_groups[0]["lr"], num_updates)
            if num_updates % cfg.log_interval == 0:
                LOG.info(
                    f"epoch {epoch} step {step + 1}/{steps_per_epoch} loss {loss_value:.4f} "
                    f"grad_norm {grad_norm.item():.3g} lr {optimizer.param_groups[0]['lr']:.3g}"
                )
        result.steps_done = num_updates
        if result.diverged and cfg.stop_on_divergence:
            break
        record: dict[str, Any] = dict(
            epoch=epoch + 1,
            train_loss=loss_sum / max(seen, 1),
            epoch_time_s=round(time.time() - t0, 2),
        )
        if (epoch + 1) % cfg.eval_interval == 0 or epoch + 1 == last_epoch:
            metrics = evaluate(model, val_loader, device, info, amp, amp_dtype)
            record.update(top1=metrics["top1"], top5=metrics["top5"], val_loss=metrics["loss"])
            result.top1, result.top5 = metrics["top1"], metrics["top5"]
            if ema is not None:
                result.ema_top1 = evaluate(ema.module, val_loader, device, info, amp, amp_dtype)[
                    "top1"
                ]
                record["ema_top1"] = result.ema_top1
            best_top1 = max(best_top1, metrics["top1"])
        if cfg.log_lipschitz:
            record.update(lipschitz_monitors(model))
        result.epoch_log.append(record)
        result.epochs_done = epoch + 1
        LOG.info(
            " ".join(
                f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in record.items()
            )
        )
        if info.main:
            for key, value in record.items():
                if key != "epoch" and writer is not None:
                    writer.add_scalar(f"epoch/{key}", value, epoch + 1)
            state = dict(
                model=model.state_dict(),
                optimizer=optimizer.state_dict(),
                scaler=scaler.state_dict(),
                ema=ema.module.state_dict() if ema else None,
                epoch=epoch + 1,
                best_top1=best_top1,
                config=to_dict(cfg),
                epoch_log=result.epoch_log,
            )
            save_checkpoint(ckpt_path, state)
            with open(work_dir / "metrics.jsonl", "a") as f:
                f.write(json.dumps(record) + "\n")
    if writer is not None:
        writer.close()
    if info.distributed:
        in_sync = replicas_in_sync(model, device, info)
        LOG.info(f"replicas in sync across {info.world_size} processes: {in_sync}")
        if not in_sync:
            raise RuntimeError("DDP replicas diverged: parameters differ across ranks")
        dist.barrier()
        dist.destroy_process_group()
    return result


def run_eval(
    cfg: TrainConfig, checkpoint: str | None, use_ema: bool = False, launcher: str = "none"
) -> dict[str, float]:
    """Evaluate a checkpoint (ours, a bare state dict, an official LipsFormer-Swin one) on val/."""
    from ..models.lipsformer import checkpoint_filter_fn

    info = init_distributed(launcher)
    device = resolve_device(cfg.device, info)
    setup_logging(None, info.main)
    _, _, val_loader, num_classes = build_loaders(cfg.data, info.rank, info.world_size, cfg.seed)
    model = create_model(cfg, num_classes).to(device)
    path = Path(checkpoint) if checkpoint else resolve_path(cfg.work_dir) / "last.pth"
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} not found (train first, or pass --checkpoint)")
    state = load_checkpoint(path)
    if use_ema:
        if state.get("ema") is None:
            raise KeyError(f"{path} holds no EMA weights (train with ema: true)")
        weights = state["ema"]
    else:
        weights = checkpoint_filter_fn(state, model)
    model.load_state_dict(weights)
    amp = cfg.amp if cfg.amp is not None else device.type == "cuda"
    amp_dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}[cfg.amp_dtype]
    metrics = evaluate(model, val_loader, device, info, amp, amp_dtype)
    if info.distributed:
        dist.destroy_process_group()
    return metrics
