"""Deterministic graph dataset generators as PyG ``InMemoryDataset`` s.

Every dataset uses the on-disk layout and raw format of PyG's ``GNNBenchmarkDataset``
(``<root>/<NAME>/raw/<NAME>_v2.pt``, ``<root>/<NAME>/processed/<split>_data.pt``). A missing
raw file is *generated* (``download()`` is the generator, nothing is fetched); existing raw
files are validated field by field, so a malformed file fails with its path and field named.

* :class:`SBMClusterDataset`  -- node classification, benchmarking-gnns CLUSTER generator
* :class:`SBMPatternDataset`  -- node classification, benchmarking-gnns PATTERN generator
* :class:`KNNMSTDataset`      -- link prediction (TSP-style edge labels): which k-NN edges
  of a random point cloud belong to its minimum spanning tree
* :class:`GraphFamilyDataset` -- graph classification: which random-graph family generated it
* :class:`MoleculePropertyDataset` -- graph regression: a fixed additive "property" of
  ZINC-like typed graphs (per-atom and per-bond contributions minus a ring penalty)
"""

from __future__ import annotations

import json
import os.path as osp
from collections.abc import Callable

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree
from torch_geometric.data import Data, InMemoryDataset
from torch_geometric.io import fs

SPLITS = ("train", "val", "test")


class DatasetFormatError(ValueError):
    """A dataset file is unreadable or a field has the wrong shape, dtype or range."""


# ----------------------------------------------------------------------------- helpers
def _undirected_edge_index(upper: np.ndarray) -> np.ndarray:
    """Edges of a boolean strictly-upper-triangular adjacency, both directions, sorted."""
    adj = upper | upper.T
    return np.stack(np.nonzero(adj)).astype(np.int64)


def _sbm_upper(rng: np.random.Generator, block: np.ndarray, p: float, q: float) -> np.ndarray:
    """Strictly upper-triangular SBM adjacency: P(edge) = p inside a block, q across."""
    n = block.size
    prob = np.where(block[:, None] == block[None, :], p, q)
    return np.triu(rng.random((n, n)) < prob, k=1)


def _one_hot(values: np.ndarray, num_classes: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.from_numpy(values), num_classes).float()


def _split_rng(seed: int, split: str) -> np.random.Generator:
    return np.random.default_rng([seed, SPLITS.index(split)])


