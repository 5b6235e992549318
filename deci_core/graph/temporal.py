"""Temporal graphs (Rhino, Gong et al. 2023): lagged adjacencies ``G[1..K]``, instantaneous DAG ``G[0]``.

A temporal graph is a (K+1, d, d) 0/1 array: ``G[tau, i, j] = 1`` means ``x_{t-tau}^i -> x_t^j``.
Edges only point forward in time (there is no slot for the future) and, for tau >= 1, may go from a
variable to itself. Acyclicity concerns ``G[0]`` only: lagged edges can never close a cycle.

q(G): ``G[0]`` is the static ENCO-style :class:`~deci_core.graph.distribution.EdgeLogits` (one
three-way categorical per pair: i -> j, j -> i, none); each lagged edge is an independent Bernoulli
with its own logit. Hard constraints are masks per lag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from deci_core.graph.dag import acyclicity, greedy_dag
from deci_core.graph.distribution import EdgeLogits, _xlogx, pair_entropy, sample_pairs


class TemporalEdgeLogits(nn.Module):
    """Learnable q(G) over temporal graphs with K lags and fixed per-lag masks.

    The same interface as :class:`EdgeLogits` for the training loop: :meth:`probs` (here
    (K+1, d, d)), :meth:`draw`, :meth:`entropy_of`, :meth:`acyclicity_of`.

    Args:
        forbidden: (K+1, d, d) bool, edges that never exist (slot 0 instantaneous).
        required: (K+1, d, d) bool, edges that always exist.
    """

    def __init__(self, forbidden: torch.Tensor, required: torch.Tensor) -> None:
        super().__init__()
        self.instant = EdgeLogits(forbidden[0], required[0])
        self.register_buffer("lag_forbidden", forbidden[1:].bool() & ~required[1:].bool())
        self.register_buffer("lag_required", required[1:].bool())
        self.lag_logits = nn.Parameter(torch.full(forbidden[1:].shape, 0.0, device=forbidden.device))

    @property
    def lags(self) -> int:
        return int(self.lag_logits.shape[0])

    @property
    def forbidden(self) -> torch.Tensor:
        return torch.cat([self.instant.forbidden[None], self.lag_forbidden])

    @property
    def required(self) -> torch.Tensor:
        return torch.cat([self.instant.required[None], self.lag_required])

    def probs(self) -> torch.Tensor:
        """Edge probabilities (K+1, d, d), masks applied (differentiable)."""
        lagged = torch.sigmoid(self.lag_logits).masked_fill(self.lag_forbidden, 0.0)
        lagged = lagged.masked_fill(self.lag_required, 1.0)
        return torch.cat([self.instant.probs()[None], lagged])

    @staticmethod
    def draw(probs: torch.Tensor, num: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(num, K+1, d, d) graphs: G[0] by pairs (no 2-cycles), lagged edges independently."""
        return sample_temporal(probs, num, generator)

    @staticmethod
    def entropy_of(probs: torch.Tensor) -> torch.Tensor:
        return temporal_entropy(probs)

    @staticmethod
    def acyclicity_of(probs: torch.Tensor) -> torch.Tensor:
        return acyclicity(probs[0])

    @torch.no_grad()
    def set_probs(self, probs: np.ndarray) -> None:
        """Set the lagged logits and the instantaneous pairs to given probabilities (K+1, d, d)."""
        p = torch.as_tensor(probs, dtype=self.lag_logits.dtype).clamp(1e-4, 1 - 1e-4)
        self.lag_logits.copy_(torch.logit(p[1:]))
        d = p.shape[-1]
        for i in range(d):
            for j in range(i + 1, d):
                f, b = float(p[0, i, j]), float(p[0, j, i])
                scale = min(1.0, (1 - 1e-4) / (f + b))
                self.instant.set_pair(i, j, f * scale, b * scale)


