"""Editing a causal graph: validated edits, diffs, ancestors and descendants.

A :class:`~deci_core.graph.causal_graph.CausalGraph` is an immutable value: every edit returns a new
graph or raises :class:`~deci_core.errors.GraphError` with a message that says what to do, and for a
cycle names it ("a → b → c → a"). That makes undo/redo a list of snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from deci_core.errors import GraphError
from deci_core.graph import dag
from deci_core.graph.causal_graph import ARROW, CausalGraph, Edge, _check_names, format_cycle
from deci_core.graph.dag import find_cycle


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
    return _names(graph, dag.descendants(graph.to_adjacency().T, graph.names.index(name)))


def descendants(graph: CausalGraph, name: str) -> set[str]:
    """All variables reachable from ``name`` along directed edges."""
    _check_names(graph.names, (name,))
    return _names(graph, dag.descendants(graph.to_adjacency(), graph.names.index(name)))


def _names(graph: CausalGraph, mask: np.ndarray) -> set[str]:
    return {graph.names[i] for i in np.flatnonzero(mask)}


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