# ----------------------------------------------------------------------------- base class
class GeneratedGraphDataset(InMemoryDataset):
    """Base class: generate the raw file on first use, validate it, load one split.

    On-disk layout and raw format are those of PyG's ``GNNBenchmarkDataset`` (2.8):
    ``<root>/<NAME>/raw/<NAME>_v2.pt`` holds ``[train, val, test]``, each a list of
    per-graph ``dict`` s of tensors, and ``<root>/<NAME>/processed/<split>_data.pt`` the
    collated splits. Raw files that were not generated here (the real benchmark files, for
    CLUSTER/PATTERN) are read the same way.

    Args:
        root: dataset root (the ``<NAME>/`` folder is created inside).
        split: ``"train" | "val" | "test"``.
        num_graphs: graphs per split (train, val, test) -- used only when generating.
        seed: generator seed -- used only when generating.
    """

    name: str = ""
    #: bumped whenever a generator changes, so stale generated files are detected
    version: int = 2
    #: field -> (dtype, shape spec); "N" = num nodes, "E" = num edges, ints are fixed sizes.
    fields: dict[str, tuple[torch.dtype, tuple]] = {}

    def __init__(
        self,
        root: str,
        split: str = "train",
        num_graphs: tuple[int, int, int] = (100, 20, 20),
        seed: int = 0,
        transform: Callable | None = None,
        pre_transform: Callable | None = None,
    ) -> None:
        if split not in SPLITS:
            raise ValueError(f"split={split!r} is not one of {SPLITS}")
        self.num_graphs_per_split = tuple(int(n) for n in num_graphs)
        self.seed = seed
        self._check_generator_params(osp.join(root, self.name, "raw", "generator.json"))
        super().__init__(root, transform, pre_transform)
        self.load(self.processed_paths[SPLITS.index(split)])

    # -- PyG dataset protocol
    @property
    def raw_dir(self) -> str:
        return osp.join(self.root, self.name, "raw")

    @property
    def processed_dir(self) -> str:
        return osp.join(self.root, self.name, "processed")

    @property
    def raw_file_names(self) -> list[str]:
        return [f"{self.name}_v2.pt"]

    @property
    def processed_file_names(self) -> list[str]:
        return [f"{split}_data.pt" for split in SPLITS]

    def download(self) -> None:
        """Generate every split (nothing is downloaded)."""
        splits = []
        for split, count in zip(SPLITS, self.num_graphs_per_split, strict=True):
            rng = _split_rng(self.seed, split)
            splits.append([self.generate_graph(rng, i).to_dict() for i in range(count)])
        torch.save(splits, self.raw_paths[0])
        with open(osp.join(self.raw_dir, "generator.json"), "w") as f:
            json.dump(self.generator_params(), f)

    def process(self) -> None:
        splits = self.read_raw(self.raw_paths[0])
        for data_list, path in zip(splits, self.processed_paths, strict=True):
            if self.pre_transform is not None:
                data_list = [self.pre_transform(d) for d in data_list]
            self.save(data_list, path)

    # -- subclass hook
    def generate_graph(self, rng: np.random.Generator, index: int) -> Data:
        raise NotImplementedError

    # -- validation
    def generator_params(self) -> dict:
        return {"name": self.name, "version": self.version,
                "num_graphs": list(self.num_graphs_per_split), "seed": self.seed}

    def _check_generator_params(self, path: str) -> None:
        if not osp.exists(path):
            return  # nothing generated yet, or raw files from elsewhere (real data)
        with open(path) as f:
            stored = json.load(f)
        if stored != self.generator_params():
            raise ValueError(
                f"{path}: dataset was generated with {stored}, but {self.generator_params()} "
                "was requested; use another folder or delete this one"
            )

    def read_raw(self, path: str) -> list[list[Data]]:
        """Load the raw ``[train, val, test]`` lists; errors name the file, graph and field."""
        try:
            splits = fs.torch_load(path)
        except Exception as exc:  # any unpickling failure
            raise DatasetFormatError(f"{path}: not a readable torch file ({exc})") from exc
        if not isinstance(splits, (list, tuple)) or len(splits) != len(SPLITS):
            raise DatasetFormatError(f"{path}: expected a list of 3 splits (train, val, test)")
        out = []
        for split, graphs in zip(SPLITS, splits, strict=True):
            data_list = []
            for i, graph in enumerate(graphs):
                where = f"{path}: {split} graph {i}"
                if not isinstance(graph, dict):
                    raise DatasetFormatError(f"{where}: expected a dict of tensors")
                data_list.append(self.check_graph(Data(**graph), where))
            out.append(data_list)
        return out

    def check_graph(self, graph: Data, where: str) -> Data:
        edge_index = graph.get("edge_index")
        if not isinstance(edge_index, torch.Tensor) or edge_index.dim() != 2 or (
            edge_index.size(0) != 2
        ):
            raise DatasetFormatError(f"{where}: field 'edge_index' must be a [2, E] tensor")
        if edge_index.dtype != torch.long:
            raise DatasetFormatError(f"{where}: field 'edge_index' must be int64")
        sizes = {"E": edge_index.size(1)}
        for key, (dtype, spec) in self.fields.items():
            value = graph.get(key)
            if not isinstance(value, torch.Tensor):
                raise DatasetFormatError(f"{where}: field {key!r} is missing")
            if key == "x":
                sizes["N"] = value.size(0)
            shape = tuple(sizes.get(s, s) for s in spec)
            if value.dtype != dtype or tuple(value.shape) != shape:
                raise DatasetFormatError(
                    f"{where}: field {key!r} is {value.dtype} {list(value.shape)}, "
                    f"expected {dtype} {list(shape)}"
                )
        num_nodes = sizes["N"]
        if edge_index.numel() and (edge_index.min() < 0 or edge_index.max() >= num_nodes):
            raise DatasetFormatError(
                f"{where}: field 'edge_index' has node ids outside [0, {num_nodes})"
            )
        return graph


