"""Step time and peak loss memory of DisCo vs open_clip's losses, printed as ratios.

Baselines measured in the same run: open_clip ``ClipLoss(local_loss=True,
gather_with_grad=True)`` ("local", same memory class, reduce-scatter backward) and open_clip's
default distributed ``ClipLoss()`` ("naive", full B x B logits per rank). Also shown: DisCo
with the official repo's all_reduce backward ("disco_all_reduce") and the ring-tiled mode.
Goals from the issue: DisCo loss memory <= 1.2/N of naive at global B >= 8192, step time <=
1.0x local.

    python tools/bench.py                         # spawns 2 gloo ranks on CPU
    torchrun --nproc_per_node 8 tools/bench.py --launcher pytorch --batch 32768   # 8 GPUs, nccl
"""

from __future__ import annotations

import argparse
import os
import sys

import torch

from disco_clip.benchmark import BENCH_METHODS, bench_worker
from disco_clip.distributed import cleanup, init_distributed
from disco_clip.spawn import run_in_process_group

MiB = 2**20


def parse_args(argv):
    p = argparse.ArgumentParser(description="DisCo vs open_clip loss: time and memory ratios")
    p.add_argument("--launcher", choices=("none", "pytorch"), default="none",
                   help="none: spawn --spawn-ranks gloo ranks here; pytorch: use torchrun's group")
    p.add_argument("--spawn-ranks", type=int, default=2, help="ranks to spawn with --launcher none")
    p.add_argument("--batch", type=int, default=8192, help="global batch B")
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--tile-size", type=int, default=1024)
    p.add_argument("--repeats", type=int, default=5)
    return p.parse_args(argv)


def report(rows: list[dict], world_size: int, batch: int) -> str:
    by = {r["method"]: r for r in rows}
    device = rows[0]["device"]
    meter = "max_memory_allocated" if device.startswith("cuda") else "tracked tensor peak"
    lines = [f"global batch {batch:,}, {world_size} ranks, D = {rows[0]['dim']}, {device}; "
             f"peak = {meter} of one loss forward+backward (max over ranks); time = median "
             "step of the slowest rank",
             "| method | time (s) | time ÷ local | peak MiB | peak ÷ naive |",
             "|---|---|---|---|---|"]
    for method in BENCH_METHODS:
        r = by[method]
        lines.append(f"| {method} | {r['seconds']:.3f} | "
                     f"{r['seconds'] / by['local']['seconds']:.2f} | "
                     f"{r['tensor_bytes'] / MiB:,.0f} | "
                     f"{r['tensor_bytes'] / by['naive']['tensor_bytes']:.3f} |")
    memory = by["disco"]["tensor_bytes"] / by["naive"]["tensor_bytes"]
    speed = by["disco"]["seconds"] / by["local"]["seconds"]
    lines.append(f"DisCo memory ÷ naive = {memory:.3f} (goal <= 1.2/N = {1.2 / world_size:.3f}: "
                 f"{'met' if memory <= 1.2 / world_size else 'missed'}); DisCo time ÷ local = "
                 f"{speed:.2f} (goal <= 1.0: {'met' if speed <= 1.0 else 'missed'})")
    return "\n".join(lines)


def main(argv=None) -> str:
    args = parse_args(argv)
    if args.launcher == "pytorch":
        env = init_distributed("pytorch")
        try:
            rows = bench_worker(env.rank, env.world_size, args.batch, args.dim, args.tile_size,
                                args.repeats)
            world_size = env.world_size
        finally:
            cleanup(env)
        if int(os.environ.get("RANK", "0")) != 0:
            return ""
    else:
        world_size = args.spawn_ranks
        rows = run_in_process_group(bench_worker, world_size, args.batch, args.dim,
                                    args.tile_size, args.repeats)[0]
    text = report(rows, world_size, args.batch)
    print(text)
    return text


if __name__ == "__main__":
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    main(sys.argv[1:])
