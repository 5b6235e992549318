"""The SEM's functions ``f_j(x_pa(j))``: one MLP per variable, all batched into single tensor ops.

Weights carry a leading node axis, e.g. the first layer is ``(d, C, H)`` for C encoded input columns
and H hidden units. The graph enters by masking the first layer's weights: input column c of
variable ``var(c)`` feeds node j's network only if ``A[var(c), j] = 1``. A non-parent's weights are
multiplied by exactly 0, so it has exactly no influence on ``f_j`` (tested by perturbation).

Every variable's network outputs K numbers, K = the widest variable: a continuous variable uses the
first as its mean, a binary one as its logit, a categorical with k levels the first k as logits.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class NodeMLPs(nn.Module):
    """d per-node MLPs with graph-masked inputs.

    Args:
        col_var: (C,) long, the variable of each encoded column.
        out_width: K, outputs per node.
        hidden: H, hidden units per node.
        layers: hidden layers per node (>= 1).
        generator: seeds the initial weights.
        num_nodes: networks to build (default: one per input variable). A temporal SEM feeds
            K+1 copies of the variables (one per lag) to d networks: ``col_var`` then names
            "variable i at lag tau" as ``tau * d + i`` and the adjacency is (S, (K+1) d, d).
    """

    def __init__(
        self,
        col_var: torch.Tensor,
        out_width: int,
        hidden: int,
        layers: int,
        generator: torch.Generator,
        num_nodes: int | None = None,
    ) -> None:
        super().__init__()
        self.register_buffer("col_var", col_var.long())
        d, c = num_nodes or int(col_var.max()) + 1, col_var.numel()
        self.w_in = nn.Parameter(uniform_init((d, c, hidden), c, generator))
        self.b_in = nn.Parameter(torch.zeros(d, hidden))
        self.w_hidden = nn.ParameterList(
            [nn.Parameter(uniform_init((d, hidden, hidden), hidden, generator)) for _ in range(layers - 1)]
        )
        self.b_hidden = nn.ParameterList([nn.Parameter(torch.zeros(d, hidden)) for _ in range(layers - 1)])
        self.w_out = nn.Parameter(uniform_init((d, hidden, out_width), hidden, generator))
        self.b_out = nn.Parameter(torch.zeros(d, out_width))

    def weight_matrices(self) -> list[nn.Parameter]:
        """The networks' weight matrices (not biases): what weight decay shrinks."""
        return [self.w_in, *self.w_hidden, self.w_out]

    inputs: tuple[torch.Tensor, torch.Tensor] | None = None
    """Set by :meth:`restrict`: (d, k) column indices each node may read, and which are real."""

    def restrict(self, allowed: torch.Tensor | None) -> None:
        """Read only the columns of allowed parents, for adjacencies that never leave ``allowed``.

        Args:
            allowed: (d_in, d) bool, ``allowed[i, j]``: variable i may feed node j; None reads every
                column again. Not saved with the weights: only a fit sets it, for its training.

        The first layer then costs ``n * d * k * H`` instead of ``n * d * C * H`` (k: the most
        columns any node may read); the outputs are the same up to rounding for such adjacencies.
        Ignored (every column is read) when k is more than half of C.
        """
        self.inputs = None
        if allowed is None:
            return
        col_allowed = allowed.to(self.col_var.device)[self.col_var, :].T  # (d, C)
        k = int(col_allowed.sum(1).max())
        if k > col_allowed.shape[1] // 2:
            return
        index = torch.zeros(col_allowed.shape[0], max(k, 1), dtype=torch.long, device=col_allowed.device)
        valid = torch.zeros(index.shape, dtype=torch.bool, device=col_allowed.device)
        for j, row in enumerate(col_allowed):
            cols = torch.nonzero(row).flatten()
            index[j, : len(cols)], valid[j, : len(cols)] = cols, True
        self.inputs = (index, valid)

    def _first_layer_restricted(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        """(S, n, d, H) pre-activations of the first layer, reading only each node's allowed columns."""
        index, valid = self.inputs
        d, k = index.shape
        col_mask = adjacency[:, self.col_var, :].transpose(1, 2)  # (S, d, C)
        mask = col_mask.gather(2, index.expand(col_mask.shape[0], d, k)) * valid  # (S, d, k)
        w = self.w_in.gather(1, index.unsqueeze(-1).expand(d, k, self.w_in.shape[-1]))  # (d, k, H)
        xg = x[..., index]  # (S, n, d, k) or (n, d, k)
        pattern = "snjk,sjkh->snjh" if x.dim() == 3 else "njk,sjkh->snjh"
        return torch.einsum(pattern, xg, w.unsqueeze(0) * mask.unsqueeze(-1))

    def forward(
        self, x: torch.Tensor, adjacency: torch.Tensor, nodes: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Evaluate ``f_j`` for every graph and node.

        Args:
            x: (n, C) encoded rows, or (S, n, C) with different rows per graph.
            adjacency: (S, d, d) graphs (0/1 or soft weights), ``A[i, j] = 1`` for i -> j.
            nodes: optional (m,) long, evaluate only these nodes (default: all d).

        Returns:
            (S, n, m, K) network outputs (means / logits) for each graph, row and node.
        """
        w_in, b_in, w_out, b_out = self.w_in, self.b_in, self.w_out, self.b_out
        hidden = list(zip(self.w_hidden, self.b_hidden, strict=True))
        if nodes is not None:
            adjacency = adjacency[..., nodes]
            w_in, b_in, w_out, b_out = w_in[nodes], b_in[nodes], w_out[nodes], b_out[nodes]
            hidden = [(w[nodes], b[nodes]) for w, b in hidden]
        if self.inputs is not None and nodes is None:
            z = F.leaky_relu(self._first_layer_restricted(x, adjacency) + b_in, 0.2)
        else:
            col_mask = adjacency[:, self.col_var, :]  # (S, C, m): column c may feed node j
            w = w_in.unsqueeze(0) * col_mask.transpose(1, 2).unsqueeze(-1)  # (S, m, C, H)
            s, m, c, h = w.shape
            z = torch.matmul(x, w.permute(0, 2, 1, 3).reshape(s, c, m * h))  # (S, n, m*H)
            z = F.leaky_relu(z.view(s, -1, m, h) + b_in, 0.2)
        for w_h, b_h in hidden:
            z = F.leaky_relu(torch.einsum("snjh,jhk->snjk", z, w_h) + b_h, 0.2)
        return torch.einsum("snjh,jhk->snjk", z, w_out) + b_out


def uniform_init(shape: tuple[int, ...], fan_in: int, generator: torch.Generator) -> torch.Tensor:
    """Uniform weights with variance 1 / fan_in (seeded by ``generator``)."""
    bound = 1.0 / math.sqrt(fan_in)
    return (torch.rand(shape, generator=generator) * 2 - 1) * bound * math.sqrt(3)