# ----------------------------------------------------------------------------- SBM datasets
class SBMClusterDataset(GeneratedGraphDataset):
    """benchmarking-gnns CLUSTER: 6 SBM blocks of U[5, 35) nodes, p = 0.55, q = 0.25.

    Every node must be assigned its block; the input signal marks one random node per block
    with ``block + 1`` and every other node with 0. As in PyG's CLUSTER, ``x`` has 6 columns:
    the one-hot block of a marked node, all zeros for an unmarked one.
    """

    name = "CLUSTER"
    num_clusters, size_range, p, q = 6, (5, 35), 0.55, 0.25
    num_classes = 6
    fields = {"x": (torch.float, ("N", 6)), "y": (torch.long, ("N",))}

    def generate_graph(self, rng: np.random.Generator, index: int) -> Data:
        sizes = rng.integers(*self.size_range, size=self.num_clusters)
        block = rng.permutation(np.repeat(np.arange(self.num_clusters), sizes))
        edge_index = _undirected_edge_index(_sbm_upper(rng, block, self.p, self.q))
        signal = np.zeros(block.size, dtype=np.int64)
        for r in range(self.num_clusters):
            signal[rng.choice(np.flatnonzero(block == r))] = r + 1
        return Data(
            x=_one_hot(signal, self.num_clusters + 1)[:, 1:],
            edge_index=torch.from_numpy(edge_index),
            y=torch.from_numpy(block.astype(np.int64)),
        )


class SBMPatternDataset(GeneratedGraphDataset):
    """benchmarking-gnns PATTERN: find the planted pattern in a 5-block SBM (p=0.5, q=0.35).

    Node signals are uniform over a vocabulary of 3. Each pattern (``num_patterns`` of them,
    U[5, 35) nodes, internal edge probability 0.5, fixed signal) is drawn once per dataset;
    graph ``i`` of every split plants pattern ``i mod num_patterns``, linked to the rest with
    probability 0.5. Label 1 marks the pattern's nodes.
    """

    name = "PATTERN"
    num_clusters, size_range, p, q = 5, (5, 35), 0.5, 0.35
    p_pattern, q_pattern, vocab_size = 0.5, 0.5, 3
    num_patterns = 100
    num_classes = 2
    fields = {"x": (torch.float, ("N", 3)), "y": (torch.long, ("N",))}

    def download(self) -> None:
        rng = np.random.default_rng([self.seed, len(SPLITS)])  # shared by every split
        self.patterns = []
        for _ in range(self.num_patterns):
            size = rng.integers(*self.size_range)
            upper = np.triu(rng.random((size, size)) < self.p_pattern, k=1)
            self.patterns.append((upper | upper.T, rng.integers(self.vocab_size, size=size)))
        super().download()

    def generate_graph(self, rng: np.random.Generator, index: int) -> Data:
        pattern_adj, pattern_signal = self.patterns[index % self.num_patterns]
        sizes = rng.integers(*self.size_range, size=self.num_clusters)
        block = np.repeat(np.arange(self.num_clusters), sizes)
        upper = _sbm_upper(rng, block, self.p, self.q)
        n, m = block.size, pattern_signal.size
        adj = np.zeros((n + m, n + m), dtype=bool)
        adj[:n, :n] = upper | upper.T
        adj[n:, n:] = pattern_adj
        cross = rng.random((n, m)) < self.q_pattern
        adj[:n, n:] = cross
        adj[n:, :n] = cross.T
        signal = np.concatenate([rng.integers(self.vocab_size, size=n), pattern_signal])
        label = np.concatenate([np.zeros(n, np.int64), np.ones(m, np.int64)])
        perm = rng.permutation(n + m)
        adj = adj[perm][:, perm]
        return Data(
            x=_one_hot(signal[perm], self.vocab_size),
            edge_index=torch.from_numpy(np.stack(np.nonzero(adj)).astype(np.int64)),
            y=torch.from_numpy(label[perm]),
        )


