"""CLIP training loop in the style of ``open_clip_train``, with the loss chosen by ``--loss``.

One process per device; ``torchrun`` (``--launcher pytorch``) or ``srun`` (``--launcher slurm``)
start them, DDP averages the parameter gradients. Checkpoints hold open_clip's keys
(``epoch``, ``name``, ``state_dict``, ``optimizer``, ``scaler``) plus ``step`` and ``args``;
``--resume`` restarts at the next epoch.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from contextlib import nullcontext
from functools import partial
from pathlib import Path

import open_clip
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from .config import build_parser, parse_args
from .data.datasets import CsvDataset, WebDataset, read_csv_rows
from .data.shapes import ShapesSpec, ensure_shapes_dataset
from .distributed import DistEnv, barrier, cleanup, init_distributed
from .loss import DisCoClipLoss, DisCoSigLipLoss
from .metrics import encode_dataset, retrieval_metrics, zero_shot_metrics
from .models import register_model_configs

LOG = logging.getLogger("disco_clip")


def setup_logging(run_dir: Path | None, env: DistEnv) -> None:
    LOG.handlers.clear()
    LOG.propagate = False
    LOG.setLevel(logging.INFO if env.is_main else logging.WARNING)
    fmt = logging.Formatter(f"%(asctime)s [rank {env.rank}] %(message)s", "%H:%M:%S")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if run_dir is not None and env.is_main:
        handlers.append(logging.FileHandler(run_dir / "out.log"))
    for handler in handlers:
        handler.setFormatter(fmt)
        LOG.addHandler(handler)


def resolve_data(args: argparse.Namespace, env: DistEnv) -> None:
    """Generate the embedded dataset if asked to, and point unset data options at it."""
    if args.embedded_data:
        if env.is_main:
            ensure_shapes_dataset(args.embedded_data,
                                  ShapesSpec(num_train=args.embedded_train_samples))
        barrier(env)
        root = Path(args.embedded_data)
        args.train_data = args.train_data or str(root / "train.csv")
        args.val_data = args.val_data or str(root / "val.csv")
        args.zeroshot_classes = args.zeroshot_classes or str(root / "classes.json")
    if not args.train_data:
        raise ValueError("no training data: set --train-data (CSV or tar shards) or "
                         "--embedded-data")
    if args.dataset_type == "auto":
        args.dataset_type = "csv" if args.train_data.endswith((".csv", ".tsv")) else "webdataset"


def create_model(args: argparse.Namespace, device: torch.device):
    """open_clip model by config name; ``--pretrained`` is an open_clip tag or checkpoint file
    (ours hold a ``state_dict`` key, which open_clip's loader understands)."""
    register_model_configs()
    # open_clip_train's --siglip initialisation
    extra = ({"init_logit_scale": math.log(10), "init_logit_bias": -10.0}
             if args.loss == "siglip" else {})
    model, preprocess_train, preprocess_val = open_clip.create_model_and_transforms(
        args.model, pretrained=args.pretrained, device=device, output_dict=True, **extra)
    return model, preprocess_train, preprocess_val, open_clip.get_tokenizer(args.model)


def build_train_loader(args, env: DistEnv, transform, tokenizer):
    if args.dataset_type == "csv":
        dataset = CsvDataset(args.train_data, transform, tokenizer, args.csv_img_key,
                             args.csv_caption_key, args.csv_separator)
        if len(dataset) < args.batch_size * env.world_size:
            raise ValueError(f"{args.train_data} has {len(dataset)} rows, fewer than one global "
                             f"batch ({args.batch_size} x {env.world_size})")
        sampler = DistributedSampler(dataset, num_replicas=env.world_size, rank=env.rank,
                                     shuffle=True, seed=args.seed, drop_last=True)
        # drop_last everywhere: DisCo needs the same batch size on every rank at every step.
        loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler,
                            num_workers=args.workers, drop_last=True,
                            persistent_workers=args.workers > 0)
        return loader, sampler, len(loader)
    dataset = WebDataset(args.train_data, transform, tokenizer, args.batch_size, env.rank,
                         env.world_size, args.workers, args.seed, args.train_num_samples)
    loader = DataLoader(dataset, batch_size=None, num_workers=args.workers)
    return loader, dataset, dataset.batches_per_rank()


def build_loss(args, env: DistEnv):
    if args.loss == "naive":
        return open_clip.ClipLoss(rank=env.rank, world_size=env.world_size)
    if args.loss == "local":
        return open_clip.ClipLoss(local_loss=True, gather_with_grad=True, rank=env.rank,
                                  world_size=env.world_size)
    if args.loss == "siglip":
        return DisCoSigLipLoss(gradient_scale=args.disco_gradient_scale, rank=env.rank,
                               world_size=env.world_size)
    return DisCoClipLoss(gradient_scale=args.disco_gradient_scale,
                         tile_size=args.tile_size if args.loss == "tiled" else None,
                         rank=env.rank, world_size=env.world_size)


