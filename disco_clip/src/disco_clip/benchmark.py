"""Per-rank peak memory and time of one loss forward+backward, for every method.

Shared by ``tools/reproduce.py`` (memory table, max batch under a budget) and ``tools/bench.py``
(ratios). Each measurement starts from fresh local features (``b x D``, ``requires_grad``) and
covers the loss forward and backward, including the gathered features, the logits and the
gradients that reach the local features.

Methods:

``naive``  open_clip ``ClipLoss()`` in a process group (its default distributed path): gather
           without grad, full ``B x B`` logits on every rank.
``local``  open_clip ``ClipLoss(local_loss=True, gather_with_grad=True)``.
``disco``  :class:`~disco_clip.DisCoClipLoss` (paper scale, reduce-scatter backward).
``disco_all_reduce``  the same with the official repo's all_reduce backward.
``tiled``  :class:`~disco_clip.DisCoClipLoss` with ``tile_size``.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import asdict, dataclass

import open_clip
import torch
import torch.distributed as dist
import torch.nn.functional as F
from open_clip.loss import gather_features

from .loss import DisCoClipLoss
from .memory import make_rss_track_heap, measure_peak

# open_clip 3.3's gather_with_grad path calls torch.distributed.nn.all_gather, deprecated in
# torch 2.14 (fixed on open_clip main); it is the baseline here on purpose, so keep logs readable.
warnings.filterwarnings("ignore", message=r"torch\.distributed\.nn\.functional\.all_gather")

METHODS = ("naive", "local", "disco", "tiled")
BENCH_METHODS = ("naive", "local", "disco", "disco_all_reduce", "tiled")
BYTES = {torch.float32: 4, torch.float16: 2, torch.bfloat16: 2, torch.float64: 8}


def build_method(method: str, rank: int, world_size: int, tile_size: int = 1024):
    if method == "naive":
        return open_clip.ClipLoss(rank=rank, world_size=world_size)
    if method == "local":
        return open_clip.ClipLoss(local_loss=True, gather_with_grad=True, rank=rank,
                                  world_size=world_size)
    if method == "disco":
        return DisCoClipLoss()
    if method == "disco_all_reduce":  # the official repo's backward communication
        return DisCoClipLoss(backward_collective="all_reduce")
    if method == "tiled":
        return DisCoClipLoss(tile_size=tile_size)
    raise ValueError(f"unknown method {method!r}; choose from {METHODS}")


def local_features(rank: int, local_batch: int, dim: int, device: torch.device,
                   dtype: torch.dtype = torch.float32, seed: int = 0):
    g = torch.Generator().manual_seed(seed * 100003 + rank)
    image = F.normalize(torch.randn(local_batch, dim, generator=g), dim=-1)
    text = F.normalize(torch.randn(local_batch, dim, generator=g), dim=-1)
    return image.to(device, dtype), text.to(device, dtype)


def analytic_bytes(method: str, batch: int, world_size: int, dim: int, tile_size: int = 1024,
                   dtype: torch.dtype = torch.float32) -> int:
    """Live-buffer count at the peak of forward+backward, derived from the autograd graph.

    ``naive``: the ``B x B`` logits' two saved log-softmax outputs (one per direction) plus, in
    backward, the incoming gradient and the log-softmax gradient of one direction: 4 B^2; the
    gathered features, their concatenation and the local feature gradients add ~3 B D.
    ``local``/``disco``: the same four buffers, each ``b x B`` with ``b = B/N``: 4 B^2/N + 3 B D.
    ``tiled``: no logits; at a ring hop in backward the ``(2, b, D)`` chunk and its received
    copy, the travelling gradient and the two local gradients are live, 8 b D, plus one
    ``tile x tile`` block.
    """
    elem = BYTES[dtype]
    b = batch // world_size
    if method == "naive":
        return elem * (4 * batch * batch + 3 * batch * dim)
    if method in ("local", "disco", "disco_all_reduce"):
        return elem * (4 * b * batch + 3 * batch * dim)
    if method == "tiled":
        tile = min(tile_size, b)
        return elem * (8 * b * dim + tile * tile)
    raise ValueError(method)


def max_batch_analytic(method: str, budget_bytes: int, world_size: int, dim: int,
                       tile_size: int = 1024, multiple: int = 1) -> int:
    """Largest global batch (a multiple of ``multiple``) whose analytic peak fits the budget."""
    lo, hi = 0, multiple
    while analytic_bytes(method, hi, world_size, dim, tile_size) <= budget_bytes:
        lo, hi = hi, hi * 2
        if hi > 2**40:
            break
    while hi - lo > multiple:  # bisection on multiples
        mid = (lo + hi) // 2 // multiple * multiple
        if analytic_bytes(method, mid, world_size, dim, tile_size) <= budget_bytes:
            lo = mid
        else:
            hi = mid
    return lo


@dataclass
class Measurement:
    method: str
    world_size: int
    batch: int
    dim: int
    tensor_bytes: int
    rss_bytes: int | None
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def _fresh(image, text, scale):
    return (image.detach().clone().requires_grad_(), text.detach().clone().requires_grad_(),
            scale.detach().clone().requires_grad_())


def _run(loss_fn, image, text, scale) -> float:
    start = time.perf_counter()
    loss_fn(image, text, scale).backward()
    if image.device.type == "cuda":
        torch.cuda.synchronize(image.device)
    return time.perf_counter() - start


def measure_method(method: str, rank: int, world_size: int, batch: int, dim: int,
                   device: torch.device, tile_size: int = 1024, staggered: bool = False,
                   rss: bool = True) -> Measurement:
    """Peak memory (max over ranks) and wall time of one forward+backward, on every rank.

    ``staggered`` (``naive`` only, CPU table): ranks take turns computing. Every rank joins each
    turn's two all_gathers (open_clip's own ``gather_features``), but only the rank whose turn
    it is runs ``ClipLoss`` on them, so the N full ``B x B`` problems never share the machine's
    memory at once. The turn rank runs open_clip's unmodified code, so its peak is its real one.
    """
    if batch % world_size:
        raise ValueError(f"global batch {batch} is not divisible by {world_size} ranks")
    make_rss_track_heap()
    local_batch = batch // world_size
    loss_fn = build_method(method, rank, world_size, tile_size)
    image, text = local_features(rank, local_batch, dim, device)
    scale = torch.tensor(math.log(1 / 0.07), device=device).exp()
    if staggered and method != "naive":
        raise ValueError("only the naive method can be staggered (its backward has no "
                         "collectives)")
    peak_tensor, peak_rss, seconds = 0, None, 0.0
    turns = range(world_size) if staggered else [None]
    for turn in turns:
        img, txt, s = _fresh(image, text, scale)
        if turn is not None and turn != rank:
            gather_features(img, txt, rank=rank, world_size=world_size)
        else:
            with measure_peak(device, rss=rss) as peak:
                seconds = _run(loss_fn, img, txt, s)
            peak_tensor, peak_rss = peak.tensor_bytes, peak.rss_bytes
        del img, txt, s
        if dist.is_initialized():
            dist.barrier()
    return _max_over_ranks(Measurement(method, world_size, batch, dim, peak_tensor, peak_rss,
                                       seconds), device)


def time_methods(methods: tuple[str, ...], rank: int, world_size: int, batch: int, dim: int,
                 device: torch.device, tile_size: int = 1024, repeats: int = 5,
                 warmup: int = 1) -> dict[str, float]:
    """Median over ``repeats`` of the slowest rank's forward+backward time, per method.

    Methods are interleaved within each repeat so that drifts in machine load hit all alike.
    """
    losses = {m: build_method(m, rank, world_size, tile_size) for m in methods}
    image, text = local_features(rank, batch // world_size, dim, device)
    scale = torch.tensor(math.log(1 / 0.07), device=device).exp()
    times: dict[str, list[float]] = {m: [] for m in methods}
    for i in range(warmup + repeats):
        for method in methods:
            img, txt, s = _fresh(image, text, scale)
            if dist.is_initialized():
                dist.barrier()
            elapsed = torch.tensor([_run(losses[method], img, txt, s)], device=device)
            if dist.is_initialized():
                dist.all_reduce(elapsed, op=dist.ReduceOp.MAX)
            if i >= warmup:
                times[method].append(elapsed.item())
    return {m: sorted(t)[len(t) // 2] for m, t in times.items()}


def _max_over_ranks(m: Measurement, device: torch.device) -> Measurement:
    if not dist.is_initialized():
        return m
    values = torch.tensor([m.tensor_bytes, -1 if m.rss_bytes is None else m.rss_bytes,
                           m.seconds], dtype=torch.float64, device=device)
    dist.all_reduce(values, op=dist.ReduceOp.MAX)
    m.tensor_bytes = int(values[0])
    m.rss_bytes = None if values[1] < 0 else int(values[1])
    m.seconds = float(values[2])
    return m


def memory_table_worker(rank: int, world_size: int, batches: list[int], dim: int,
                        tile_size: int, methods: tuple[str, ...] = METHODS) -> list[dict]:
    """Every (batch, method) cell of the memory table; ``naive`` staggered (see above)."""
    cpu = torch.device("cpu")
    for method in methods:  # warm-up: lazy initialisation (gloo buffers, kernels) is not loss
        measure_method(method, rank, world_size, 64 * world_size, dim, cpu, tile_size)
    return [measure_method(method, rank, world_size, batch, dim, cpu, tile_size,
                           staggered=method == "naive").as_dict()
            for batch in batches for method in methods]


def max_batch_worker(rank: int, world_size: int, method: str, budget_bytes: int, start: int,
                     step: int, dim: int, tile_size: int, max_probes: int = 4) -> dict:
    """Largest global batch (multiple of ``step``) whose measured peak fits ``budget_bytes``.

    Starts from the analytic prediction and walks by ``step``; every rank takes the same
    decisions because each measurement is the max over ranks.
    """
    cpu = torch.device("cpu")

    def peak(batch: int) -> int:
        return measure_method(method, rank, world_size, batch, dim, cpu, tile_size,
                              staggered=method == "naive", rss=False).tensor_bytes

    probes: dict[int, int] = {}
    batch = max(step, start // step * step)
    probes[batch] = peak(batch)
    if probes[batch] <= budget_bytes:
        while len(probes) < max_probes:
            probes[batch + step] = peak(batch + step)
            if probes[batch + step] > budget_bytes:
                break
            batch += step
        found = batch if probes[batch] <= budget_bytes else None
    else:
        while batch > step and len(probes) < max_probes:
            batch -= step
            probes[batch] = peak(batch)
            if probes[batch] <= budget_bytes:
                break
        found = batch if probes[batch] <= budget_bytes else None
    return {"method": method, "world_size": world_size, "max_batch": found, "probes": probes}


def bench_worker(rank: int, world_size: int, batch: int, dim: int, tile_size: int,
                 repeats: int, methods: tuple[str, ...] = BENCH_METHODS) -> list[dict]:
    """Step time (all ranks at once) and peak loss memory of every method at one batch."""
    device = (torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available()
              and dist.get_backend() == "nccl" else torch.device("cpu"))
    seconds = time_methods(methods, rank, world_size, batch, dim, device, tile_size, repeats)
    rows = []
    for method in methods:
        memory = measure_method(method, rank, world_size, batch, dim, device, tile_size)
        rows.append({**memory.as_dict(), "seconds": seconds[method], "device": str(device)})
    return rows