# ----------------------------------------------------------------------------- link prediction
class KNNMSTDataset(GeneratedGraphDataset):
    """Link prediction in the style of benchmarking-gnns TSP: points uniform in the unit
    square (U[20, 50) of them), k = 8 nearest-neighbour graph with distances as edge
    features; an edge is positive when it belongs to the graph's minimum spanning tree
    (ground truth from scipy). Same fields as PyG's TSP: ``x`` = coordinates, ``edge_attr``
    = distance, ``y`` = per-edge label.
    """

    name = "KNN_MST"
    size_range, k = (20, 50), 8
    num_classes = 2
    fields = {
        "x": (torch.float, ("N", 2)),
        "edge_attr": (torch.float, ("E", 1)),
        "y": (torch.long, ("E",)),
    }

    def generate_graph(self, rng: np.random.Generator, index: int) -> Data:
        n = int(rng.integers(*self.size_range))
        pos = rng.random((n, 2))
        dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
        neighbours = np.argsort(dist, axis=1)[:, 1 : self.k + 1]
        knn = np.zeros((n, n), dtype=bool)
        knn[np.repeat(np.arange(n), self.k), neighbours.ravel()] = True
        src, dst = np.nonzero(knn | knn.T)
        tree = minimum_spanning_tree(coo_matrix((dist[src, dst], (src, dst)), shape=(n, n)))
        in_tree = np.zeros((n, n), dtype=bool)
        in_tree[tree.nonzero()] = True
        in_tree |= in_tree.T
        return Data(
            x=torch.from_numpy(pos).float(),
            edge_index=torch.from_numpy(np.stack([src, dst]).astype(np.int64)),
            edge_attr=torch.from_numpy(dist[src, dst]).float().view(-1, 1),
            y=torch.from_numpy(in_tree[src, dst].astype(np.int64)),
        )


# ----------------------------------------------------------------------------- graph tasks
class GraphFamilyDataset(GeneratedGraphDataset):
    """Graph classification: which of four random-graph families (all with mean degree
    about 4 and U[12, 40) nodes) produced the graph -- 0 Erdos-Renyi, 1 two-block SBM,
    2 Barabasi-Albert (m = 2), 3 Watts-Strogatz (k = 4, rewiring 0.2). Labels are balanced.
    Node features are the one-hot degree, capped at 9 (the usual input for attribute-free
    graphs; with constant features a mean-aggregating GatedGCN cannot see structure at all).
    """

    name = "GRAPH_FAMILIES"
    size_range, degree = (12, 40), 4.0
    num_classes = 4
    max_degree = 9
    fields = {"x": (torch.float, ("N", 10)), "y": (torch.long, (1,))}

    def generate_graph(self, rng: np.random.Generator, index: int) -> Data:
        label = index % self.num_classes
        n = int(rng.integers(*self.size_range))
        upper = getattr(self, f"_family_{label}")(rng, n)
        degree = (upper | upper.T).sum(1).clip(max=self.max_degree)
        return Data(
            x=_one_hot(degree, self.max_degree + 1),
            edge_index=torch.from_numpy(_undirected_edge_index(upper)),
            y=torch.tensor([label]),
        )

    def _family_0(self, rng: np.random.Generator, n: int) -> np.ndarray:
        p = self.degree / (n - 1)
        return np.triu(rng.random((n, n)) < p, k=1)

    def _family_1(self, rng: np.random.Generator, n: int) -> np.ndarray:
        # Within-block probability 4x the cross-block one, mean degree still `degree`.
        block = np.arange(n) % 2
        q = self.degree / (n - 1) / 2.5
        return _sbm_upper(rng, block, 4 * q, q)

    def _family_2(self, rng: np.random.Generator, n: int) -> np.ndarray:
        upper = np.zeros((n, n), dtype=bool)
        upper[0, 1] = upper[0, 2] = upper[1, 2] = True
        degree = np.array([2, 2, 2] + [0] * (n - 3), dtype=float)
        for v in range(3, n):
            targets = rng.choice(v, size=2, replace=False, p=degree[:v] / degree[:v].sum())
            upper[targets, v] = True
            degree[targets] += 1
            degree[v] = 2
        return upper

    def _family_3(self, rng: np.random.Generator, n: int) -> np.ndarray:
        adj = np.zeros((n, n), dtype=bool)
        for offset in (1, 2):  # ring lattice, k = 4
            adj[np.arange(n), (np.arange(n) + offset) % n] = True
        src, dst = np.nonzero(adj)
        for u, v in zip(src, dst, strict=True):
            if rng.random() < 0.2:  # rewire (u, v) to (u, w), avoiding loops and duplicates
                free = np.flatnonzero(~(adj[u] | adj[:, u]))
                free = free[free != u]
                if free.size:
                    adj[u, v] = False
                    adj[u, rng.choice(free)] = True
        adj = adj | adj.T
        return np.triu(adj, k=1)