def sample_temporal(probs: torch.Tensor, num: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw (num, K+1, d, d) 0/1 temporal graphs from probabilities (K+1, d, d)."""
    instant = sample_pairs(probs[0], num, generator)
    u = torch.rand(num, *probs[1:].shape, generator=generator, device=probs.device)
    return torch.cat([instant[:, None], (u < probs[1:]).float()], dim=1)


def temporal_entropy(probs: torch.Tensor) -> torch.Tensor:
    """Entropy (nats): three-way pairs of G[0] plus independent Bernoullis of the lagged edges."""
    lagged = probs[1:]
    return pair_entropy(probs[0]) + (-_xlogx(lagged) - _xlogx(1 - lagged)).sum()


def make_temporal_dag(graph: np.ndarray, probs: np.ndarray, required: np.ndarray) -> np.ndarray:
    """Make ``graph[0]`` acyclic (least probable edge on each cycle dropped); lags untouched."""
    out = np.asarray(graph, dtype=bool).copy()
    out[0] = greedy_dag(out[0], probs[0], required[0])
    return out


@dataclass(frozen=True, eq=False)
class TemporalGraphPosterior:
    """The fitted posterior over temporal graphs (names, not indices).

    Attributes:
        names: variable names. probs: (K+1, d, d), ``probs[tau, i, j] = q(x_{t-tau}^i -> x_t^j)``.
        forbidden, required: (K+1, d, d) bool masks.
    """

    names: tuple[str, ...]
    probs: np.ndarray
    forbidden: np.ndarray
    required: np.ndarray

    temporal = True

    @property
    def lags(self) -> int:
        return int(self.probs.shape[0]) - 1

    @property
    def edge_probs(self) -> pd.DataFrame:
        """The summary graph's probabilities: q(i -> j at some lag), parent rows x child columns.

        Lags are treated as independent: ``1 - prod_tau (1 - p[tau, i, j])``.
        """
        summary = 1.0 - np.prod(1.0 - self.probs, axis=0)
        return pd.DataFrame(summary, index=list(self.names), columns=list(self.names))

    def lagged_table(self) -> pd.DataFrame:
        """Every pair and lag: columns ``parent, child, lag, probability`` (no instantaneous self edges)."""
        rows = []
        k, d, _ = self.probs.shape
        for tau in range(k):
            for i in range(d):
                for j in range(d):
                    if tau == 0 and i == j:
                        continue
                    rows.append((self.names[i], self.names[j], tau, float(self.probs[tau, i, j])))
        return pd.DataFrame(rows, columns=["parent", "child", "lag", "probability"])

    def most_probable(self, threshold: float = 0.5) -> np.ndarray:
        """(K+1, d, d) bool: edges above ``threshold`` (required ones always), G[0] made acyclic."""
        candidates = (self.probs > threshold) & ~self.forbidden | self.required
        return make_temporal_dag(candidates, self.probs, self.required)

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """Draw ``n`` temporal graphs (n, K+1, d, d) bool, each with an acyclic G[0]."""
        gen = torch.Generator().manual_seed(int(seed))
        draws = sample_temporal(torch.as_tensor(self.probs, dtype=torch.float64), n, gen).numpy() > 0.5
        draws &= ~self.forbidden
        return np.stack([make_temporal_dag(g, self.probs, self.required) for g in draws]) if n else draws

    def summary(self, threshold: float = 0.5) -> np.ndarray:
        """(d, d) bool summary graph: i -> j when some lag has it (self edges possible)."""
        return self.most_probable(threshold).any(0)

    def edges(self, threshold: float | None = None) -> list[tuple[str, str, int, float]]:
        """``(parent, child, lag, probability)`` of :meth:`most_probable`, most probable first."""
        adj = self.most_probable(0.5 if threshold is None else threshold)
        found = [
            (self.names[i], self.names[j], int(tau), float(self.probs[tau, i, j]))
            for tau, i, j in zip(*np.nonzero(adj), strict=True)
        ]
        return sorted(found, key=lambda e: (-e[3], e[2]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "temporal": True,
            "names": list(self.names),
            "probs": self.probs.tolist(),
            "forbidden": self.forbidden.tolist(),
            "required": self.required.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TemporalGraphPosterior:
        return cls(
            tuple(d["names"]),
            np.asarray(d["probs"], dtype=float),
            np.asarray(d["forbidden"], dtype=bool),
            np.asarray(d["required"], dtype=bool),
        )
