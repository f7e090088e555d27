"""Every backbone x norm mode trains one step, and every parameter receives a gradient."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Batch, Data

from graphnorm import GNN, NORM_MODES, LearnedGraphNorm

MODES = (*NORM_MODES, "none")


def tiny_batch(num_graphs: int = 3, channels: int = 5, seed: int = 0) -> Batch:
    gen = torch.Generator().manual_seed(seed)
    graphs = []
    for g in range(num_graphs):
        n = 4 + g
        src = torch.randint(0, n, (3 * n,), generator=gen)
        dst = torch.randint(0, n, (3 * n,), generator=gen)
        graphs.append(Data(
            x=torch.randn(n, channels, generator=gen),
            edge_index=torch.stack([src, dst]),
            edge_attr=torch.rand(3 * n, 1, generator=gen),
            y=torch.randint(0, 3, (n,), generator=gen),
        ))
    return Batch.from_data_list(graphs)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("model", ["gcn", "gat", "gatedgcn"])
def test_every_backbone_and_mode_trains_one_step(model, mode):
    torch.manual_seed(0)
    batch = tiny_batch()
    net = GNN(model, in_channels=5, out_channels=3, level="node", norms=[mode] * 3, hidden=16,
              heads=4, edge_channels=1)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    before = [p.detach().clone() for p in net.parameters()]
    loss = torch.nn.functional.cross_entropy(net(batch), batch.y)
    loss.backward()
    for name, param in net.named_parameters():
        assert param.grad is not None, f"{name} got no gradient"
        assert torch.isfinite(param.grad).all(), name
    optimizer.step()
    assert all(not torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    norms = [m for m in net.modules() if isinstance(m, LearnedGraphNorm)]
    expected = 0 if mode == "none" else 3 + (2 if model == "gatedgcn" else 0)  # + edge norms
    assert len(norms) == expected


@pytest.mark.parametrize("level,out_rows", [("node", 15), ("edge", 45), ("graph", 3)])
def test_heads_predict_per_node_edge_and_graph(level, out_rows):
    batch = tiny_batch()
    net = GNN("gatedgcn", 5, 2, level, ["learned"] * 2, hidden=8, edge_channels=1)
    assert net(batch).shape == (out_rows, 2)


def test_norm_is_pluggable_per_layer():
    net = GNN("gcn", 5, 3, "node", ["batch", "none", "learned"], hidden=8)
    assert [n.mode if n is not None else None for n in net.graph_norms()] == [
        "batch", None, "learned"
    ]


def test_categorical_inputs_use_embeddings():
    batch = tiny_batch()
    batch.x = torch.randint(0, 7, (batch.num_nodes, 1))
    batch.edge_attr = torch.randint(0, 3, (batch.num_edges,))
    net = GNN("gatedgcn", 7, 1, "graph", ["graph"] * 2, hidden=8, categorical_x=True,
              edge_channels=3, categorical_edges=True)
    assert net(batch).shape == (3, 1)


def test_eval_mode_output_does_not_depend_on_the_rest_of_the_batch():
    """Only the batch-wise branch looks across graphs, and in eval it uses running stats."""
    torch.manual_seed(0)
    batch = tiny_batch()
    net = GNN("gatedgcn", 5, 3, "graph", ["learned"] * 2, hidden=8, edge_channels=1).eval()
    alone = Batch.from_data_list([batch.get_example(0)])
    torch.testing.assert_close(net(batch)[0], net(alone)[0], rtol=1e-4, atol=1e-5)