class MoleculePropertyDataset(GeneratedGraphDataset):
    """Graph regression on ZINC-like graphs (U[9, 38) atoms of 8 types, bonds of 3 types,
    a random tree with valence <= 4 plus 0-3 ring-closing bonds), stored like PyG's ZINC
    (``x`` = atom type [N, 1], ``edge_attr`` = bond type [E]). The target is a fixed additive
    property, in the spirit of ZINC's constrained solubility (atom and bond contributions
    plus a structural term):

        y = mean_v a[t_v] + (1 / N) * sum_{bonds uv} W[t_u, t_v] * c[b_uv]
            + 0.5 * (fraction of branching atoms, degree >= 3)

    with ``a``, ``W`` (symmetric) and ``c`` drawn once from a fixed seed (the ground truth).
    Every term is a mean of local quantities, so a GNN with mean readout can learn it.
    """

    name = "MOLECULE_PROPERTY"
    size_range, num_atom_types, num_bond_types, max_valence = (9, 38), 8, 3, 4
    atom_probs = np.array([0.55, 0.15, 0.12, 0.06, 0.05, 0.03, 0.02, 0.02])
    bond_probs = np.array([0.7, 0.2, 0.1])
    branching_weight = 0.5
    fields = {
        "x": (torch.long, ("N", 1)),
        "edge_attr": (torch.long, ("E",)),
        "y": (torch.float, (1,)),
    }

    @classmethod
    def ground_truth(cls) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Atom contributions a, pair weights W and bond multipliers c (fixed, seed 2020)."""
        rng = np.random.default_rng(2020)
        a = rng.normal(0.0, 1.0, cls.num_atom_types)
        w = rng.normal(0.0, 1.0, (cls.num_atom_types, cls.num_atom_types))
        c = np.array([1.0, 1.5, 2.0])
        return a, (w + w.T) / 2, c

    def generate_graph(self, rng: np.random.Generator, index: int) -> Data:
        n = int(rng.integers(*self.size_range))
        atoms = rng.choice(self.num_atom_types, size=n, p=self.atom_probs)
        degree = np.zeros(n, dtype=np.int64)
        bonds: list[tuple[int, int]] = []
        for v in range(1, n):
            parents = np.flatnonzero(degree[:v] < self.max_valence)
            u = int(rng.choice(parents))
            bonds.append((u, v))
            degree[[u, v]] += 1
        existing = set(bonds)
        for _ in range(int(rng.integers(0, 4))):
            u, v = sorted(rng.choice(n, size=2, replace=False).tolist())
            if (u, v) in existing or max(degree[u], degree[v]) >= self.max_valence:
                continue
            bonds.append((u, v))
            existing.add((u, v))
            degree[[u, v]] += 1
        bond_types = rng.choice(self.num_bond_types, size=len(bonds), p=self.bond_probs)
        a, w, c = self.ground_truth()
        u, v = np.array(bonds).T
        y = a[atoms].mean() + (w[atoms[u], atoms[v]] * c[bond_types]).sum() / n
        y += self.branching_weight * (degree >= 3).mean()
        return Data(
            x=torch.from_numpy(atoms).view(-1, 1),
            edge_index=torch.from_numpy(np.stack([np.r_[u, v], np.r_[v, u]]).astype(np.int64)),
            edge_attr=torch.from_numpy(np.r_[bond_types, bond_types].astype(np.int64)),
            y=torch.tensor([y], dtype=torch.float),
        )


GENERATED_DATASETS = {
    "cluster": SBMClusterDataset,
    "pattern": SBMPatternDataset,
    "link": KNNMSTDataset,
    "graph_cls": GraphFamilyDataset,
    "graph_reg": MoleculePropertyDataset,
}
