"""LearnedGraphNorm: each mode's defining invariant, λ, gradients, equivariance, edge cases."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.utils import to_undirected

from graphnorm import NORM_MODES, LearnedGraphNorm, make_norm

EPS = 1e-5


def random_batch(seed: int = 0, sizes=(5, 1, 8, 3), channels: int = 6, dtype=torch.float64):
    """A batch with a one-node graph, an isolated node, a self-loop and duplicate-free edges."""
    gen = torch.Generator().manual_seed(seed)
    batch = torch.cat([torch.full((n,), g) for g, n in enumerate(sizes)])
    offsets = torch.tensor([0, *torch.tensor(sizes).cumsum(0).tolist()])
    edges = []
    for g, n in enumerate(sizes):
        if n < 3:
            continue
        for _ in range(2 * n):
            i, j = torch.randint(0, n - 1, (2,), generator=gen).tolist()  # last node isolated
            if i != j:
                edges.append((offsets[g] + i, offsets[g] + j))
    edge_index = torch.tensor(edges, dtype=torch.long).t()
    edge_index = torch.cat([to_undirected(edge_index), torch.tensor([[2], [2]])], dim=1)
    x = 3.0 + 2.0 * torch.randn(len(batch), channels, generator=gen, dtype=dtype)
    return x, edge_index, batch


def neighbourhoods(edge_index: torch.Tensor, num_nodes: int) -> list[list[int]]:
    members = [[i] for i in range(num_nodes)]
    for s, d in edge_index.t().tolist():
        if s != d:
            members[d].append(s)
    return members


def standardize(values: torch.Tensor, dim, denominator: str) -> tuple:
    mean = values.mean(dim=dim)
    n = values.numel() if dim is None else values.size(dim)
    if denominator == "std":
        std = values.std(dim=dim) if n > 1 else torch.zeros_like(mean)
        return mean, std + EPS
    return mean, torch.sqrt(values.var(dim=dim, correction=0) + EPS)


def dense_reference(x, edge_index, batch, mode, denominator="std", stats="pooled"):
    """Brute force, one node at a time, straight from the definitions."""
    out = torch.empty_like(x)
    if mode == "node":
        return torch.nn.functional.layer_norm(x, (x.size(-1),), eps=EPS)
    if mode == "graph":
        for g in batch.unique():
            rows = batch == g
            mean, denom = standardize(x[rows], 0, denominator)
            out[rows] = (x[rows] - mean) / denom
        return out
    for i, members in enumerate(neighbourhoods(edge_index, x.size(0))):
        values = x[members]
        mean, denom = standardize(values, None if stats == "pooled" else 0, denominator)
        out[i] = (x[i] - mean) / denom
    return out


# ----------------------------------------------------------------------------- invariants
@pytest.mark.parametrize("denominator", ["std", "var"])
def test_graph_wise_zero_mean_unit_std_per_graph_and_channel(denominator):
    x, edge_index, batch = random_batch()
    norm = LearnedGraphNorm(x.size(-1), "graph", denominator=denominator).double()
    out = norm(x, edge_index, batch)
    for g in batch.unique():
        rows = out[batch == g]
        assert torch.allclose(rows.mean(0), torch.zeros(x.size(-1), dtype=x.dtype), atol=1e-10)
        if rows.size(0) > 1:
            std = rows.std(0) if denominator == "std" else rows.std(0, correction=0)
            assert torch.allclose(std, torch.ones_like(std), atol=1e-4)
        else:  # one node: centred value is exactly zero
            assert torch.equal(rows, torch.zeros_like(rows))
    assert torch.allclose(out, dense_reference(x, edge_index, batch, "graph", denominator))


@pytest.mark.parametrize("stats", ["pooled", "channel"])
@pytest.mark.parametrize("denominator", ["std", "var"])
def test_adjacency_wise_matches_dense_brute_force(stats, denominator):
    x, edge_index, batch = random_batch(seed=1)
    norm = LearnedGraphNorm(
        x.size(-1), "adjacency", denominator=denominator, adjacency_stats=stats
    ).double()
    expected = dense_reference(x, edge_index, batch, "adjacency", denominator, stats)
    torch.testing.assert_close(norm(x, edge_index, batch), expected, rtol=1e-9, atol=1e-9)


def test_adjacency_wise_is_directed_in_neighbourhood():
    x = torch.randn(3, 4, dtype=torch.float64)
    edge_index = torch.tensor([[0], [1]])  # 0 -> 1 only: node 0 sees itself alone
    norm = LearnedGraphNorm(4, "adjacency").double()
    out = norm(x, edge_index)
    torch.testing.assert_close(out[0], (x[0] - x[0].mean()) / (x[0].std() + EPS))
    pair = x[[0, 1]]
    torch.testing.assert_close(out[1], (x[1] - pair.mean()) / (pair.std() + EPS))


def test_batch_wise_equals_batchnorm1d_in_train_and_eval():
    torch.manual_seed(0)
    ours = LearnedGraphNorm(6, "batch")
    reference = torch.nn.BatchNorm1d(6)
    with torch.no_grad():
        reference.weight.uniform_(0.5, 1.5)
        reference.bias.uniform_(-1, 1)
        ours.weight.copy_(reference.weight)
        ours.bias.copy_(reference.bias)
    for _ in range(3):
        x = 2 + 3 * torch.randn(20, 6)
        torch.testing.assert_close(ours(x), reference(x))
    torch.testing.assert_close(ours.running_mean, reference.running_mean)
    torch.testing.assert_close(ours.running_var, reference.running_var)
    ours.eval()
    reference.eval()
    x = torch.randn(7, 6)
    torch.testing.assert_close(ours(x), reference(x))


def test_batch_wise_inside_learned_mode_uses_running_stats_in_eval():
    torch.manual_seed(0)
    norm = LearnedGraphNorm(4, "learned")
    with torch.no_grad():
        norm.lambdas.copy_(torch.tensor([-50.0, -50.0, -50.0, 50.0]).view(4, 1))  # ~batch only
    reference = torch.nn.BatchNorm1d(4, affine=False)
    x, edge_index = torch.randn(30, 4), torch.empty(2, 0, dtype=torch.long)
    torch.testing.assert_close(norm(x, edge_index), reference(x), atol=1e-5, rtol=1e-5)
    norm.eval()
    reference.eval()
    x = torch.randn(5, 4) + 3
    torch.testing.assert_close(norm(x, edge_index), reference(x), atol=1e-5, rtol=1e-5)


def test_node_wise_equals_layernorm():
    x = torch.randn(9, 5)
    torch.testing.assert_close(LearnedGraphNorm(5, "node")(x), torch.nn.LayerNorm(5)(x))


@pytest.mark.parametrize("lambda_param", ["softmax", "sum"])
def test_learned_mode_is_the_weighted_sum_of_the_single_norms(lambda_param):
    x, edge_index, batch = random_batch(seed=2)
    norm = LearnedGraphNorm(x.size(-1), "learned", lambda_param=lambda_param).double()
    with torch.no_grad():
        norm.lambdas.uniform_(0.2, 2.0)
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-1, 1)
    norm.eval()  # batch-wise term: running statistics, set to something non-trivial
    norm.running_mean.uniform_(-1, 1)
    norm.running_var.uniform_(0.5, 2)
    weights = norm.lambda_weights()
    batch_term = (x - norm.running_mean) / torch.sqrt(norm.running_var + EPS)
    singles = [dense_reference(x, edge_index, batch, m) for m in ("node", "adjacency", "graph")]
    expected = sum(w * s for w, s in zip(weights, [*singles, batch_term], strict=True))
    expected = norm.weight * expected + norm.bias
    torch.testing.assert_close(norm(x, edge_index, batch), expected)


# ----------------------------------------------------------------------------- λ
@pytest.mark.parametrize("lambda_param", ["softmax", "sum"])
def test_lambda_weights_sum_to_one(lambda_param):
    norm = LearnedGraphNorm(8, "learned", lambda_param=lambda_param)
    torch.testing.assert_close(norm.lambda_weights(), torch.full((4, 8), 0.25))
    with torch.no_grad():
        norm.lambdas.uniform_(0.1, 3.0)
    torch.testing.assert_close(norm.lambda_weights().sum(0), torch.ones(8))


@pytest.mark.parametrize("lambda_param", ["softmax", "sum"])
def test_gradients_reach_every_lambda(lambda_param):
    x, edge_index, batch = random_batch(seed=3, dtype=torch.float32)
    norm = LearnedGraphNorm(x.size(-1), "learned", lambda_param=lambda_param)
    (norm(x, edge_index, batch) * torch.randn_like(x)).sum().backward()
    assert norm.lambdas.grad is not None
    assert (norm.lambdas.grad.abs() > 0).all(), norm.lambdas.grad


# ----------------------------------------------------------------------------- symmetry
@pytest.mark.parametrize("mode", NORM_MODES)
@pytest.mark.parametrize("level", ["node", "edge"])
def test_permutation_equivariance(mode, level):
    x, edge_index, batch = random_batch(seed=4)
    torch.manual_seed(0)
    norm = LearnedGraphNorm(x.size(-1), mode, level=level).double()
    perm = torch.randperm(x.size(0))
    inverse = torch.empty_like(perm)
    inverse[perm] = torch.arange(perm.numel())
    edge_perm = torch.randperm(edge_index.size(1))
    permuted_edges = inverse[edge_index][:, edge_perm]
    if level == "node":
        out = norm(x, edge_index, batch)
        permuted = norm(x[perm], permuted_edges, batch[perm])
        torch.testing.assert_close(permuted, out[perm])
    else:
        e = torch.randn(edge_index.size(1), x.size(-1), dtype=x.dtype)
        out = norm(e, edge_index, batch)
        permuted = norm(e[edge_perm], permuted_edges, batch[perm])
        torch.testing.assert_close(permuted, out[edge_perm])


# ----------------------------------------------------------------------------- edge cases
@pytest.mark.parametrize("mode", NORM_MODES)
def test_empty_edge_set_and_isolated_nodes_are_finite(mode):
    x = torch.randn(6, 4, requires_grad=True)
    edge_index = torch.empty(2, 0, dtype=torch.long)
    out = LearnedGraphNorm(4, mode)(x, edge_index, torch.tensor([0, 0, 0, 1, 1, 2]))
    out.square().sum().backward()
    assert torch.isfinite(out).all() and torch.isfinite(x.grad).all()


def test_isolated_node_adjacency_wise_is_its_own_standardization():
    x = 5 + torch.randn(4, 6, dtype=torch.float64)
    out = LearnedGraphNorm(6, "adjacency").double()(x, torch.empty(2, 0, dtype=torch.long))
    expected = (x - x.mean(1, keepdim=True)) / (x.std(1, keepdim=True) + EPS)
    torch.testing.assert_close(out, expected)
    per_channel = LearnedGraphNorm(6, "adjacency", adjacency_stats="channel")
    assert torch.equal(per_channel(x.float(), torch.empty(2, 0, dtype=torch.long)),
                       torch.zeros(4, 6))


@pytest.mark.parametrize("mode", ["graph", "adjacency", "learned"])
def test_one_node_graph_gives_exactly_beta_and_finite_gradients(mode):
    """Zero variance must not turn float32 rounding into noise of size 1 / eps."""
    x = torch.full((1, 6), 1234.5, requires_grad=True)  # constant row: zero variance everywhere
    norm = LearnedGraphNorm(6, mode, adjacency_stats="channel")
    norm.eval()  # one row: batch-wise uses running statistics either way
    with torch.no_grad():
        norm.bias.uniform_(-1, 1)
    out = norm(x, torch.empty(2, 0, dtype=torch.long), torch.zeros(1, dtype=torch.long))
    if mode != "learned":
        assert torch.equal(out, norm.bias.expand_as(out))
    out.sum().backward()
    assert torch.isfinite(x.grad).all()


def test_single_graph_batch_none_equals_explicit_zero_batch():
    x, edge_index, _ = random_batch(seed=5, dtype=torch.float32)
    norm = LearnedGraphNorm(x.size(-1), "learned")
    zeros = torch.zeros(x.size(0), dtype=torch.long)
    torch.testing.assert_close(norm(x, edge_index), norm(x, edge_index, zeros))


def test_batch_wise_single_row_in_training_uses_running_stats():
    norm = LearnedGraphNorm(3, "batch")
    x = torch.tensor([[1.0, 2.0, 3.0]])
    torch.testing.assert_close(norm(x), x / torch.sqrt(torch.tensor(1 + EPS)))
    assert torch.equal(norm.running_mean, torch.zeros(3))


def test_edge_level_adjacency_uses_in_edges_of_the_target():
    edge_index = torch.tensor([[0, 1, 2, 0], [2, 2, 1, 1]])
    e = torch.randn(4, 5, dtype=torch.float64)
    out = LearnedGraphNorm(5, "adjacency", level="edge").double()(e, edge_index)
    for k, target in enumerate(edge_index[1].tolist()):
        group = e[edge_index[1] == target]
        torch.testing.assert_close(out[k], (e[k] - group.mean()) / (group.std() + EPS))


def test_unknown_norm_names_are_rejected():
    # The official LoadNorm returned None for its own README's "NodeNorm" (no norm at all).
    with pytest.raises(ValueError, match="NodeNorm"):
        make_norm("NodeNorm", 8)
    assert make_norm("none", 8) is None
    with pytest.raises(ValueError, match="needs edge_index"):
        LearnedGraphNorm(4, "adjacency")(torch.randn(3, 4))
