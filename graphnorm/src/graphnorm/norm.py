"""Learned graph normalization (Chen et al., arXiv 2009.11746) as a PyG module.

Four normalizations, each usable alone or as a learned per-channel combination:

* node-wise      -- LayerNorm over the channels of each node;
* adjacency-wise -- one mean/std per node over the features of its in-neighbours and itself;
* graph-wise     -- per graph and per channel standardization;
* batch-wise     -- BatchNorm over all nodes of the mini-batch (running statistics in eval).

Every statistic is a scatter over ``batch`` or ``edge_index``, so a forward pass costs
O(N F + E) for the pooled adjacency statistics (O((N + E) F) for the per-channel variant).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.utils import scatter

SINGLE_MODES = ("node", "adjacency", "graph", "batch")  # row order of the λ matrix
NORM_MODES = (*SINGLE_MODES, "learned")
LAMBDA_PARAMS = ("sum", "softmax")
DENOMINATORS = ("std", "var")
ADJACENCY_STATS = ("pooled", "channel")
LEVELS = ("node", "edge")

# Added under the square root of the "std" denominator only so that its gradient stays finite
# when a group has zero variance (one-node graphs, constant features); sqrt(1e-20) = 1e-10 is
# five orders of magnitude below eps, so forward values are unchanged at float32 precision.
_TINY = 1e-20


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {choices}")


class LearnedGraphNorm(torch.nn.Module):
    r"""Node-, adjacency-, graph- or batch-wise normalization, or their learned combination.

    .. math::
        \hat{x} = \sum_{k \in \{n, a, g, b\}} \tilde{\lambda}_k \odot \mathrm{Norm}_k(x),
        \qquad y = \gamma \odot \hat{x} + \beta

    with per-channel weights :math:`\tilde{\lambda}_k \in \mathbb{R}^F`, either sum-normalised
    (:math:`\lambda_k / \sum_j \lambda_j`, the paper's first version and the official
    ``UnitedNorm``) or a softmax over the four norms (the official ``UnitedNormSoftmax``).
    With a single ``mode`` the sum has one term and :math:`\tilde{\lambda} = 1`, so
    ``mode="batch"`` is exactly :class:`torch.nn.BatchNorm1d` and ``mode="node"`` exactly
    :class:`torch.nn.LayerNorm`.

    Args:
        in_channels: feature size F.
        mode: ``"node" | "adjacency" | "graph" | "batch" | "learned"``.
        lambda_param: ``"softmax"`` or ``"sum"`` normalisation of the λ weights (learned mode).
        denominator: ``"std"`` divides graph/adjacency-wise statistics by the unbiased std + eps
            as the official code does; ``"var"`` by sqrt(biased var + eps) as LayerNorm does.
            Node-wise (LayerNorm) and batch-wise (BatchNorm) keep their usual form.
        adjacency_stats: ``"pooled"`` (official: one scalar mean/std per neighbourhood, pooled
            over channels) or ``"channel"`` (one mean/std per neighbourhood and channel).
        level: ``"node"`` normalizes node features; ``"edge"`` normalizes edge features, where
            the adjacency-wise group of edge (j -> i) is every in-edge of i (official
            ``AdjaEdgeNorm``) and the graph-wise group is the edges of one graph.
        eps: added to the denominators (1e-5 as in the official code).
        momentum: running-statistics momentum of the batch-wise norm, as in BatchNorm.
        affine: learn the final per-channel scale γ and shift β.
    """

    def __init__(
        self,
        in_channels: int,
        mode: str = "learned",
        lambda_param: str = "softmax",
        denominator: str = "std",
        adjacency_stats: str = "pooled",
        level: str = "node",
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
    ) -> None:
        super().__init__()
        _check_choice("mode", mode, NORM_MODES)
        _check_choice("lambda_param", lambda_param, LAMBDA_PARAMS)
        _check_choice("denominator", denominator, DENOMINATORS)
        _check_choice("adjacency_stats", adjacency_stats, ADJACENCY_STATS)
        _check_choice("level", level, LEVELS)
        self.in_channels = in_channels
        self.mode = mode
        self.lambda_param = lambda_param
        self.denominator = denominator
        self.adjacency_stats = adjacency_stats
        self.level = level
        self.eps = eps
        self.momentum = momentum
        self.modes = SINGLE_MODES if mode == "learned" else (mode,)

        if mode == "learned":
            # λ_node, λ_adjacency, λ_graph, λ_batch, each per channel; ones as in the official
            # code, i.e. every norm starts with weight 1/4 under either parameterisation.
            self.lambdas = torch.nn.Parameter(torch.empty(len(SINGLE_MODES), in_channels))
        else:
            self.register_parameter("lambdas", None)
        if "batch" in self.modes:
            self.register_buffer("running_mean", torch.zeros(in_channels))
            self.register_buffer("running_var", torch.ones(in_channels))
        if affine:
            self.weight = torch.nn.Parameter(torch.empty(in_channels))  # γ
            self.bias = torch.nn.Parameter(torch.empty(in_channels))  # β
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.lambdas is not None:
            torch.nn.init.ones_(self.lambdas)
        if self.weight is not None:
            torch.nn.init.ones_(self.weight)
            torch.nn.init.zeros_(self.bias)
        self.reset_running_stats()

    def reset_running_stats(self) -> None:
        if "batch" in self.modes:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)

    def lambda_weights(self) -> Tensor:
        """Normalised λ of the learned mode, ``[4, F]`` (node, adjacency, graph, batch);
        each column sums to 1."""
        if self.lambdas is None:
            raise ValueError(f"mode={self.mode!r} has no λ; only mode='learned' learns them")
        if self.lambda_param == "softmax":
            return torch.softmax(self.lambdas, dim=0)
        return self.lambdas / self.lambdas.sum(dim=0, keepdim=True)

    # ----------------------------------------------------------------------------- forward
    def forward(
        self,
        x: Tensor,
        edge_index: Tensor | None = None,
        batch: Tensor | None = None,
        batch_size: int | None = None,
    ) -> Tensor:
        """Normalize node features ``x [N, F]`` (or edge features ``[E, F]`` at edge level).

        Args:
            x: features to normalize.
            edge_index: ``[2, E]`` edges (source, target); needed by the adjacency-wise norm
                and at edge level.
            batch: node-to-graph assignment ``[N]``; ``None`` means one graph.
            batch_size: number of graphs (inferred from ``batch`` when omitted).
        """
        if x.dim() != 2 or x.size(-1) != self.in_channels:
            raise ValueError(f"expected x of shape [*, {self.in_channels}], got {list(x.shape)}")
        needs_edges = "adjacency" in self.modes or self.level == "edge"
        if needs_edges and edge_index is None:
            raise ValueError(f"mode={self.mode!r} at level={self.level!r} needs edge_index")
        # The two classic norms run as PyTorch's fused kernels.
        if self.mode == "node":
            return F.layer_norm(x, (x.size(-1),), self.weight, self.bias, self.eps)
        if self.mode == "batch":
            return self._batch_norm(x)

        weights = self.lambda_weights() if self.lambdas is not None else x.new_ones(1, x.size(-1))
        if self.weight is not None:
            weights = weights * self.weight  # fold γ into λ: γ ⊙ Σ_k λ_k N_k = Σ_k (γ λ_k) N_k
        # Per-row statistics serve the node-wise and pooled adjacency-wise norms, and the row
        # mean is the reference point of the combination (see _combine).
        needs_rows = self.mode == "learned" or (
            self.mode == "adjacency" and self.adjacency_stats == "pooled"
        )
        row_stats = self._row_stats(x) if needs_rows else None
        terms = [
            self._statistics(x, mode, edge_index, batch, batch_size, row_stats)
            for mode in self.modes
        ]
        return self._combine(x, weights, terms, row_stats)

    def _combine(
        self, x: Tensor, weights: Tensor, terms: list[tuple], row_stats: tuple | None
    ) -> Tensor:
        r"""Σ_k w_k ⊙ (x - mean_k) * scale_k + β, in few passes over the [R, F] features.

        With the row mean m, per-row and per-channel terms are affine in x_c = x - m:
        Σ w_k (x - mean_k) scale_k = x_c ⊙ A + B, where A and B are sums of outer products
        of per-row columns and per-channel rows, i.e. one ``[R, k] @ [k, F]`` product each.
        Per-group terms add their already centred x - mean[index]. Differences are taken
        between nearby quantities (x - m, mean_k - m, x - mean[index]), so a group with zero
        variance (isolated node, one-node graph) gives exactly β, not rounding noise scaled
        by 1 / eps.
        """
        channels = x.size(-1)
        zero = x.new_zeros(channels)
        const_a, const_b = zero, (self.bias if self.bias is not None else zero)
        cols_a, weights_a, cols_b, weights_b, dense = [], [], [], [], []
        for w, (kind, mean, scale, index) in zip(weights, terms, strict=True):
            if kind == "rows":  # mean, scale: [R, 1]
                cols_a.append(scale)
                weights_a.append(w)
                cols_b.append((row_stats[1] - mean) * scale)
                weights_b.append(w)
            elif kind == "channels":  # mean, scale: [F]; (x - mean) = x_c + (m - mean)
                const_a = const_a + w * scale
                const_b = const_b - w * mean * scale
                cols_b.append(row_stats[1])
                weights_b.append(w * scale)
            else:  # "dense": mean is the centred x, scale is [G, F] (gathered) or [R, F]
                dense.append((mean, w * scale, index))
        out = None
        if cols_b:  # some per-row or per-channel term
            a = const_a
            if cols_a:
                a = torch.addmm(const_a, torch.cat(cols_a, dim=-1), torch.stack(weights_a))
            b = torch.addmm(const_b, torch.cat(cols_b, dim=-1), torch.stack(weights_b))
            out = torch.addcmul(b, row_stats[2], a)
        for centred, scale, index in dense:
            term = centred * (scale if index is None else scale[index])
            out = term + const_b if out is None else out + term
        return out

    def _batch_norm(self, x: Tensor) -> Tensor:
        # Like PyG's BatchNorm(allow_single_element=True): a single row has no batch variance,
        # so it is normalized with the running statistics (which it does not update).
        use_batch_stats = self.training and x.size(0) > 1
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=use_batch_stats,
            momentum=self.momentum,
            eps=self.eps,
        )

    def _row_stats(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Biased variance and mean over the channels of every row (``[R, 1]`` each), and the
        row-centred features. (Two explicit passes: ``torch.var_mean`` is several times
        slower on CPU.)"""
        mean = x.mean(dim=-1, keepdim=True)
        centred = x - mean
        return (centred * centred).mean(dim=-1, keepdim=True), mean, centred

    def _statistics(
        self,
        x: Tensor,
        mode: str,
        edge_index: Tensor | None,
        batch: Tensor | None,
        batch_size: int | None,
        row_stats: tuple[Tensor, Tensor, Tensor] | None,
    ) -> tuple[str, Tensor, Tensor, Tensor | None]:
        """One norm's statistics as ``(kind, mean, scale, index)``:

        * ``"rows"``: mean and scale ``[R, 1]``, one per row;
        * ``"channels"``: mean and scale ``[F]``, one per channel;
        * ``"dense"``: ``mean`` is the centred ``x - mean[index]`` ``[R, F]`` and ``scale``
          is per group ``[G, F]`` (rows mapped by ``index``) or per row ``[R, F]``.
        """
        if mode == "node":
            var, mean, _ = row_stats
            return "rows", mean, torch.rsqrt(var + self.eps), None
        if mode == "batch":
            if self.training and x.size(0) > 1:
                mean = x.mean(dim=0)
                var = (x - mean).square().mean(dim=0)
                with torch.no_grad():  # BatchNorm's update, with the unbiased variance
                    n = x.size(0)
                    self.running_mean.lerp_(mean, self.momentum)
                    self.running_var.lerp_(var * n / (n - 1), self.momentum)
            else:
                mean, var = self.running_mean, self.running_var
            return "channels", mean, torch.rsqrt(var + self.eps), None
        if mode == "graph":
            if batch is None:
                index, groups = x.new_zeros(x.size(0), dtype=torch.long), 1
            else:
                groups = int(batch.max()) + 1 if batch_size is None else batch_size
                index = batch if self.level == "node" else batch[edge_index[1]]
            centred, scale = self._partition_stats(x, index, groups)
            return "dense", centred, scale, index
        # adjacency-wise
        if self.level == "edge":
            dst = edge_index[1]
            groups = int(dst.max()) + 1 if dst.numel() else 0
            if self.adjacency_stats == "pooled":
                mean, scale = self._pooled_stats(row_stats, x.size(-1), None, dst, groups)
                return "rows", mean[dst], scale[dst], None
            centred, scale = self._partition_stats(x, dst, groups)
            return "dense", centred, scale, dst
        src, dst = edge_index
        keep = src != dst  # i belongs to S_i once; a self-loop would count it twice
        src, dst = src[keep], dst[keep]
        if self.adjacency_stats == "pooled":
            mean, scale = self._pooled_stats(row_stats, x.size(-1), src, dst, x.size(0))
            return "rows", mean, scale, None
        centred, scale = self._neighbourhood_channel_stats(x, src, dst)
        return "dense", centred, scale, None

    def _scale(self, centred_sq_sum: Tensor, count: Tensor) -> Tensor:
        """1 / denominator from a group's centred sum of squares and its element count."""
        if self.denominator == "std":
            var = centred_sq_sum / (count - 1).clamp(min=1)  # unbiased; groups of one -> 0
            return 1.0 / (torch.sqrt(var + _TINY) + self.eps)
        return torch.rsqrt(centred_sq_sum / count.clamp(min=1) + self.eps)

    def _partition_stats(self, x: Tensor, index: Tensor, groups: int) -> tuple[Tensor, Tensor]:
        """Centred ``x - mean[index]`` and per group/channel scale (two-pass, stable)."""
        count = scatter(x.new_ones(x.size(0), 1), index, 0, dim_size=groups, reduce="sum")
        mean = scatter(x, index, 0, dim_size=groups, reduce="sum") / count.clamp(min=1)
        centred = x - mean[index]
        sq_sum = scatter(centred * centred, index, 0, dim_size=groups, reduce="sum")
        return centred, self._scale(sq_sum, count)

    def _pooled_stats(
        self,
        row_stats: tuple[Tensor, Tensor, Tensor],
        channels: int,
        src: Tensor | None,
        dst: Tensor,
        groups: int,
    ) -> tuple[Tensor, Tensor]:
        """Mean and scale per group, pooled over the rows and channels of its members.

        Members of group g are the rows r with ``dst[r] = g`` when ``src`` is None (edges by
        target node), else node g itself plus every ``src[e]`` with ``dst[e] = g``. Pooled
        sums come from each row's channel mean and variance (law of total variance), so
        the cost is O(R F + E) and no [E, F] tensor is formed.
        """
        row_var, row_mean = row_stats[0].squeeze(-1), row_stats[1].squeeze(-1)
        if src is None:
            member_mean, member_var = row_mean, row_var
            members = scatter(torch.ones_like(row_mean), dst, 0, dim_size=groups, reduce="sum")
            mean_sum = scatter(member_mean, dst, 0, dim_size=groups, reduce="sum")
        else:
            member_mean, member_var = row_mean[src], row_var[src]
            members = 1.0 + scatter(torch.ones_like(member_mean), dst, 0, dim_size=groups,
                                    reduce="sum")
            mean_sum = row_mean + scatter(member_mean, dst, 0, dim_size=groups, reduce="sum")
        mean = mean_sum / members.clamp(min=1)
        # Σ over member rows and channels of (x - mean)² = F Σ_rows (var_row + (m_row - mean)²)
        spread = member_var + (member_mean - mean[dst]) ** 2
        sq_sum = scatter(spread, dst, 0, dim_size=groups, reduce="sum")
        if src is not None:
            sq_sum = sq_sum + row_var + (row_mean - mean) ** 2
        count = members * channels
        return mean.unsqueeze(-1), self._scale(channels * sq_sum, count).unsqueeze(-1)

    def _neighbourhood_channel_stats(
        self, x: Tensor, src: Tensor, dst: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Centred x and scale per node and channel over S_i = in-neighbours(i) ∪ {i}.

        Neighbourhoods overlap, so the statistics come from scattered sums of x and x²
        (one pass over the edges); shifting x by its channel mean first removes the
        cancellation in E[x²] - E[x]² when features share a large offset.
        """
        shift = x.mean(0).detach()
        shifted = x - shift
        s1 = shifted + scatter(shifted[src], dst, 0, dim_size=x.size(0), reduce="sum")
        sq = shifted * shifted
        s2 = sq + scatter(sq[src], dst, 0, dim_size=x.size(0), reduce="sum")
        count = 1.0 + scatter(x.new_ones(src.numel(), 1), dst, 0, dim_size=x.size(0),
                              reduce="sum")
        mean = s1 / count
        sq_sum = (s2 - s1 * mean).clamp(min=0)
        return shifted - mean, self._scale(sq_sum, count)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, mode={self.mode!r}, lambda_param={self.lambda_param!r}, "
            f"denominator={self.denominator!r}, adjacency_stats={self.adjacency_stats!r}, "
            f"level={self.level!r}"
        )


def make_norm(name: str, channels: int, level: str = "node", **kwargs) -> LearnedGraphNorm | None:
    """Build the norm named in a config; ``"none"`` gives ``None``; unknown names raise.

    (The official code's ``LoadNorm`` returned ``None`` for unknown names such as the
    README's own ``NodeNorm``, silently training without normalization.)
    """
    if name == "none":
        return None
    _check_choice("norm", name, NORM_MODES + ("none",))
    return LearnedGraphNorm(channels, mode=name, level=level, **kwargs)
