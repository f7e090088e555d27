"""Per-epoch time of LearnedGraphNorm vs PyG's BatchNorm, LayerNorm and GraphNorm.

A synthetic batch of ``--graphs`` random graphs with ``--nodes`` nodes in total (default
100 x 1,000 = 100k nodes, mean degree 10) is trained full-batch with a 3-layer GCN whose
layers differ only in the norm after each convolution. One epoch = forward + backward +
Adam step on the whole graph. The norm alone (forward + backward on the same features) is
timed too. Both are printed as ratios to PyG ``BatchNorm`` measured in the same run.

The default clock is the process CPU time: with one torch thread it equals the wall time on an
idle machine, and unlike the wall time it does not count the time other jobs on a shared
machine hold the core. ``--clock wall`` measures wall time (use it with ``--threads`` > 1).

    python tools/bench.py [--nodes 100000] [--graphs 100] [--channels 64] [--repeats 5]
                          [--threads 1] [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import torch
import torch.nn.functional as F
from torch_geometric.nn import BatchNorm, GCNConv, GraphNorm, LayerNorm

from graphnorm import LearnedGraphNorm


class NormAdapter(torch.nn.Module):
    """Gives every norm the ``(x, edge_index, batch)`` call signature."""

    def __init__(self, name: str, channels: int) -> None:
        super().__init__()
        self.name = name
        if name == "PyG BatchNorm":
            self.norm = BatchNorm(channels)
        elif name.startswith("PyG LayerNorm"):
            self.norm = LayerNorm(channels, mode=name.split("=")[1].rstrip(")"))
        elif name == "PyG GraphNorm (Cai)":
            self.norm = GraphNorm(channels)
        else:
            self.norm = LearnedGraphNorm(channels, mode=name.split("=")[1].rstrip(")"))

    def forward(self, x, edge_index, batch, batch_size):
        if isinstance(self.norm, BatchNorm):
            return self.norm(x)
        if isinstance(self.norm, LearnedGraphNorm):
            return self.norm(x, edge_index, batch, batch_size)
        return self.norm(x, batch, batch_size)


class BenchGCN(torch.nn.Module):
    def __init__(self, norm: str, channels: int, classes: int, layers: int = 3) -> None:
        super().__init__()
        self.convs = torch.nn.ModuleList(GCNConv(channels, channels) for _ in range(layers))
        self.norms = torch.nn.ModuleList(NormAdapter(norm, channels) for _ in range(layers))
        self.head = torch.nn.Linear(channels, classes)

    def forward(self, x, edge_index, batch, batch_size):
        for conv, norm in zip(self.convs, self.norms, strict=True):
            x = F.relu(norm(conv(x, edge_index), edge_index, batch, batch_size))
        return self.head(x)


NORMS = [
    "PyG BatchNorm",
    "PyG LayerNorm(mode=graph)",
    "PyG LayerNorm(mode=node)",
    "PyG GraphNorm (Cai)",
    "LearnedGraphNorm(mode=batch)",
    "LearnedGraphNorm(mode=node)",
    "LearnedGraphNorm(mode=graph)",
    "LearnedGraphNorm(mode=adjacency)",
    "LearnedGraphNorm(mode=learned)",
]


def synthetic_graph(nodes: int, graphs: int, degree: float, channels: int, seed: int = 0):
    """``graphs`` equal-size random graphs (edges within a graph only), both directions."""
    gen = torch.Generator().manual_seed(seed)
    per_graph = nodes // graphs
    num_nodes = per_graph * graphs
    batch = torch.arange(graphs).repeat_interleave(per_graph)
    half = int(num_nodes * degree / 2)
    src = torch.randint(0, num_nodes, (half,), generator=gen)
    dst = batch[src] * per_graph + torch.randint(0, per_graph, (half,), generator=gen)
    edge_index = torch.cat([torch.stack([src, dst]), torch.stack([dst, src])], dim=1)
    x = torch.randn(num_nodes, channels, generator=gen)
    y = torch.randint(0, 10, (num_nodes,), generator=gen)
    return x, edge_index, batch, y


def train_epoch(model, optimizer, x, edge_index, batch, num_graphs, y) -> None:
    optimizer.zero_grad()
    F.cross_entropy(model(x, edge_index, batch, num_graphs), y).backward()
    optimizer.step()


def norm_forward_backward(norm, features, edge_index, batch, num_graphs, grad) -> None:
    norm(features, edge_index, batch, num_graphs).backward(grad)


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def time_it(fn, repeats: int, clock=time.process_time) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--graphs", type=int, default=100)
    parser.add_argument("--degree", type=float, default=10.0)
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--clock", choices=list(CLOCKS), default="cpu",
                        help="cpu: process CPU time (robust on a shared machine); wall: wall time")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    x, edge_index, batch, y = synthetic_graph(args.nodes, args.graphs, args.degree,
                                              args.channels)
    print(f"graph: {x.size(0)} nodes, {edge_index.size(1)} directed edges, {args.graphs} graphs, "
          f"{args.channels} channels; 3-layer GCN; {args.threads} thread(s); {args.clock} time, "
          f"median of {args.repeats}")
    clock = CLOCKS[args.clock]
    rows = []
    for name in NORMS:
        torch.manual_seed(0)
        model = BenchGCN(name, args.channels, 10)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        epoch = partial(train_epoch, model, optimizer, x, edge_index, batch, args.graphs, y)
        norm = NormAdapter(name, args.channels)
        norm_only = partial(norm_forward_backward, norm, x.clone().requires_grad_(), edge_index,
                            batch, args.graphs, torch.randn_like(x))
        rows.append({"norm": name, "epoch": time_it(epoch, args.repeats, clock),
                     "norm_only": time_it(norm_only, args.repeats, clock)})
    base = rows[0]
    print(f"{'norm':34s} {'epoch ms':>9s} {'x BatchNorm':>11s} {'norm fwd+bwd ms':>16s} "
          f"{'x BatchNorm':>11s}")
    for row in rows:
        row["epoch_ratio"] = row["epoch"] / base["epoch"]
        row["norm_ratio"] = row["norm_only"] / base["norm_only"]
        print(f"{row['norm']:34s} {1e3 * row['epoch']:9.1f} {row['epoch_ratio']:11.2f} "
              f"{1e3 * row['norm_only']:16.1f} {row['norm_ratio']:11.2f}")
    learned = next(r for r in rows if r["norm"] == "LearnedGraphNorm(mode=learned)")
    verdict = "meets" if learned["epoch_ratio"] <= 2.0 else "misses"
    print(f"LearnedGraphNorm(mode=learned) epoch time = {learned['epoch_ratio']:.2f}x PyG "
          f"BatchNorm ({verdict} the <= 2x goal)")
    return rows


if __name__ == "__main__":
    main()
