"""The fitted posterior over graphs: a result object with query methods (names, not indices)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import torch

from deci_core.graph.dag import greedy_dag, most_probable_dag
from deci_core.graph.distribution import sample_pairs


@dataclass(frozen=True, eq=False)
class GraphPosterior:
    """Edge probabilities of q(G) and DAGs drawn from it.

    Every graph handed out is a DAG that satisfies the hard constraints: forbidden edges have
    probability 0 and are never drawn; required edges have probability 1 and are always kept; cycles
    are broken by :func:`~deci_core.graph.dag.greedy_dag` (edges kept in order of decreasing
    probability, so on each cycle the least probable edge is removed).

    Attributes:
        names: variable names, the node order of every matrix.
        probs: (d, d) float, ``probs[i, j]`` = q(i -> j).
        forbidden: (d, d) bool hard mask of forbidden edges.
        required: (d, d) bool hard mask of required edges.
    """

    names: tuple[str, ...]
    probs: np.ndarray
    forbidden: np.ndarray
    required: np.ndarray

    @property
    def edge_probs(self) -> pd.DataFrame:
        """Edge probabilities: parent rows x child columns, labelled by variable names."""
        return pd.DataFrame(self.probs.copy(), index=list(self.names), columns=list(self.names))

    def most_probable(self, threshold: float = 0.5) -> np.ndarray:
        """The most probable DAG: required edges, then edges with probability > threshold.

        Edges are added greedily by decreasing probability, skipping any that would close a cycle.

        Returns:
            (d, d) bool DAG.
        """
        return most_probable_dag(self.probs, self.forbidden, self.required, threshold)

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """Draw ``n`` DAGs from q(G).

        Each unordered pair is drawn once (i -> j, j -> i or none); cycles in a draw are broken by
        dropping the least probable edge on them.

        Returns:
            (n, d, d) bool DAGs.
        """
        gen = torch.Generator().manual_seed(int(seed))
        draws = sample_pairs(torch.as_tensor(self.probs, dtype=torch.float64), n, gen).numpy() > 0.5
        draws &= ~self.forbidden
        return np.stack([greedy_dag(g, self.probs, self.required) for g in draws]) if n else draws

    def to_networkx(self, threshold: float | None = None) -> nx.DiGraph:
        """A DiGraph with names as nodes and ``probability`` on each edge.

        Args:
            threshold: None for :meth:`most_probable`; otherwise the edges above it, made acyclic.
        """
        adj = self.most_probable() if threshold is None else self.most_probable(threshold)
        graph = nx.DiGraph()
        graph.add_nodes_from(self.names)
        for i, j in zip(*np.nonzero(adj), strict=True):
            graph.add_edge(self.names[i], self.names[j], probability=float(self.probs[i, j]))
        return graph

    def edges(self, threshold: float | None = None) -> list[tuple[str, str, float]]:
        """Edges of :meth:`to_networkx` as ``(parent, child, probability)``, most probable first."""
        graph = self.to_networkx(threshold)
        edges = [(a, b, float(p)) for a, b, p in graph.edges(data="probability")]
        return sorted(edges, key=lambda e: -e[2])

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "probs": self.probs.tolist(),
            "forbidden": self.forbidden.tolist(),
            "required": self.required.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GraphPosterior:
        return cls(
            tuple(d["names"]),
            np.asarray(d["probs"], dtype=float),
            np.asarray(d["forbidden"], dtype=bool),
            np.asarray(d["required"], dtype=bool),
        )
