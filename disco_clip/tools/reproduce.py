"""DisCo-CLIP's claims at CPU scale, measured on gloo process groups of N = 2 and 4 ranks.

(a) gradient equality: DisCo (both gradient scales, blockwise and tiled) and open_clip's local
    loss against the single-process full-batch loss, float64, max |difference|.
(b) memory: peak memory of one loss forward+backward per rank, naive vs open_clip local vs DisCo
    vs tiled, global batch 4K-16K, beside the analytic count.
(c) the largest global batch whose loss fits a per-rank memory budget, measured vs analytic.

The tables are printed and written into README.md between the reproduce markers. Needs about
10 minutes and < 8 GiB of memory on 2 CPU cores. Launched by torchrun (``make
reproduce-discoclip`` starts 2 processes), only rank 0 works: it starts its own groups of 2 and 4.

    python tools/reproduce.py                 # everything, README updated
    python tools/reproduce.py --quick --no-readme
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from disco_clip.benchmark import (
    analytic_bytes,
    max_batch_analytic,
    max_batch_worker,
    memory_table_worker,
)
from disco_clip.equivalence import max_abs_differences, rank_losses_and_grads
from disco_clip.spawn import run_in_process_group

ROOT = Path(__file__).resolve().parents[1]
MiB = 2**20
BEGIN, END = "<!-- reproduce:begin -->", "<!-- reproduce:end -->"
LABELS = {"naive": "naive (open_clip `ClipLoss()`)", "local": "open_clip local+gather_with_grad",
          "disco": "DisCo", "tiled": "DisCo tiled"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--launcher", choices=("none", "pytorch"), default="none")
    p.add_argument("--world-sizes", default="2,4")
    p.add_argument("--batches", default="4096,8192,16384", help="global batches for (b)")
    p.add_argument("--dim", type=int, default=512, help="embedding width (ViT-B/32: 512)")
    p.add_argument("--tile-size", type=int, default=1024)
    p.add_argument("--budget-mib", type=int, default=1024, help="per-rank loss budget for (c)")
    p.add_argument("--grad-local-batch", type=int, default=48, help="per-rank batch for (a)")
    p.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    p.add_argument("--readme", default=str(ROOT / "README.md"))
    p.add_argument("--no-readme", action="store_true")
    return p.parse_args(argv)


def gradient_table(world_sizes, local_batch: int, dim: int = 64, tile: int = 16) -> str:
    rows = ["| variant | N | global B | expected (vs full-batch `ClipLoss` L) | max abs diff: "
            "loss | ∇ image feats | ∇ text feats | ∇ logit_scale |",
            "|---|---|---|---|---|---|---|---|"]
    expected = {"paper": "2L, 2∇L", "paper_all_reduce": "2L, 2∇L", "paper_tiled": "2L, 2∇L",
                "open_clip": "L, N·∇L (feats)", "open_clip_all_reduce": "L, N·∇L (feats)",
                "open_clip_tiled": "L, N·∇L (feats)", "open_clip_local": "L, N·∇L (feats)",
                "naive": "L, ∇L"}
    for n in world_sizes:
        per_rank = run_in_process_group(rank_losses_and_grads, n, local_batch, dim, tile)
        for name, relation in expected.items():
            d = max_abs_differences(per_rank, name, n, local_batch, dim)
            rows.append(f"| {name} | {n} | {n * local_batch} | {relation} | {d['loss']:.1e} | "
                        f"{d['grad_image']:.1e} | {d['grad_text']:.1e} | "
                        f"{d['grad_logit_scale']:.1e} |")
    return "\n".join(rows)


def _cell(m: dict, n: int, dim: int, tile: int) -> str:
    rss = "n/a" if m["rss_bytes"] is None else f"{m['rss_bytes'] / MiB:,.0f}"
    analytic = analytic_bytes(m["method"], m["batch"], n, dim, tile) / MiB
    return f"{m['tensor_bytes'] / MiB:,.0f} ({rss}) / {analytic:,.0f}"


def memory_table(world_sizes, batches, dim: int, tile: int, budget: int):
    methods = ("naive", "local", "disco", "tiled")
    rows = ["| N | global B | " + " | ".join(LABELS[m] for m in methods) +
            " | DisCo ÷ naive (1/N) |", "|---|---|" + "---|" * len(methods) + "---|"]
    search = ["| N | method | analytic max B | measured max B | probes: B → tracked MiB |",
              "|---|---|---|---|---|"]
    for n in world_sizes:
        cells = run_in_process_group(memory_table_worker, n, batches, dim, tile, methods)[0]
        by_key = {(c["batch"], c["method"]): c for c in cells}
        for batch in batches:
            ratio = by_key[(batch, "disco")]["tensor_bytes"] / by_key[(batch, "naive")][
                "tensor_bytes"]
            rows.append(f"| {n} | {batch:,} | " + " | ".join(
                _cell(by_key[(batch, m)], n, dim, tile) for m in methods) +
                f" | {ratio:.3f} ({1 / n:.3f}) |")
        step = 512 * n
        for method in ("naive", "disco"):
            predicted = max_batch_analytic(method, budget, n, dim, tile, multiple=step)
            found = run_in_process_group(max_batch_worker, n, method, budget, predicted, step,
                                         dim, tile)[0]
            probes = ", ".join(f"{b:,} → {p / MiB:,.0f}" for b, p in sorted(found["probes"]
                                                                          .items()))
            best = "none" if found["max_batch"] is None else f"{found['max_batch']:,}"
            search.append(f"| {n} | {LABELS[method]} | {predicted:,} | {best} | {probes} |")
        tiled_analytic = max_batch_analytic("tiled", budget, n, dim, tile, multiple=step)
        biggest = max(batches)
        slope = by_key[(biggest, "tiled")]["tensor_bytes"] / biggest
        search.append(f"| {n} | {LABELS['tiled']} | {tiled_analytic:,} | not searched (CPU "
                      f"compute-bound); linear in B from the measured {biggest:,}: "
                      f"~{int(budget / slope):,} | |")
    return "\n".join(rows), "\n".join(search)


def write_readme(path: Path, text: str) -> None:
    readme = path.read_text()
    if BEGIN not in readme or END not in readme:
        raise ValueError(f"{path} has no {BEGIN} ... {END} markers")
    block = f"{BEGIN}\n{text}\n{END}"
    path.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, readme,
                           flags=re.S))


def main(argv=None) -> str:
    args = parse_args(argv)
    if args.launcher == "pytorch" and int(os.environ.get("RANK", "0")) != 0:
        return ""  # rank 0 drives its own process groups of every size
    if args.quick:
        args.batches, args.dim, args.tile_size, args.budget_mib = "512,1024", 64, 128, 12
        args.grad_local_batch = 8
    world_sizes = [int(x) for x in args.world_sizes.split(",")]
    batches = [int(x) for x in args.batches.split(",")]
    start = time.time()
    grads = gradient_table(world_sizes, args.grad_local_batch)
    print("(a) gradient equality\n" + grads, flush=True)
    memory, search = memory_table(world_sizes, batches, args.dim, args.tile_size,
                                  args.budget_mib * MiB)
    print("\n(b) peak loss memory per rank, MiB\n" + memory, flush=True)
    print(f"\n(c) max global batch under {args.budget_mib} MiB per rank\n" + search)
    took = time.time() - start
    command = "python tools/reproduce.py" + (" " + " ".join(argv) if argv else "")
    text = (
        f"Produced by `{command}` (= `make reproduce-discoclip`) in {took / 60:.1f} min on "
        f"{os.cpu_count()} CPU cores, gloo, float32 features of width D = {args.dim}, "
        f"tile {args.tile_size}.\n\n"
        "**(a) Gradient equality** (float64, per-rank batch "
        f"{args.grad_local_batch}, D = 64, tile 16). `L` = open_clip `ClipLoss` on the whole "
        "batch in one process; losses and ∇logit_scale averaged over ranks (as DDP does), "
        "feature gradients concatenated over ranks.\n\n" + grads + "\n\n"
        "**(b) Peak memory of one loss forward+backward, per rank (max over ranks), MiB**: "
        "tracked tensor peak (peak RSS growth) / analytic count.\n\n" + memory + "\n\n"
        f"**(c) Largest global batch whose loss fits {args.budget_mib} MiB per rank** "
        "(tracked tensor peak; multiples of 512·N).\n\n" + search
    )
    if not args.no_readme:
        write_readme(Path(args.readme), text)
        print(f"\nwrote the tables into {args.readme}")
    print(f"took {took:.0f} s")
    return text


if __name__ == "__main__":
    main(sys.argv[1:])