def build_optimizer(args, model: torch.nn.Module) -> torch.optim.Optimizer:
    # open_clip_train: no weight decay on gains, biases, norms and logit_scale.
    def no_decay(name, param):
        return param.ndim < 2 or "bn" in name or "ln" in name or "bias" in name or \
            "logit_scale" in name

    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in named if no_decay(n, p)], "weight_decay": 0.0},
        {"params": [p for n, p in named if not no_decay(n, p)], "weight_decay": args.wd},
    ]
    return torch.optim.AdamW(groups, lr=args.lr, betas=(args.beta1, args.beta2), eps=args.eps)


def learning_rate(args, step: int, total_steps: int) -> float:
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    if args.lr_scheduler == "const":
        return args.lr
    progress = (step - args.warmup) / max(1, total_steps - args.warmup)
    return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))) * args.lr


def autocast_for(args, device: torch.device):
    precision = args.precision
    if precision == "auto":
        precision = "amp" if device.type == "cuda" else "fp32"
    if precision == "fp32":
        return nullcontext, precision
    if device.type != "cuda":
        raise ValueError(f"--precision {precision} needs CUDA; use fp32 (or auto) on CPU")
    dtype = torch.float16 if precision == "amp" else torch.bfloat16
    return partial(torch.autocast, device_type="cuda", dtype=dtype), precision


def checkpoint_path(args, which: str | int) -> Path:
    name = "epoch_latest.pt" if which == "latest" else f"epoch_{which}.pt"
    return Path(args.work_dir) / args.name / "checkpoints" / name


def save_checkpoint(args, model, optimizer, scaler, epoch: int, step: int) -> None:
    state = {
        "epoch": epoch, "step": step, "name": args.name, "model": args.model,
        "state_dict": model.state_dict(), "optimizer": optimizer.state_dict(),
        "scaler": scaler.state_dict(), "args": vars(args),
    }
    path = checkpoint_path(args, epoch)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    torch.save(state, checkpoint_path(args, "latest"))
    LOG.info("saved %s", path)


def load_eval_data(args, transform, tokenizer):
    """Validation loader and zero-shot classes (None where the data does not support them)."""
    if not args.val_data:
        return None, None
    classes = None
    label_key = None
    if args.zeroshot_classes:
        classes = json.loads(Path(args.zeroshot_classes).read_text())
        header = read_csv_rows(args.val_data, [args.csv_img_key, args.csv_caption_key],
                               args.csv_separator)[0]
        label_key = args.csv_label_key if args.csv_label_key in header else None
        if label_key is None:
            LOG.warning("%s has no %r column: zero-shot eval skipped", args.val_data,
                        args.csv_label_key)
            classes = None
    dataset = CsvDataset(args.val_data, transform, tokenizer, args.csv_img_key,
                         args.csv_caption_key, args.csv_separator, label_key,
                         classes["classnames"] if classes else None)
    loader = DataLoader(dataset, batch_size=256, shuffle=False, num_workers=0)
    return loader, classes


def evaluate(model, tokenizer, loader, classes, device, autocast) -> dict[str, float]:
    model.eval()
    images, texts, labels = encode_dataset(model, loader, device, autocast)
    metrics = retrieval_metrics(images, texts)
    metrics["retrieval_chance_R@1"] = 1.0 / len(images)
    if classes is not None and labels is not None:
        with autocast():
            metrics.update(zero_shot_metrics(model, tokenizer, images, labels,
                                             classes["classnames"], classes["templates"], device))
        metrics["zeroshot_chance_top1"] = 1.0 / len(classes["classnames"])
    model.train()
    return metrics


def format_metrics(metrics: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4f}" for k, v in metrics.items())


