"""Generators: deterministic by seed, the benchmark's structure, PyG's on-disk format, errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from torch_geometric.datasets import GNNBenchmarkDataset

from graphnorm.datasets import (
    GENERATED_DATASETS,
    DatasetFormatError,
    KNNMSTDataset,
    MoleculePropertyDataset,
    SBMClusterDataset,
    SBMPatternDataset,
)

SIZES = (6, 3, 3)


@pytest.mark.parametrize("task", sorted(GENERATED_DATASETS))
def test_generators_are_deterministic_by_seed(task, tmp_path):
    cls = GENERATED_DATASETS[task]
    first = cls(str(tmp_path / "a"), "val", SIZES, seed=3)
    second = cls(str(tmp_path / "b"), "val", SIZES, seed=3)
    other = cls(str(tmp_path / "c"), "val", SIZES, seed=4)
    assert len(first) == SIZES[1]
    for key in first._data.keys():
        assert torch.equal(first._data[key], second._data[key]), key
    assert not torch.equal(first._data.x, other._data.x) or not torch.equal(
        first._data.edge_index, other._data.edge_index
    )


def test_splits_differ(tmp_path):
    train = SBMClusterDataset(str(tmp_path), "train", (3, 3, 3))
    val = SBMClusterDataset(str(tmp_path), "val", (3, 3, 3))
    assert not torch.equal(train[0].edge_index, val[0].edge_index)


def check_undirected_simple(graph):
    src, dst = graph.edge_index
    assert (src != dst).all()
    pairs = set(zip(src.tolist(), dst.tolist(), strict=True))
    assert all((d, s) in pairs for s, d in pairs)


def test_cluster_follows_the_benchmark_generator(tmp_path):
    dataset = SBMClusterDataset(str(tmp_path), "train", (20, 1, 1))
    degrees, same, cross = [], [0, 0], [0, 0]
    for graph in dataset:
        check_undirected_simple(graph)
        sizes = torch.bincount(graph.y, minlength=6)
        assert ((sizes >= 5) & (sizes < 35)).all()
        marked = graph.x.sum(1) > 0  # one marked node per block, one-hot of its block
        assert marked.sum() == 6
        assert torch.equal(graph.x[marked].argmax(1).sort().values, torch.arange(6))
        assert torch.equal(graph.x[marked].argmax(1), graph.y[marked])
        n = graph.num_nodes
        block = graph.y
        src, dst = graph.edge_index
        intra = block[src] == block[dst]
        same[0] += intra.sum().item()
        cross[0] += (~intra).sum().item()
        counts = torch.bincount(block).float()
        same[1] += (counts * (counts - 1)).sum().item()
        cross[1] += n * (n - 1) - (counts * (counts - 1)).sum().item()
        degrees.append(graph.num_edges / n)
    assert same[0] / same[1] == pytest.approx(0.55, abs=0.02)  # p
    assert cross[0] / cross[1] == pytest.approx(0.25, abs=0.02)  # q


def test_pattern_plants_a_pattern(tmp_path):
    dataset = SBMPatternDataset(str(tmp_path), "train", (10, 1, 1))
    for graph in dataset:
        check_undirected_simple(graph)
        size = int(graph.y.sum())
        assert 5 <= size < 35
        assert graph.x.shape[1] == 3 and torch.equal(graph.x.sum(1), torch.ones(graph.num_nodes))


def test_link_labels_are_the_minimum_spanning_tree(tmp_path):
    for graph in KNNMSTDataset(str(tmp_path), "test", (1, 1, 4)):
        check_undirected_simple(graph)
        n = graph.num_nodes
        src, dst = graph.edge_index.numpy()
        components = connected_components(coo_matrix((np.ones(len(src)), (src, dst)),
                                                     shape=(n, n)))[0]
        assert int(graph.y.sum()) == 2 * (n - components)
        dist = (graph.x[graph.edge_index[0]] - graph.x[graph.edge_index[1]]).norm(dim=1)
        torch.testing.assert_close(graph.edge_attr.view(-1), dist)


def test_molecule_target_is_the_stated_ground_truth(tmp_path):
    a, w, c = MoleculePropertyDataset.ground_truth()
    for graph in MoleculePropertyDataset(str(tmp_path), "train", (5, 1, 1)):
        atoms = graph.x.view(-1).numpy()
        src, dst = graph.edge_index.numpy()
        bonds = graph.edge_attr.numpy()
        n, m = graph.num_nodes, len(src) // 2
        assert np.bincount(src, minlength=n).max() <= 4  # valence
        degree = np.bincount(src, minlength=n)
        pairs = w[atoms[src], atoms[dst]] * c[bonds]
        expected = a[atoms].mean() + pairs.sum() / 2 / n + 0.5 * (degree >= 3).mean()
        assert m >= n - 1
        assert graph.y.item() == pytest.approx(expected, abs=1e-5)


def test_graph_families_are_balanced_with_degree_features(tmp_path):
    dataset = GENERATED_DATASETS["graph_cls"](str(tmp_path), "train", (40, 1, 1))
    assert torch.equal(torch.bincount(dataset._data.y), torch.full((4,), 10))
    for graph in dataset:
        check_undirected_simple(graph)
        degree = torch.bincount(graph.edge_index[0], minlength=graph.num_nodes).clamp(max=9)
        assert torch.equal(graph.x.argmax(1), degree)


def test_raw_format_is_pygs_gnn_benchmark_format(tmp_path):
    ours = SBMClusterDataset(str(tmp_path / "ours"), "val", (4, 3, 2))
    raw = tmp_path / "pyg" / "CLUSTER" / "raw"
    raw.mkdir(parents=True)
    shutil.copy(tmp_path / "ours" / "CLUSTER" / "raw" / "CLUSTER_v2.pt", raw)
    theirs = GNNBenchmarkDataset(str(tmp_path / "pyg"), "CLUSTER", split="val")
    assert len(theirs) == len(ours) == 3
    for key in ("x", "edge_index", "y"):
        assert torch.equal(theirs._data[key], ours._data[key])


def test_raw_files_from_elsewhere_load_the_same_way(tmp_path):
    SBMClusterDataset(str(tmp_path / "gen"), "train", (3, 2, 2))
    real = tmp_path / "real" / "CLUSTER" / "raw"
    real.mkdir(parents=True)
    shutil.copy(tmp_path / "gen" / "CLUSTER" / "raw" / "CLUSTER_v2.pt", real)
    # No generator.json: the split sizes requested here are ignored, the file decides.
    assert len(SBMClusterDataset(str(tmp_path / "real"), "train", (100, 1, 1))) == 3


def write_raw(tmp_path, content) -> str:
    raw = tmp_path / "CLUSTER" / "raw"
    raw.mkdir(parents=True)
    path = raw / "CLUSTER_v2.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    return str(path)


def good_graph() -> dict:
    return {"x": torch.zeros(3, 6), "edge_index": torch.tensor([[0, 1], [1, 2]]),
            "y": torch.zeros(3, dtype=torch.long)}


def test_unreadable_raw_file_names_the_file(tmp_path):
    path = write_raw(tmp_path, b"this is not a torch file")
    with pytest.raises(DatasetFormatError, match="CLUSTER_v2.pt: not a readable torch file"):
        SBMClusterDataset(str(tmp_path))
    assert path


@pytest.mark.parametrize(
    "change,message",
    [
        ({"edge_index": torch.tensor([[0, 1], [1, 5]])}, "field 'edge_index' has node ids outside"),
        ({"x": torch.zeros(3, 7)}, "field 'x' is torch.float32 \\[3, 7\\]"),
        ({"y": torch.zeros(3)}, "field 'y' is torch.float32"),
        ({"y": None}, "field 'y' is missing"),
    ],
)
def test_malformed_field_names_file_graph_and_field(tmp_path, change, message):
    bad = {**good_graph(), **change}
    bad = {k: v for k, v in bad.items() if v is not None}
    write_raw(tmp_path, [[good_graph(), bad], [good_graph()], [good_graph()]])
    with pytest.raises(DatasetFormatError, match=f"CLUSTER_v2.pt: train graph 1: {message}"):
        SBMClusterDataset(str(tmp_path))


def test_wrong_split_structure_is_reported(tmp_path):
    write_raw(tmp_path, [[good_graph()]])
    with pytest.raises(DatasetFormatError, match="expected a list of 3 splits"):
        SBMClusterDataset(str(tmp_path))


def test_generator_parameter_mismatch_is_an_error(tmp_path):
    SBMClusterDataset(str(tmp_path), "train", (3, 2, 2), seed=0)
    with pytest.raises(ValueError, match="generator.json: dataset was generated with"):
        SBMClusterDataset(str(tmp_path), "train", (3, 2, 2), seed=1)
    stored = json.loads((tmp_path / "CLUSTER" / "raw" / "generator.json").read_text())
    assert stored == {"name": "CLUSTER", "version": 2, "num_graphs": [3, 2, 2], "seed": 0}
