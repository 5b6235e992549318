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
        unidentified: (d, d) bool, symmetric: pairs whose direction is not identifiable from the
            data (a Markov-equivalent reversal the likelihood cannot tell apart, as with
            linear-Gaussian mechanisms; see :mod:`deci_core.training.identifiability`). Such a pair's
            probability is shared about evenly by its two directions; it counts as an edge of the
            most probable DAG when it exists with probability above the threshold. None: none marked.
    """

    names: tuple[str, ...]
    probs: np.ndarray
    forbidden: np.ndarray
    required: np.ndarray
    unidentified: np.ndarray | None = None

    NOT_IDENTIFIABLE = "direction not identifiable from the data"
    HINT = "add domain knowledge to orient it"

    @property
    def edge_probs(self) -> pd.DataFrame:
        """Edge probabilities: parent rows x child columns, labelled by variable names."""
        return pd.DataFrame(self.probs.copy(), index=list(self.names), columns=list(self.names))

    def most_probable(self, threshold: float = 0.5) -> np.ndarray:
        """The most probable DAG: required edges, then edges with probability > threshold.

        A pair marked not identifiable counts when it exists (either direction) with probability
        above the threshold, in its more probable direction. Edges are added greedily by decreasing
        probability, skipping any that would close a cycle.

        Returns:
            (d, d) bool DAG.
        """
        probs = self.probs
        if self.unidentified is not None and self.unidentified.any():
            exists = probs + probs.T
            lead = self.unidentified & (probs > probs.T) & (exists > threshold)
            probs = np.where(self.unidentified, np.where(lead, exists, 0.0), probs)
        return most_probable_dag(probs, self.forbidden, self.required, threshold)

    @property
    def identifiable(self) -> pd.DataFrame:
        """Bool DataFrame (parent rows x child columns): False where the pair's direction is not
        identifiable from the data."""
        mask = np.zeros_like(self.forbidden) if self.unidentified is None else self.unidentified
        return pd.DataFrame(~mask, index=list(self.names), columns=list(self.names))

    def not_identifiable(self, threshold: float = 0.5) -> list[tuple[str, str]]:
        """Edges of :meth:`most_probable` whose direction is not identifiable, as (parent, child)."""
        if self.unidentified is None:
            return []
        adj = self.most_probable(threshold) & self.unidentified
        return [(self.names[i], self.names[j]) for i, j in zip(*np.nonzero(adj), strict=True)]

    def is_identifiable(self, parent: str, child: str) -> bool:
        """False when the pair's direction is marked not identifiable from the data."""
        if self.unidentified is None:
            return True
        i, j = self.names.index(parent), self.names.index(child)
        return not bool(self.unidentified[i, j])

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
        """A DiGraph with names as nodes, ``probability`` on each edge, and ``identifiable``
        (False: direction not identifiable from the data).

        Args:
            threshold: None for :meth:`most_probable`; otherwise the edges above it, made acyclic.
        """
        adj = self.most_probable() if threshold is None else self.most_probable(threshold)
        graph = nx.DiGraph()
        graph.add_nodes_from(self.names)
        for i, j in zip(*np.nonzero(adj), strict=True):
            graph.add_edge(
                self.names[i],
                self.names[j],
                probability=float(self.probs[i, j]),
                identifiable=self.is_identifiable(self.names[i], self.names[j]),
            )
        return graph

    def edges(self, threshold: float | None = None) -> list[tuple[str, str, float]]:
        """Edges of :meth:`to_networkx` as ``(parent, child, probability)``, most probable first."""
        graph = self.to_networkx(threshold)
        edges = [(a, b, float(p)) for a, b, p in graph.edges(data="probability")]
        return sorted(edges, key=lambda e: -e[2])

    def to_dict(self) -> dict[str, Any]:
        unidentified = [] if self.unidentified is None else np.argwhere(np.triu(self.unidentified))
        return {
            "names": list(self.names),
            "probs": self.probs.tolist(),
            "forbidden": self.forbidden.tolist(),
            "required": self.required.tolist(),
            "unidentified": [[int(i), int(j)] for i, j in unidentified],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GraphPosterior:
        names = tuple(d["names"])
        unidentified = np.zeros((len(names), len(names)), dtype=bool)
        for i, j in d.get("unidentified", []):  # absent in files saved before it was recorded
            unidentified[i, j] = unidentified[j, i] = True
        return cls(
            names,
            np.asarray(d["probs"], dtype=float),
            np.asarray(d["forbidden"], dtype=bool),
            np.asarray(d["required"], dtype=bool),
            unidentified,
        )
