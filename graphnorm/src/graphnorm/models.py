"""GCN, GAT and GatedGCN backbones with a pluggable norm per layer.

Layer order follows the official code (benchmarking-gnns layers):
conv -> norm -> activation -> residual -> dropout.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.nn import MLP, GATConv, GCNConv, MessagePassing, global_mean_pool
from torch_geometric.utils import scatter

from .norm import make_norm

LEVELS = ("node", "edge", "graph")


class GatedGCNConv(MessagePassing):
    r"""Residual gated graph convnet layer (Bresson & Laurent), as in benchmarking-gnns.

    .. math::
        e'_{ij} = C e_{ij} + D h_j + E h_i, \qquad
        h'_i = A h_i + \frac{\sum_{j \to i} \sigma(e'_{ij}) \odot B h_j}
                            {\sum_{j \to i} \sigma(e'_{ij}) + 10^{-6}}

    Returns the new node and edge features (before norm, activation and residual).
    """

    def __init__(self, channels: int) -> None:
        super().__init__(aggr="sum")
        self.channels = channels
        self.node_proj = torch.nn.Linear(channels, 4 * channels)  # A, B, D, E in one matmul
        self.edge_proj = torch.nn.Linear(channels, channels)  # C

    def reset_parameters(self) -> None:
        self.node_proj.reset_parameters()
        self.edge_proj.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> tuple[Tensor, Tensor]:
        ax, bx, dx, ex = self.node_proj(x).chunk(4, dim=-1)
        src, dst = edge_index
        e = self.edge_proj(edge_attr) + dx[src] + ex[dst]
        gate = torch.sigmoid(e)
        numerator = self.propagate(edge_index, x=bx, gate=gate)
        denominator = scatter(gate, dst, 0, dim_size=x.size(0), reduce="sum")
        return ax + numerator / (denominator + 1e-6), e

    def message(self, x_j: Tensor, gate: Tensor) -> Tensor:
        return gate * x_j


class GNNLayer(torch.nn.Module):
    """One backbone layer: conv -> norm -> activation -> residual -> dropout."""

    def __init__(
        self,
        model: str,
        channels: int,
        norm: str,
        heads: int = 8,
        dropout: float = 0.0,
        residual: bool = True,
        edge_norm: bool = True,
        norm_kwargs: dict | None = None,
        update_edges: bool = True,
    ) -> None:
        super().__init__()
        norm_kwargs = norm_kwargs or {}
        self.model = model
        # GatedGCN's edge features feed the next layer's gates; after the last layer they
        # are unused (heads read node embeddings), so the edge norm/residual is skipped there.
        self.update_edges = model == "gatedgcn" and update_edges
        if model == "gcn":
            self.conv = GCNConv(channels, channels)
        elif model == "gat":
            self.conv = GATConv(channels, channels // heads, heads=heads)
        elif model == "gatedgcn":
            self.conv = GatedGCNConv(channels)
        else:
            raise ValueError(f"unknown model {model!r}; expected gcn, gat or gatedgcn")
        self.norm = make_norm(norm, channels, **norm_kwargs)
        self.edge_norm = None
        if self.update_edges and edge_norm:
            self.edge_norm = make_norm(norm, channels, level="edge", **norm_kwargs)
        # The benchmark's GAT layer uses ELU; GCN and GatedGCN use ReLU.
        self.activation = F.elu if model == "gat" else F.relu
        self.dropout = dropout
        self.residual = residual

    def forward(
        self, h: Tensor, edge_index: Tensor, e: Tensor | None, batch: Tensor | None, num_graphs: int
    ) -> tuple[Tensor, Tensor | None]:
        h_in, e_in = h, e
        if self.model == "gatedgcn":
            h, e = self.conv(h, edge_index, e)
        else:
            h = self.conv(h, edge_index)
        if self.norm is not None:
            h = self.norm(h, edge_index, batch, num_graphs)
        h = self.activation(h)
        if self.residual:
            h = h_in + h
        h = F.dropout(h, self.dropout, self.training)
        if self.update_edges:
            if self.edge_norm is not None:
                e = self.edge_norm(e, edge_index, batch, num_graphs)
            e = self.activation(e)
            if self.residual:
                e = e_in + e
            e = F.dropout(e, self.dropout, self.training)
        return h, e


class GNN(torch.nn.Module):
    """Encoder -> L x :class:`GNNLayer` -> task head (benchmarking-gnns ``MLPReadout``).

    Args:
        model: ``"gcn" | "gat" | "gatedgcn"``.
        in_channels: node feature size, or the number of node types when ``categorical_x``.
        out_channels: classes (or 1 for regression).
        level: predict per ``"node"``, per ``"edge"`` (from the two endpoint embeddings) or
            per ``"graph"`` (mean readout).
        norms: one norm name per layer (``"none"`` for no normalization).
        edge_channels: edge feature size / number of edge types; 0 means no edge features,
            in which case GatedGCN starts every edge from a constant 1 (the benchmark's
            ``edge_feat=False``).
    """

    def __init__(
        self,
        model: str,
        in_channels: int,
        out_channels: int,
        level: str,
        norms: tuple[str, ...] | list[str],
        hidden: int = 70,
        heads: int = 8,
        dropout: float = 0.0,
        residual: bool = True,
        edge_norm: bool = True,
        categorical_x: bool = False,
        edge_channels: int = 0,
        categorical_edges: bool = False,
        norm_kwargs: dict | None = None,
    ) -> None:
        super().__init__()
        if level not in LEVELS:
            raise ValueError(f"level={level!r} is not one of {LEVELS}")
        self.level = level
        self.model = model
        if categorical_x:
            self.node_encoder = torch.nn.Embedding(in_channels, hidden)
        else:
            self.node_encoder = torch.nn.Linear(in_channels, hidden)
        self.edge_encoder = None
        self.categorical_edges = categorical_edges
        if model == "gatedgcn":
            if categorical_edges:
                self.edge_encoder = torch.nn.Embedding(edge_channels, hidden)
            else:
                self.edge_encoder = torch.nn.Linear(max(edge_channels, 1), hidden)
        self.layers = torch.nn.ModuleList(
            GNNLayer(
                model, hidden, norm, heads, dropout, residual, edge_norm, norm_kwargs,
                update_edges=i < len(norms) - 1,
            )
            for i, norm in enumerate(norms)
        )
        head_in = 2 * hidden if level == "edge" else hidden
        # MLPReadout(L=2): two hidden layers halving the width, then the output layer.
        self.head = MLP(
            [head_in, head_in // 2, head_in // 4, out_channels], norm=None, dropout=0.0
        )

    def encode_edges(self, data: Data) -> Tensor | None:
        if self.edge_encoder is None:
            return None
        edge_attr = getattr(data, "edge_attr", None)
        if self.categorical_edges:
            return self.edge_encoder(edge_attr.view(-1))
        if edge_attr is None:
            edge_attr = data.edge_index.new_ones(data.edge_index.size(1), 1, dtype=torch.float)
        return self.edge_encoder(edge_attr.view(edge_attr.size(0), -1).float())

    def forward(self, data: Data) -> Tensor:
        x = data.x.view(-1) if isinstance(self.node_encoder, torch.nn.Embedding) else data.x
        h = self.node_encoder(x)
        e = self.encode_edges(data)
        batch = getattr(data, "batch", None)
        num_graphs = int(data.num_graphs) if batch is not None else 1
        for layer in self.layers:
            h, e = layer(h, data.edge_index, e, batch, num_graphs)
        if self.level == "edge":
            src, dst = data.edge_index
            h = torch.cat([h[src], h[dst]], dim=-1)
        elif self.level == "graph":
            h = global_mean_pool(h, batch, num_graphs)
        return self.head(h)

    def graph_norms(self) -> list:
        """The node-level norm module of every layer (``None`` where a layer has none)."""
        return [layer.norm for layer in self.layers]
