"""A causal graph as an immutable value: :class:`CausalGraph` (names, edges, locked edges, positions).

Adjacency convention (as everywhere in deci_core): ``A[i, j] = 1`` means i -> j (row parent,
column child). Outside this module graphs are addressed by variable *names*; indices only appear
in :meth:`CausalGraph.to_adjacency` / :meth:`CausalGraph.from_adjacency`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import networkx as nx
import numpy as np

from deci_core.errors import GraphError
from deci_core.graph.dag import find_cycle

Edge = tuple[str, str]
ARROW = " → "


@dataclass(frozen=True, eq=True)
class CausalGraph:
    """A DAG over named variables, with expert-confirmed (locked) edges and node positions.

    Attributes:
        names: the variables, in the data's column order (the node order of every matrix).
        edges: directed edges ``(parent, child)``, sorted by the names' order.
        locked: edges an expert confirmed; they cannot be deleted or reversed until unlocked.
        positions: drawing coordinates ``name -> (x, y)`` in pixels; missing names are laid out.
    """

    names: tuple[str, ...]
    edges: tuple[Edge, ...] = ()
    locked: frozenset[Edge] = frozenset()
    positions: Mapping[str, tuple[float, float]] = field(default_factory=dict, compare=False)

    @classmethod
    def build(
        cls,
        names: Iterable[str],
        edges: Iterable[Edge] = (),
        locked: Iterable[Edge] = (),
        positions: Mapping[str, Iterable[float]] | None = None,
    ) -> CausalGraph:
        """Validate and normalise: unknown names, self-loops and cycles raise GraphError."""
        names = tuple(str(n) for n in names)
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise GraphError(f"Variable names must be unique; repeated: {dupes}.")
        edge_set = {(str(u), str(v)) for u, v in edges}
        _check_names(names, [n for e in edge_set for n in e])
        for u, v in edge_set:
            if u == v:
                raise GraphError(f"'{u}' cannot cause itself: remove the self-loop {u}{ARROW}{u}.")
        cycle = find_cycle(names, edge_set)
        if cycle:
            raise GraphError(f"The graph has a cycle {format_cycle(cycle)}: a causal graph must be acyclic.")
        locked = frozenset((str(u), str(v)) for u, v in locked)
        if not locked <= edge_set:
            raise GraphError(f"Locked edges must be edges of the graph: {sorted(locked - edge_set)}.")
        pos = {str(k): (float(p[0]), float(p[1])) for k, p in (positions or {}).items() if k in names}
        order = {n: i for i, n in enumerate(names)}
        return cls(
            names,
            tuple(sorted(edge_set, key=lambda e: (order[e[0]], order[e[1]]))),
            locked,
            MappingProxyType(pos),
        )

    @classmethod
    def from_adjacency(cls, names: Iterable[str], adjacency: np.ndarray) -> CausalGraph:
        """From a (d, d) 0/1 matrix with ``A[i, j] = 1`` meaning names[i] -> names[j]."""
        names = tuple(names)
        a = np.asarray(adjacency)
        if a.shape != (len(names), len(names)):
            raise GraphError(f"Adjacency of shape {a.shape} does not match {len(names)} names.")
        return cls.build(names, [(names[i], names[j]) for i, j in zip(*np.nonzero(a), strict=True)])

    def to_adjacency(self) -> np.ndarray:
        """(d, d) int 0/1 matrix, ``A[i, j] = 1`` iff names[i] -> names[j]."""
        index = {n: i for i, n in enumerate(self.names)}
        a = np.zeros((len(self.names), len(self.names)), dtype=int)
        for u, v in self.edges:
            a[index[u], index[v]] = 1
        return a

    def to_networkx(self) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from(self.names)
        g.add_edges_from(self.edges)
        return g

    def has_edge(self, u: str, v: str) -> bool:
        return (u, v) in set(self.edges)

    def key(self) -> str:
        """A short stable text key of names and edges (for stores and caches)."""
        return "|".join(self.names) + "#" + ";".join(f"{u}>{v}" for u, v in self.edges)


def _check_names(names: Iterable[str], used: Iterable[str]) -> None:
    known = set(names)
    unknown = sorted(set(used) - known)
    if unknown:
        raise GraphError(f"Unknown variable(s) {unknown}: the graph has {sorted(known)}.")


def format_cycle(cycle: list[str]) -> str:
    """``['a', 'b', 'a']`` -> ``'a → b → a'``."""
    return ARROW.join(cycle)


# --- edits -------------------------------------------------------------------------------------