def train(args: argparse.Namespace, env: DistEnv) -> dict[str, float]:
    run_dir = Path(args.work_dir) / args.name
    if env.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
    barrier(env)
    setup_logging(run_dir, env)
    resolve_data(args, env)
    torch.manual_seed(args.seed)
    model, preprocess_train, preprocess_val, tokenizer = create_model(args, env.device)
    raw_model = model
    if env.distributed:
        model = DistributedDataParallel(
            model, device_ids=[env.local_rank] if env.device.type == "cuda" else None)
    torch.manual_seed(args.seed + env.rank)  # different augmentation per rank
    loader, sampler, steps_per_epoch = build_train_loader(args, env, preprocess_train, tokenizer)
    if steps_per_epoch == 0:
        raise ValueError("an epoch has zero steps: lower --batch-size or add data")
    loss_fn = build_loss(args, env)
    optimizer = build_optimizer(args, raw_model)
    autocast, precision = autocast_for(args, env.device)
    scaler = torch.amp.GradScaler("cuda", enabled=precision == "amp")
    total_steps = steps_per_epoch * args.epochs
    start_epoch, step = 0, 0
    if args.resume:
        path = checkpoint_path(args, "latest") if args.resume == "latest" else Path(args.resume)
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        raw_model.load_state_dict(checkpoint["state_dict"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scaler.load_state_dict(checkpoint["scaler"])
        start_epoch, step = checkpoint["epoch"], checkpoint["step"]
        LOG.info("resumed from %s at epoch %d, step %d", path, start_epoch, step)
    writer = None
    if env.is_main and args.report_to == "tensorboard":
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(run_dir / "tensorboard"))
    eval_loader, classes = (load_eval_data(args, preprocess_val, tokenizer) if env.is_main
                            else (None, None))
    LOG.info("model %s (%.2fM params), loss %s, %d process(es) x batch %d = global %d, "
             "%d steps/epoch, precision %s, device %s", args.model,
             sum(p.numel() for p in raw_model.parameters()) / 1e6, loss_fn, env.world_size,
             args.batch_size, args.batch_size * env.world_size, steps_per_epoch, precision,
             env.device)
    metrics: dict[str, float] = {}
    done = False
    for epoch in range(start_epoch, args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        tic = time.time()
        for i, (images, texts) in enumerate(loader):
            if i >= steps_per_epoch or (args.max_steps is not None and step >= args.max_steps):
                break
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(args, step, total_steps)
            images = images.to(env.device, non_blocking=True)
            texts = texts.to(env.device, non_blocking=True)
            with autocast():
                out = model(images, texts)
                loss = loss_fn(**out, output_dict=True)["contrastive_loss"]
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if args.grad_clip_norm is not None:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(raw_model.parameters(), args.grad_clip_norm)
            scaler.step(optimizer)
            scaler.update()
            with torch.no_grad():  # open_clip_train clamps the temperature at 100
                raw_model.logit_scale.clamp_(0, math.log(100))
            step += 1
            if step % args.log_every_n_steps == 0 or i + 1 == steps_per_epoch:
                rate = (i + 1) * args.batch_size / (time.time() - tic)
                LOG.info("epoch %d step %d/%d loss %.4f lr %.2e scale %.2f %.0f samples/s/proc",
                         epoch, i + 1, steps_per_epoch, loss.item(), optimizer.param_groups[0]
                         ["lr"], raw_model.logit_scale.exp().item(), rate)
                if writer is not None:
                    writer.add_scalar("train/loss", loss.item(), step)
                    writer.add_scalar("train/lr", optimizer.param_groups[0]["lr"], step)
                    writer.add_scalar("train/logit_scale", raw_model.logit_scale.exp().item(),
                                      step)
        done = args.max_steps is not None and step >= args.max_steps
        last = epoch + 1 == args.epochs or done
        if env.is_main and ((epoch + 1) % args.save_frequency == 0 or last):
            save_checkpoint(args, raw_model, optimizer, scaler, epoch + 1, step)
        if env.is_main and eval_loader is not None and ((epoch + 1) % args.val_frequency == 0
                                                        or last):
            metrics = evaluate(raw_model, tokenizer, eval_loader, classes, env.device, autocast)
            LOG.info("eval epoch %d: %s", epoch + 1, format_metrics(metrics))
            if writer is not None:
                for key, value in metrics.items():
                    writer.add_scalar(f"val/{key}", value, step)
        barrier(env)
        if done:
            break
    if writer is not None:
        writer.close()
    if env.is_main:
        (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=1))
    return metrics


def main(argv: list[str] | None = None, default_config: str | None = None) -> dict[str, float]:
    args = parse_args(argv, default_config)
    env = init_distributed(args.launcher)
    try:
        return train(args, env)
    finally:
        cleanup(env)


def evaluate_main(argv: list[str] | None = None, default_config: str | None = None
                  ) -> dict[str, float]:
    """``tools/eval.py``: zero-shot and retrieval metrics of a checkpoint, on one process."""
    parser = build_parser("eval.py")
    parser.add_argument("--checkpoint", default=None,
                        help="default: <logs>/<name>/checkpoints/epoch_latest.pt")
    args = parse_args(argv, default_config, parser)
    env = init_distributed("none") if args.launcher == "none" else None
    if env is None:  # evaluation is a rank-0 job, as in open_clip_train
        env = init_distributed(args.launcher)
        if not env.is_main:
            cleanup(env)
            return {}
    try:
        setup_logging(None, env)
        if args.embedded_data and not args.val_data:
            args.val_data = str(Path(args.embedded_data) / "val.csv")
            args.zeroshot_classes = args.zeroshot_classes or str(
                Path(args.embedded_data) / "classes.json")
            if not Path(args.val_data).exists():
                ensure_shapes_dataset(args.embedded_data,
                                      ShapesSpec(num_train=args.embedded_train_samples))
        path = Path(args.checkpoint) if args.checkpoint else checkpoint_path(args, "latest")
        if not path.is_file():
            raise FileNotFoundError(f"checkpoint {path} not found (train first, or pass "
                                    "--checkpoint)")
        args.pretrained = str(path)
        model, _, preprocess_val, tokenizer = create_model(args, env.device)
        loader, classes = load_eval_data(args, preprocess_val, tokenizer)
        if loader is None:
            raise ValueError("nothing to evaluate: set --val-data or --embedded-data")
        autocast, _ = autocast_for(args, env.device)
        metrics = evaluate(model, tokenizer, loader, classes, env.device, autocast)
        LOG.info("eval %s: %s", path, format_metrics(metrics))
        return metrics
    finally:
        if dist.is_initialized():
            cleanup(env)
