"""Editing a causal graph: validated edits, cycles, diffs, ancestors and descendants.

Adjacency convention (as everywhere in deci_core): ``A[i, j] = 1`` means i -> j (row parent,
column child). Outside this module graphs are addressed by variable *names*; indices only appear
in :func:`to_adjacency` / :meth:`CausalGraph.from_adjacency`.

A :class:`CausalGraph` is an immutable value: every edit returns a new graph or raises
:class:`~deci_core.errors.GraphError` with a message that says what to do, and for a cycle names
it ("a → b → c → a"). That makes undo/redo a list of snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import networkx as nx
import numpy as np

from deci_core.errors import GraphError

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


def find_cycle(names: Iterable[str], edges: Iterable[Edge]) -> list[str] | None:
    """A directed cycle as its nodes ``[a, b, c, a]`` (first = last), or None for a DAG."""
    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from(edges)
    try:
        cycle = nx.find_cycle(g, orientation="original")
    except nx.NetworkXNoCycle:
        return None
    nodes = [u for u, _v, *_ in cycle]
    return nodes + [nodes[0]]


def format_cycle(cycle: list[str]) -> str:
    """``['a', 'b', 'a']`` -> ``'a → b → a'``."""
    return ARROW.join(cycle)


# --- edits -------------------------------------------------------------------------------------


def _with_edges(graph: CausalGraph, edges: set[Edge], action: str) -> CausalGraph:
    cycle = find_cycle(graph.names, edges)
    if cycle:
        raise GraphError(f"{action} creates the cycle {format_cycle(cycle)}: the graph must stay acyclic.")
    return CausalGraph.build(graph.names, edges, graph.locked & edges, graph.positions)


def add_edge(graph: CausalGraph, u: str, v: str) -> CausalGraph:
    """Add u -> v. Rejects unknown names, self-loops, an existing edge and cycles."""
    _check_names(graph.names, (u, v))
    if u == v:
        raise GraphError(f"'{u}' cannot cause itself: pick two different variables.")
    edges = set(graph.edges)
    if (u, v) in edges:
        raise GraphError(f"The edge {u}{ARROW}{v} is already in the graph.")
    return _with_edges(graph, edges | {(u, v)}, f"Adding {u}{ARROW}{v}")


def _existing(graph: CausalGraph, u: str, v: str, verb: str) -> set[Edge]:
    _check_names(graph.names, (u, v))
    edges = set(graph.edges)
    if (u, v) not in edges:
        hint = f" (the graph has {v}{ARROW}{u})" if (v, u) in edges else ""
        raise GraphError(f"Cannot {verb} {u}{ARROW}{v}: there is no such edge{hint}.")
    if (u, v) in graph.locked and verb != "lock":
        raise GraphError(f"{u}{ARROW}{v} is locked as expert-confirmed: unlock it before you {verb} it.")
    return edges


def delete_edge(graph: CausalGraph, u: str, v: str) -> CausalGraph:
    """Remove u -> v (a locked edge must be unlocked first)."""
    edges = _existing(graph, u, v, "delete")
    return CausalGraph.build(graph.names, edges - {(u, v)}, graph.locked, graph.positions)


def reverse_edge(graph: CausalGraph, u: str, v: str) -> CausalGraph:
    """Turn u -> v into v -> u, unless that closes a cycle through another path."""
    edges = _existing(graph, u, v, "reverse")
    return _with_edges(graph, (edges - {(u, v)}) | {(v, u)}, f"Reversing {u}{ARROW}{v}")


def lock_edge(graph: CausalGraph, u: str, v: str) -> CausalGraph:
    """Mark u -> v as expert-confirmed."""
    _existing(graph, u, v, "lock")
    return replace(graph, locked=graph.locked | {(u, v)})


def unlock_edge(graph: CausalGraph, u: str, v: str) -> CausalGraph:
    """Remove the expert-confirmed mark from u -> v."""
    _check_names(graph.names, (u, v))
    if (u, v) not in graph.locked:
        raise GraphError(f"{u}{ARROW}{v} is not locked.")
    return replace(graph, locked=graph.locked - {(u, v)})


def move_node(graph: CausalGraph, name: str, x: float, y: float) -> CausalGraph:
    """Remember where the analyst put a node (pixels)."""
    _check_names(graph.names, (name,))
    if not (np.isfinite(x) and np.isfinite(y)):
        raise GraphError(f"Position of '{name}' must be finite numbers.")
    return replace(graph, positions=MappingProxyType({**graph.positions, name: (float(x), float(y))}))


EDGE_ACTIONS = {
    "add": add_edge,
    "delete": delete_edge,
    "reverse": reverse_edge,
    "lock": lock_edge,
    "unlock": unlock_edge,
}


def apply_edit(graph: CausalGraph, edit: Mapping[str, Any]) -> tuple[CausalGraph, str]:
    """Apply one edit as sent by the editor: ``{"op": "add"|..., "source", "target"}`` or
    ``{"op": "move", "node", "x", "y"}``. Returns the new graph and a short confirmation.

    Raises:
        GraphError: the edit is invalid; the message says why (and names a cycle).
    """
    op = edit.get("op")
    if op == "move":
        name = str(edit.get("node"))
        return move_node(graph, name, float(edit.get("x", 0)), float(edit.get("y", 0))), f"Moved {name}."
    if op not in EDGE_ACTIONS:
        raise GraphError(f"Unknown edit {op!r}: use one of {sorted([*EDGE_ACTIONS, 'move'])}.")
    u, v = str(edit.get("source")), str(edit.get("target"))
    new = EDGE_ACTIONS[op](graph, u, v)
    shown = f"{v}{ARROW}{u}" if op == "reverse" else f"{u}{ARROW}{v}"
    past = {
        "add": "Added",
        "delete": "Deleted",
        "reverse": "Reversed to",
        "lock": "Locked",
        "unlock": "Unlocked",
    }[op]
    return new, f"{past} {shown}."


# --- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphDiff:
    """How ``after`` differs from ``before``: a reversed edge is listed once, as it is in ``after``."""

    added: tuple[Edge, ...]
    removed: tuple[Edge, ...]
    reversed: tuple[Edge, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.reversed)

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.removed)} removed, {len(self.reversed)} reversed"


def diff(before: CausalGraph, after: CausalGraph) -> GraphDiff:
    """Edges added, removed and reversed going from ``before`` to ``after``."""
    b, a = set(before.edges), set(after.edges)
    reversed_ = {(u, v) for u, v in a - b if (v, u) in b - a}
    added = a - b - reversed_
    removed = b - a - {(v, u) for u, v in reversed_}
    return GraphDiff(tuple(sorted(added)), tuple(sorted(removed)), tuple(sorted(reversed_)))


def ancestors(graph: CausalGraph, name: str) -> set[str]:
    """All variables with a directed path into ``name``."""
    _check_names(graph.names, (name,))
    return set(nx.ancestors(graph.to_networkx(), name))


def descendants(graph: CausalGraph, name: str) -> set[str]:
    """All variables reachable from ``name`` along directed edges."""
    _check_names(graph.names, (name,))
    return set(nx.descendants(graph.to_networkx(), name))


def reapply(
    base: CausalGraph, change: GraphDiff, locked: Iterable[Edge] = ()
) -> tuple[CausalGraph, list[str]]:
    """Replay an analyst's changes on a new base graph; changes that no longer apply are skipped.

    Returns:
        The new graph and one message per skipped change.
    """
    graph, skipped = base, []
    steps = [("delete", e) for e in change.removed] + [("delete", (v, u)) for u, v in change.reversed]
    steps += [("add", e) for e in (*change.added, *change.reversed)] + [("lock", e) for e in locked]
    for op, (u, v) in steps:
        if op == "delete" and not graph.has_edge(u, v):
            continue
        if op == "add" and graph.has_edge(u, v):
            continue
        try:
            graph = EDGE_ACTIONS[op](graph, u, v)
        except GraphError as exc:
            skipped.append(str(exc))
    return graph, skipped
