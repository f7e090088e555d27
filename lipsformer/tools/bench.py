#!/usr/bin/env python
"""Train-step time of LipsFormer-Swin-T against timm's Swin-T at 224x224, measured in one run.

A step is forward + cross-entropy + backward + AdamW update on random data. The models alternate
step by step so that both see the same machine load; the median step time of each is reported,
with the ratio LipsFormer / baseline (the goal is <= 1.3x).

    python tools/bench.py                       # CPU: batch 8; GPU: batch 128 with AMP
    python tools/bench.py --models lipsformer_cswin_tiny --baseline swin_tiny_patch4_window7_224
    python tools/bench.py --models lipsformer_swin_tiny lipsformer_swin_tiny:dwconv_branches=0

A model is a timm name, optionally followed by ``:key=value,...`` model kwargs (Python literals).
"""

from __future__ import annotations

import argparse
import ast
import statistics
import time

import timm
import torch

import lipsformer  # noqa: F401  (registers the models)
from lipsformer.complexity import count_macs, count_params


def parse_model(spec: str) -> tuple[str, dict]:
    """``name`` or ``name:key=value,key=value`` -> (timm name, create_model kwargs).

    The options are parsed as the keyword arguments of a call, so values may be any Python
    literal, tuples included (``depths=(2,2,6,2)``).
    """
    name, _, options = spec.partition(":")
    try:
        call = ast.parse(f"f({options})", mode="eval").body
    except SyntaxError as err:
        raise ValueError(f"model options of {spec!r} are not key=value,...: {err.msg}") from None
    if call.args or any(kw.arg is None for kw in call.keywords):
        raise ValueError(f"model options of {spec!r} must all be key=value")
    return name, {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}


def make_step(model: torch.nn.Module, device: torch.device, amp: bool):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler(device.type, enabled=amp)

    def step(images: torch.Tensor, targets: torch.Tensor) -> None:
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            loss = torch.nn.functional.cross_entropy(model(images), targets)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    return step


def timed(step, images, targets, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    step(images, targets)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--models",
        nargs="+",
        default=["lipsformer_swin_tiny", "lipsformer_swin_tiny:dwconv_branches=0"],
        help="timm names, each optionally with :key=value,... model kwargs",
    )
    p.add_argument("--baseline", default="swin_tiny_patch4_window7_224")
    p.add_argument("--img-size", type=int, default=224)
    p.add_argument("--batch-size", type=int, help="default: 8 on CPU, 128 on GPU")
    p.add_argument("--steps", type=int, default=6, help="timed steps per model")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps per model")
    p.add_argument("--device", default="auto")
    p.add_argument("--no-amp", action="store_true", help="fp32 on GPU too (CPU is always fp32)")
    p.add_argument(
        "--drop-path", type=float, default=0.2, help="same stochastic depth for all models"
    )
    args = p.parse_args(argv)

    device = torch.device(
        ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    )
    amp = device.type == "cuda" and not args.no_amp
    batch = args.batch_size or (128 if device.type == "cuda" else 8)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    names = [args.baseline] + args.models
    torch.manual_seed(0)
    models = {}
    for n in names:
        name, kwargs = parse_model(n)
        models[n] = timm.create_model(name, drop_path_rate=args.drop_path, **kwargs)
        models[n] = models[n].to(device).train()
    images = torch.randn(batch, 3, args.img_size, args.img_size, device=device)
    targets = torch.randint(0, 1000, (batch,), device=device)
    steps = {n: make_step(m, device, amp) for n, m in models.items()}
    for _ in range(args.warmup):
        for n in names:
            timed(steps[n], images, targets, device)
    times: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(args.steps):
        for n in names:
            times[n].append(timed(steps[n], images, targets, device))

    where = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU, {torch.get_num_threads()} threads"
    )
    print(
        f"train step, batch {batch} at {args.img_size}x{args.img_size}, {where}, "
        f"{'AMP fp16' if amp else 'fp32'}, median of {args.steps} steps"
    )
    base = statistics.median(times[args.baseline])
    result = {}
    width = max(map(len, names))
    for n in names:
        med = statistics.median(times[n])
        model = models[n].cpu()
        macs = count_macs(model, (3, args.img_size, args.img_size))
        info = f"{count_params(model) / 1e6:6.2f}M params {macs / 1e9:5.2f} GFLOPs"
        ratio = med / base
        result[n] = ratio
        print(
            f"  {n:{width}s} {1000 * med:9.1f} ms/step  {batch / med:8.1f} img/s  {info}  "
            f"ratio {ratio:.2f}x" + ("  (baseline)" if n == args.baseline else "")
        )
    return result


if __name__ == "__main__":
    main()
